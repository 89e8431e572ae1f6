// The query engine every front uses (CLI, HTTP API, Lambda, dashboard): plans the
// request against the configuration, runs one statement per event type through the
// Data API, and reads rows, groups and totals back by kind.
import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import { estimateFromStats } from '../consumers/index.ts';
import { DataApiSession, fieldNumber, fieldText, sqlParameters } from '../schema/index.ts';
import type { DataApiTarget } from '../schema/index.ts';
import { listEventTypes, typeHasRows } from './catalog.ts';
import { QueryTooLargeError, UnknownTypeError } from './errors.ts';
import { planQuery } from './planQuery.ts';
import type { QueryPlan } from './planQuery.ts';
import { buildQueryStatement, ROW_KIND } from './querySql.ts';
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
    const page = await session.execute(st.sql, { parameters: sqlParameters(st.params) });
    for (const f of page) {
      const kind = fieldNumber(f[0]);
      const n = 2 + st.groupColumns;
      const sumExact = fieldText(f[n + 1]) ?? '0';
      const values: MeasureValues = {
        count: fieldNumber(f[n]) ?? 0,
        sum: Number(sumExact),
        sumExact,
        min: fieldNumber(f[n + 2]),
        max: fieldNumber(f[n + 3]),
      };
      if (st.distinct) values.distinct = estimateFromStats(fieldNumber(f[n + 4]) ?? 0, fieldNumber(f[n + 5]) ?? 0);
      const dims = Object.fromEntries(plan.groupBy.map((d, i) => [d, fieldText(f[2 + i])]));
      if (kind === ROW_KIND.total) totals = values;
      else if (kind === ROW_KIND.group) groups.push({ dims, ...values });
      else rows.push({ bucket: new Date(fieldNumber(f[1])! * 1000).toISOString(), ...(plan.groupBy.length ? { dims } : {}), ...values });
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
