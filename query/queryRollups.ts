// One event type's rollups as a flat list of rows with totals: the engine
// (executeQuery) seen through the shape the load test, the loader and older callers use.
import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import { DEFAULT_ROLLUPS } from '../rollup/index.ts';
import type { DataApiTarget } from '../schema/index.ts';
import { UnknownTypeError } from './errors.ts';
import { executeQuery } from './executeQuery.ts';
import { planQuery } from './planQuery.ts';
import type { QueryRequest, RollupQuery, RollupResult } from './types.ts';

/** A type without rows reads as empty (not an error) here: callers poll for rows to appear. */
export async function queryRollups(client: RDSDataClient, target: DataApiTarget, q: RollupQuery): Promise<RollupResult> {
  const config = q.config ?? { rollups: DEFAULT_ROLLUPS };
  const request: QueryRequest = {
    types: [q.type],
    ...(q.from !== undefined ? { from: q.from } : {}),
    ...(q.to !== undefined ? { to: q.to } : {}),
    ...(q.rollup !== undefined ? { rollup: q.rollup } : {}),
    ...(q.window !== undefined ? { bucket: q.window } : {}),
    ...(q.groupBy ? { groupBy: q.groupBy } : {}),
    ...(q.dims ? { where: Object.fromEntries(Object.entries(q.dims).map(([k, v]) => [k, [v]])) } : {}),
  };
  try {
    const { results: [r] } = await executeQuery(client, target, request, { config });
    return {
      rollup: r!.rollup,
      window: r!.window,
      rows: r!.rows.map((row) => ({ ...row, min: row.min ?? 0, max: row.max ?? 0 })),
      totals: r!.totals,
    };
  } catch (err) {
    if (!(err instanceof UnknownTypeError)) throw err;
    const [plan] = planQuery(request, config, Date.now());
    return {
      rollup: plan!.rollup.name, window: plan!.window, rows: [],
      totals: { count: 0, sum: 0, sumExact: '0', min: null, max: null, ...(plan!.rollup.approxDistinct ? { distinct: 0 } : {}) },
    };
  }
}
