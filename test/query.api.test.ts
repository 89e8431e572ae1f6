// The query API through fetch against the local Data API (and through its Lambda
// entry), including bad parameters, and the OpenAPI document checked against what
// the handler accepts and returns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  QUERY_PARAMETERS, QuarantineStore, QueryServer, buildOpenApiDocument, createQueryApi, createQueryLambdaHandler,
} from '../query/index.ts';
import type { ApiErrorBody, PipelineHealth, QueryApiDeps, QueryCatalog, QueryResult } from '../query/index.ts';
import { PipelineHealthMeter } from '../local/index.ts';
import { startDataApiFixture, type DataApiFixture } from './support/dataApiFixture.ts';
import { QUERY_CONFIG as config, QUERY_NOW as now, expectedAnswer, loadQueryEvents, makeQueryEvents } from './support/queryFixture.ts';
import { schemaErrors } from './support/jsonSchema.ts';
import type { SluiceEvent } from '../core/index.ts';

let fx: DataApiFixture;
let server: QueryServer;
let events: SluiceEvent[];
let deps: QueryApiDeps;
const doc = buildOpenApiDocument() as unknown as Record<string, unknown> & { paths: Record<string, { get: { parameters?: Record<string, unknown>[]; responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> } }> };

/** A GET's status, content type and JSON body, read as the answer the caller expects. */
async function get<Body = ApiErrorBody>(path: string): Promise<{ status: number; body: Body; type: string | null }> {
  const res = await fetch(`${server.url}${path}`);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Body, type: res.headers.get('content-type') };
}

/** The schema of an OpenAPI parameter: its own, or its items' when it repeats. */
interface ParameterSchema { items?: ParameterSchema; enum?: string[]; pattern?: string; maximum?: number }

/** The response schema the document declares for `path` and `status`. */
function declared(path: string, status: number): Record<string, unknown> {
  const schema = doc.paths[path]!.get.responses[String(status)]?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`the document declares no ${status} body for ${path}`);
  return schema;
}

function conforms(path: string, res: { status: number; body: unknown }): void {
  expect(schemaErrors(res.body, declared(path, res.status), doc)).toEqual([]);
}

beforeAll(async () => {
  fx = await startDataApiFixture('query-api');
  events = makeQueryEvents(1500, 11);
  await loadQueryEvents(fx, events);
  const meter = new PipelineHealthMeter({ iteratorAgeMs: () => 1234, quarantinePending: () => new QuarantineStore(fx.client, fx.target).count() });
  meter.record({ eventsIn: 500, dataApiCalls: 7, lagMs: 10, failed: false });
  deps = { rdsData: fx.client, target: fx.target, config, now: () => now, health: () => meter.read() };
  server = await QueryServer.start(createQueryApi(deps));
});

afterAll(async () => {
  await server?.close();
  await fx?.close();
});

