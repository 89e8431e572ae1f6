// The query engine every front uses (CLI, HTTP API, Lambda, dashboard): plans the
// request against the configuration, runs one statement per event type through the
// Data API, and reads rows, groups and totals back by kind.
import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import { estimateFromStats, MEASURES, namedRows } from '../rollup/index.ts';
import type { NamedRow } from '../rollup/index.ts';
import { DataApiSession, sqlParameters } from '../schema/index.ts';
import type { DataApiTarget } from '../schema/index.ts';
import { listEventTypes, typeHasRows } from './catalog.ts';
import { QueryTooLargeError, UnknownTypeError } from './errors.ts';
import { planQuery } from './planQuery.ts';
import type { QueryPlan } from './planQuery.ts';
import { buildQueryStatement, COLUMNS, ROW_KIND } from './querySql.ts';
import type { MeasureValues, QueryGroup, QueryOptions, QueryRequest, QueryResult, QueryRow, TypeResult } from './types.ts';

/** Rows per statement: far under the Data API's 1 MiB response. */
const PAGE_ROWS = 2000;
/** Rows one answer may hold (rows + groups), so a response stays readable and bounded. */
export const MAX_RESULT_ROWS = 20_000;

export async function executeQuery(client: RDSDataClient, target: DataApiTarget, request: QueryRequest, options: QueryOptions): Promise<QueryResult> {
  const now = options.now ?? Date.now();
  const plans = planQuery(request, options.config, now);
  const session = new DataApiSession(client, target);
  const results: TypeResult[] = [];
  for (const plan of plans) results.push(await runPlan(session, plan));
  const first = plans[0]!;
  return {
    from: first.fromS === null ? null : new Date(first.fromS * 1000).toISOString(),
    to: first.toS === null ? null : new Date(first.toS * 1000).toISOString(),
    bucket: first.bucket,
    groupBy: first.groupBy,
    where: first.where,
    top: first.top,
    by: first.by,
    results,
  };
}

async function runPlan(session: DataApiSession, plan: QueryPlan): Promise<TypeResult> {
  const rows: QueryRow[] = [];
  const groups: QueryGroup[] = [];
  let totals: MeasureValues | undefined;
  const distinctOf = plan.rollup.approxDistinct ?? null;
  for (let offset = 0; ; offset += PAGE_ROWS) {
    const st = buildQueryStatement(plan, { limit: PAGE_ROWS, offset });
    const page = namedRows(await session.executeResult(st.sql, { parameters: sqlParameters(st.params), includeResultMetadata: true }));
    for (const row of page) {
      const values = readValues(row, st.distinct);
      const dims = Object.fromEntries(plan.groupBy.map((d, i) => [d, textOrNull(row[COLUMNS.group(i)])]));
      const kind = Number(row[COLUMNS.kind]);
      if (kind === ROW_KIND.total) totals = values;
      else if (kind === ROW_KIND.group) groups.push({ dims, ...values });
      else rows.push({ bucket: new Date(Number(row[COLUMNS.bucket]) * 1000).toISOString(), ...(plan.groupBy.length ? { dims } : {}), ...values });
    }
    if (rows.length + groups.length > MAX_RESULT_ROWS) throw new QueryTooLargeError(MAX_RESULT_ROWS);
    if (page.length < PAGE_ROWS) break;
  }
  totals ??= { count: 0, sum: 0, sumExact: '0', min: null, max: null, ...(distinctOf ? { distinct: 0 } : {}) };
  if (totals.count === 0 && !(await typeHasRows(session, plan.rollup.name, plan.window, plan.type))) {
    throw new UnknownTypeError(plan.type, plan.rollup.name, await listEventTypes(session, plan.rollup.name, plan.window));
  }
  groups.sort(rankGroups(plan));
  return { type: plan.type, rollup: plan.rollup.name, window: plan.window, distinctOf, rows, groups, totals };
}

/** The measures of a result row, each read by its own measure from the column named after it. */
function readValues(row: NamedRow, distinct: boolean): MeasureValues {
  const sumExact = measure('sum').read(row.sum);
  const values: MeasureValues = {
    count: measure('count').read(row.count),
    sum: Number(sumExact),
    sumExact,
    // An empty range merges to NULL: no smallest or largest value.
    min: row.min === null ? null : Number(measure('min').read(row.min)),
    max: row.max === null ? null : Number(measure('max').read(row.max)),
  };
  if (distinct) values.distinct = estimateFromStats(Number(row[COLUMNS.registers] ?? 0), Number(row[COLUMNS.harmonic] ?? 0));
  return values;
}

type AnyMeasure = (typeof MEASURES)[number];

/** The measure named `name`, typed as that measure (so its read value has its own type). */
function measure<N extends AnyMeasure['name']>(name: N): Extract<AnyMeasure, { name: N }> {
  return MEASURES.find((m): m is Extract<AnyMeasure, { name: N }> => m.name === name)!;
}

function textOrNull(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Largest first by the ranking measure, ties by the group values (as the SQL ranks them). */
function rankGroups(plan: QueryPlan): (a: QueryGroup, b: QueryGroup) => number {
  const measure = (g: QueryGroup): number => {
    if (plan.by === 'sum') return g.sum;
    const v = g[plan.by];
    return v ?? -Infinity;
  };
  return (a, b) => {
    const d = measure(b) - measure(a);
    if (d !== 0 && !Number.isNaN(d)) return d;
    for (const dim of plan.groupBy) {
      const x = a.dims[dim] ?? '\uffff';
      const y = b.dims[dim] ?? '\uffff';
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
}
