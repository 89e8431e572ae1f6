// The query's parameters, defined once: the HTTP handler parses them, the OpenAPI
// document is generated from them, and the CLI's flags are built from them, so the
// three cannot drift apart.
import { QueryError } from './errors.ts';
import { MAX_TOP, MAX_TYPES } from './planQuery.ts';
import { TIME_BOUND_FORMS } from './timeRange.ts';
import { RANKING_MEASURES } from './types.ts';
import type { QueryRequest, RankingMeasure } from './types.ts';

export interface QueryParameter {
  /** Name in the URL's query string. */
  name: keyof QueryRequest | 'type' | 'where';
  /** The CLI flag (without `--`). */
  flag: string;
  /** May be given more than once (and, for lists of names, comma-separated). */
  repeatable: boolean;
  required: boolean;
  /** JSON Schema of one value, as OpenAPI 3.1 states it. */
  schema: { type: 'string' | 'integer'; enum?: readonly string[]; minimum?: number; maximum?: number; pattern?: string };
  description: string;
  example: string;
}

/** What a time bound looks like (parseTimeBound decides the rest, such as the zone). */
const TIME_BOUND_PATTERN = '^(now|-[0-9]+[smhdw]|[0-9]+|[0-9]{4}-[0-9]{2}-[0-9]{2}(T.*)?)$';

export const QUERY_PARAMETERS: readonly QueryParameter[] = [
  { name: 'type', flag: 'type', repeatable: true, required: true, schema: { type: 'string' },
    description: `Event type; repeat (or separate with commas) for several, up to ${MAX_TYPES}. Each type gets its own section of the result.`, example: 'page_view' },
  { name: 'from', flag: 'from', repeatable: false, required: false, schema: { type: 'string', pattern: TIME_BOUND_PATTERN },
    description: `Inclusive start: ${TIME_BOUND_FORMS}. Widened down to the start of its bucket. Default: no lower bound.`, example: '-1h' },
  { name: 'to', flag: 'to', repeatable: false, required: false, schema: { type: 'string', pattern: TIME_BOUND_PATTERN },
    description: `Exclusive end, same forms as from. Widened up to the end of its bucket. Default: no upper bound.`, example: 'now' },
  { name: 'bucket', flag: 'bucket', repeatable: false, required: false, schema: { type: 'string', pattern: '^[0-9]+[smhdw]?$' },
    description: 'Bucket size: seconds or a duration (1m, 5m, 1h, 1d); a multiple of a stored window, rolled up exactly. Default: the finest stored window.', example: '5m' },
  { name: 'groupBy', flag: 'group-by', repeatable: true, required: false, schema: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}(,[a-z][a-z0-9_]{0,62})*$' },
    description: 'Dimension to break rows down by; repeat (or separate with commas) for several. Only dimensions a rollup groups by.', example: 'country' },
  { name: 'where', flag: 'where', repeatable: true, required: false, schema: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}=.*$' },
    description: 'Filter dim=value; the same dimension repeated keeps rows with any of the values (in).', example: 'country=JP' },
  { name: 'top', flag: 'top', repeatable: false, required: false, schema: { type: 'integer', minimum: 1, maximum: MAX_TOP },
    description: 'Keep only the N groups that rank first by `by` over the whole range (needs groupBy).', example: '10' },
  { name: 'by', flag: 'by', repeatable: false, required: false, schema: { type: 'string', enum: RANKING_MEASURES },
    description: 'The measure top-N ranks by, largest first. Default count.', example: 'count' },
  { name: 'rollup', flag: 'rollup', repeatable: false, required: false, schema: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' },
    description: 'Read this rollup. Default: chosen from the types, dimensions and bucket (the coarsest stored window that answers exactly).', example: 'by_type' },
];

const BY_NAME = new Map(QUERY_PARAMETERS.map((p) => [p.name as string, p]));

/**
 * A QueryRequest from name/value pairs (a URL's query string, or CLI flags by their
 * parameter name). Throws QueryError naming the parameter for an unknown name, a
 * repeated single value, a missing required one or a value outside its schema.
 */
export function parseQueryParameters(pairs: Iterable<readonly [string, string]>): QueryRequest {
  const values = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    const def = BY_NAME.get(name);
    if (!def) throw new QueryError(name, `is not a query parameter (parameters: ${QUERY_PARAMETERS.map((p) => p.name).join(', ')})`);
    const list = values.get(name) ?? [];
    if (list.length > 0 && !def.repeatable) throw new QueryError(name, 'may be given once');
    list.push(value);
    values.set(name, list);
  }
  for (const def of QUERY_PARAMETERS) {
    if (def.required && !values.has(def.name)) throw new QueryError(def.name, 'is required');
  }
  const one = (name: string) => values.get(name)?.[0];
  const names = (name: string) => (values.get(name) ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);

  const request: QueryRequest = { types: names('type') };
  if (request.types.length === 0) throw new QueryError('type', 'is required');
  const from = one('from');
  if (from !== undefined) request.from = from;
  const to = one('to');
  if (to !== undefined) request.to = to;
  const bucket = one('bucket');
  if (bucket !== undefined) request.bucket = bucket;
  const groupBy = names('groupBy');
  if (groupBy.length) request.groupBy = groupBy;
  const where: Record<string, string[]> = {};
  for (const w of values.get('where') ?? []) {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new QueryError('where', `"${w}" must look like dim=value`);
    (where[w.slice(0, eq).trim()] ??= []).push(w.slice(eq + 1));
  }
  if (Object.keys(where).length) request.where = where;
  const top = one('top');
  if (top !== undefined) {
    const n = /^\d{1,9}$/.test(top.trim()) ? Number(top) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > MAX_TOP) throw new QueryError('top', `must be a whole number from 1 to ${MAX_TOP}, got "${top}"`);
    request.top = n;
  }
  const by = one('by');
  if (by !== undefined) {
    if (!(RANKING_MEASURES as readonly string[]).includes(by)) throw new QueryError('by', `"${by}" is not one of ${RANKING_MEASURES.join(', ')}`);
    request.by = by as RankingMeasure;
  }
  const rollup = one('rollup');
  if (rollup !== undefined) request.rollup = rollup;
  return request;
}