describe('GET /v1/query', () => {
  it('answers with the engine\'s JSON: groups, totals and the range read', async () => {
    const res = await get<QueryResult>('/v1/query?type=page_view&from=-2h&to=now&bucket=1h&groupBy=country');
    const fromS = Math.floor((now / 1000 - 7200) / 3600) * 3600;
    const toS = Math.ceil(now / 1000 / 3600) * 3600;
    const want = expectedAnswer(events, { type: 'page_view', bucket: 3600, fromS, toS, groupBy: ['country'] });

    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json; charset=utf-8');
    expect(res.body.from).toBe(new Date(fromS * 1000).toISOString());
    const r = res.body.results[0]!;
    expect(r.totals.count).toBe(want.total.count);
    expect(Object.fromEntries(r.groups.map((g) => [g.dims.country, g.count]))).toEqual(Object.fromEntries([...want.groups].map(([k, v]) => [k, v.count])));
    conforms('/v1/query', res);
  });

  it('takes several types, repeated filters (in) and top-N', async () => {
    const res = await get<QueryResult>('/v1/query?type=page_view&type=order&bucket=1d&groupBy=path&where=country=JP&where=country=US&top=2&by=sum');

    expect(res.status).toBe(200);
    expect(res.body.results.map((r) => r.type)).toEqual(['page_view', 'order']);
    for (const r of res.body.results) {
      const want = expectedAnswer(events, { type: r.type, bucket: 86_400, groupBy: ['path'], where: { country: ['JP', 'US'] } });
      expect(r.totals.count).toBe(want.total.count);
      expect(r.groups).toHaveLength(2);
    }
    conforms('/v1/query', res);
  });

  it.each([
    ['type=page_view&colour=red', 400, 'colour', /is not a query parameter \(parameters: type, from, to/],
    ['from=-1h', 400, 'type', /is required/],
    ['type=page_view&from=-1h&from=-2h', 400, 'from', /may be given once/],
    ['type=page_view&from=yesterday', 400, 'from', /is not a time/],
    ['type=page_view&bucket=90s', 400, 'bucket', /stored windows: 1m, 5m, 1h/],
    ['type=page_view&groupBy=user', 400, 'groupBy', /dimensions of its rollups: country, path/],
    ['type=page_view&groupBy=path&top=0', 400, 'top', /from 1 to 1000/],
    ['type=page_view&groupBy=path&top=3&by=median', 400, 'by', /count, sum, min, max/],
    ['type=page_view&rollup=nope', 400, 'rollup', /configured: by_type, by_country/],
    ['type=page_veiw', 404, 'type', /types with rows: order, page_view/],
  ])('refuses ?%s with %i naming %s', async (qs, status, parameter, message) => {
    const res = await get(`/v1/query?${qs}`);

    expect(res.status).toBe(status);
    expect(res.body.error.parameter).toBe(parameter);
    expect(res.body.error.message).toMatch(message);
    conforms('/v1/query', res);
  });

  it('allows only GET, and names the paths it has', async () => {
    const post = await fetch(`${server.url}/v1/query?type=page_view`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const missing = await get('/v2/query');
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(/paths: \/v1\/query, \/v1\/catalog, \/v1\/health, \/openapi.json/);
  });

  it('reports a database that does not answer as 503, not as a bad request', async () => {
    const api = createQueryApi({ ...deps, target: { ...fx.target, resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:gone' } });

    const res = await api({ method: 'GET', path: '/v1/query', query: [['type', 'page_view']] });

    expect(res.status).toBe(503);
    expect((JSON.parse(res.body as string) as ApiErrorBody).error.message).toMatch(/the database did not answer/);
  });
});

describe('catalog and health', () => {
  it('lists the rollups and the types with rows', async () => {
    const res = await get<QueryCatalog>('/v1/catalog');

    expect(res.status).toBe(200);
    expect(res.body.types).toEqual(['order', 'page_view']);
    expect(res.body.rollups.map((r) => [r.name, r.groupBy])).toEqual([['by_type', []], ['by_country', ['country', 'path']]]);
    conforms('/v1/catalog', res);
  });

  it('reports the health figures from its source', async () => {
    const res = await get<PipelineHealth>('/v1/health');

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ iteratorAgeMs: 1234, eventsPerStatement: 71.4, quarantinePending: 0 });
    expect(res.body.eventsPerSecond).toBeGreaterThan(0);
    conforms('/v1/health', res);
  });
});

describe('the OpenAPI document agrees with the handler', () => {
  const params = doc.paths['/v1/query']!.get.parameters! as { name: string; required: boolean; schema: ParameterSchema; example: unknown }[];
  const one = (p: { name: string; example: unknown }) => (Array.isArray(p.example) ? String(p.example[0]) : String(p.example));

  it('is served at /openapi.json as OpenAPI 3.1 with every route the handler has', async () => {
    const res = await get<{ openapi: string; paths: Record<string, unknown> }>('/openapi.json');

    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    expect(Object.keys(res.body.paths).sort()).toEqual(['/openapi.json', '/v1/catalog', '/v1/health', '/v1/query']);
    expect(params.map((p) => p.name)).toEqual(QUERY_PARAMETERS.map((p) => p.name));
    expect(params.filter((p) => p.required).map((p) => p.name)).toEqual(['type']);
  });

  it('every documented parameter, with its example, is accepted', async () => {
    for (const p of params) {
      const qs = new URLSearchParams({ type: 'page_view', [p.name]: one(p) });
      if (p.name === 'top' || p.name === 'by') qs.set('groupBy', 'path');
      if (p.name === 'by') qs.set('top', '3');
      const res = await get<Partial<ApiErrorBody>>(`/v1/query?${qs}`);
      expect({ name: p.name, status: res.status, error: res.body.error }).toEqual({ name: p.name, status: 200, error: undefined });
    }
  });

  it('every value of a documented enum is accepted, and a value outside it is refused', async () => {
    for (const p of params.filter((x) => (x.schema.items ?? x.schema).enum)) {
      for (const v of (p.schema.items ?? p.schema).enum!) {
        expect((await get(`/v1/query?type=page_view&groupBy=path&top=3&${p.name}=${v}`)).status).toBe(200);
      }
      expect((await get(`/v1/query?type=page_view&groupBy=path&top=3&${p.name}=nope`)).status).toBe(400);
    }
  });

  it('values outside a documented pattern or range are refused with the parameter named', async () => {
    const outside: Record<string, string> = { from: 'yesterday', to: 'tomorrow', bucket: 'hourly', groupBy: 'Country', where: 'country', top: '1001', rollup: 'By-Type' };
    for (const [name, value] of Object.entries(outside)) {
      const p = params.find((x) => x.name === name)!;
      const s = p.schema.items ?? p.schema;
      expect(s.pattern ? new RegExp(s.pattern).test(value) : Number(value) <= s.maximum!).toBe(false);
      const qs = new URLSearchParams({ type: 'page_view', groupBy: 'path' });
      qs.set(name, value);
      const res = await get(`/v1/query?${qs}`);
      expect({ name, status: res.status, parameter: res.body.error?.parameter }).toEqual({ name, status: 400, parameter: name });
    }
  });

  it('a parameter the document does not list is refused', async () => {
    expect((await get('/v1/query?type=page_view&window=60')).status).toBe(400);
  });
});

describe('the Lambda entry', () => {
  it('answers API Gateway events as the HTTP server does', async () => {
    const handler = createQueryLambdaHandler(() => deps);
    const event = { rawPath: '/v1/query', rawQueryString: 'type=order&bucket=1h', requestContext: { http: { method: 'GET', path: '/v1/query' } }, headers: {} } as unknown as APIGatewayProxyEventV2;

    const out = await handler(event);
    const viaHttp = await get('/v1/query?type=order&bucket=1h');

    expect(out.statusCode).toBe(200);
    expect(JSON.parse(out.body!)).toEqual(viaHttp.body);
    const bad = await handler({ ...event, rawQueryString: 'type=order&bucket=7m' });
    expect(bad.statusCode).toBe(400);
  });
});
