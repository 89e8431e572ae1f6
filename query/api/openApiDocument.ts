// The OpenAPI 3.1 document of the query API, generated from the same parameter
// definitions the handler parses (query/parameters.ts), so the two cannot disagree;
// a test also checks real answers against the response schemas.
import { QUERY_PARAMETERS } from '../parameters.ts';
import { QUERY_ROUTES } from './routes.ts';

const number = { type: 'number' };
const nullableNumber = { type: ['number', 'null'] };
const dims = { type: 'object', additionalProperties: { type: ['string', 'null'] }, description: 'Group-by values; null for events without the dimension.' };
const measureProperties = {
  count: { type: 'integer', minimum: 0 },
  sum: number,
  sumExact: { type: 'string', description: 'The sum as an exact decimal.' },
  min: nullableNumber,
  max: nullableNumber,
  distinct: { type: 'integer', minimum: 0, description: 'Approximate distinct count (HyperLogLog, about 3% error), when the rollup keeps a sketch.' },
};
const measureRequired = ['count', 'sum', 'sumExact', 'min', 'max'];

const schemas = {
  Measures: { type: 'object', properties: measureProperties, required: measureRequired, additionalProperties: false },
  Row: {
    type: 'object', additionalProperties: false,
    properties: { bucket: { type: 'string', format: 'date-time' }, dims, ...measureProperties },
    required: ['bucket', ...measureRequired],
  },
  Group: { type: 'object', additionalProperties: false, properties: { dims, ...measureProperties }, required: ['dims', ...measureRequired] },
  TypeResult: {
    type: 'object', additionalProperties: false,
    properties: {
      type: { type: 'string' },
      rollup: { type: 'string', description: 'The rollup read.' },
      window: { type: 'integer', description: 'Its stored window in seconds (divides the bucket).' },
      distinctOf: { type: ['string', 'null'], description: 'The dimension counted distinct, if any.' },
      rows: { type: 'array', items: { $ref: '#/components/schemas/Row' } },
      groups: { type: 'array', items: { $ref: '#/components/schemas/Group' }, description: 'Per group over the range, ranked by `by`.' },
      totals: { $ref: '#/components/schemas/Measures' },
    },
    required: ['type', 'rollup', 'window', 'distinctOf', 'rows', 'groups', 'totals'],
  },
  QueryResult: {
    type: 'object', additionalProperties: false,
    properties: {
      from: { type: ['string', 'null'], format: 'date-time', description: 'Start read, widened to its bucket.' },
      to: { type: ['string', 'null'], format: 'date-time', description: 'End read, widened to its bucket.' },
      bucket: { type: 'integer', description: 'Bucket size in seconds.' },
      groupBy: { type: 'array', items: { type: 'string' } },
      where: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
      top: { type: ['integer', 'null'] },
      by: { type: 'string', enum: ['count', 'sum', 'min', 'max'] },
      results: { type: 'array', items: { $ref: '#/components/schemas/TypeResult' } },
    },
    required: ['from', 'to', 'bucket', 'groupBy', 'where', 'top', 'by', 'results'],
  },
  Catalog: {
    type: 'object', additionalProperties: false,
    properties: {
      rollups: {
        type: 'array',
        items: {
          type: 'object', additionalProperties: false,
          properties: {
            name: { type: 'string' },
            types: { oneOf: [{ type: 'string', const: '*' }, { type: 'array', items: { type: 'string' } }] },
            groupBy: { type: 'array', items: { type: 'string' } },
            windows: { type: 'array', items: { type: 'integer' } },
            approxDistinct: { type: ['string', 'null'] },
          },
          required: ['name', 'types', 'groupBy', 'windows', 'approxDistinct'],
        },
      },
      types: { type: 'array', items: { type: 'string' }, description: 'Event types with rows.' },
    },
    required: ['rollups', 'types'],
  },
  Health: {
    type: 'object', additionalProperties: false,
    properties: {
      at: { type: 'string', format: 'date-time' },
      eventsPerSecond: number,
      iteratorAgeMs: number,
      eventsPerStatement: nullableNumber,
      quarantinePending: { type: 'integer', minimum: 0 },
    },
    required: ['at', 'eventsPerSecond', 'iteratorAgeMs', 'eventsPerStatement', 'quarantinePending'],
  },
  Error: {
    type: 'object', additionalProperties: false,
    properties: {
      error: {
        type: 'object', additionalProperties: false,
        properties: {
          parameter: { type: 'string', description: 'The parameter at fault.' },
          message: { type: 'string' },
          known: { type: 'array', items: { type: 'string' }, description: 'For an unknown type: the types with rows.' },
        },
        required: ['message'],
      },
    },
    required: ['error'],
  },
};

const json = (ref: string, description: string) => ({ description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const errors = {
  400: json('Error', 'A parameter is unknown, repeated or outside what the configuration allows; the message lists what exists.'),
  503: json('Error', 'The database did not answer.'),
};

export function buildOpenApiDocument(serverUrl?: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'sluice query API',
      version: '1',
      description: 'Reads the rollups sluice keeps: per bucket, per group, with totals. Values are exact (count, sum, min, max) or estimated from sketches (distinct).',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    paths: {
      [QUERY_ROUTES.query]: {
        get: {
          operationId: 'query',
          summary: 'Rollups of one or more event types, re-bucketed, grouped, filtered and ranked',
          parameters: QUERY_PARAMETERS.map((p) => ({
            name: p.name,
            in: 'query',
            required: p.required,
            description: p.description,
            ...(p.repeatable
              ? { schema: { type: 'array', items: p.schema }, style: 'form', explode: true }
              : { schema: p.schema }),
            example: p.repeatable ? [p.example] : p.example,
          })),
          responses: {
            200: json('QueryResult', 'The answer, one section per type.'),
            404: json('Error', 'No rollup holds any row of a type asked for; `known` lists those that have rows.'),
            ...errors,
          },
        },
      },
      [QUERY_ROUTES.catalog]: {
        get: { operationId: 'catalog', summary: 'The configured rollups and the event types with rows', responses: { 200: json('Catalog', 'What can be asked.'), 503: errors[503] } },
      },
      [QUERY_ROUTES.health]: {
        get: { operationId: 'health', summary: 'Pipeline health (local stack)', responses: { 200: json('Health', 'The figures now.'), 404: json('Error', 'No health source here.'), 503: errors[503] } },
      },
      [QUERY_ROUTES.openApi]: {
        get: { operationId: 'openApi', summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } },
      },
    },
    components: { schemas },
  };
}
