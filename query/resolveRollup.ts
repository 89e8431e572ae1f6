// Picks the rollup and window a query reads, and checks every dimension it names
// against that rollup's groupBy: the whitelist that guards the SQL.
import { DEFAULT_ROLLUPS } from '../rollup/index.ts';
import type { RollupConfig } from '../rollup/index.ts';
import { QueryError } from './errors.ts';
import type { RollupQuery } from './types.ts';

export function resolveRollup(q: RollupQuery): { rollup: RollupConfig; window: number } {
  const config = q.config ?? { rollups: DEFAULT_ROLLUPS };
  const covers = (r: RollupConfig) => r.types === '*' || r.types.includes(q.type);
  let rollup: RollupConfig | undefined;
  if (q.rollup !== undefined) {
    rollup = config.rollups.find((r) => r.name === q.rollup);
    if (!rollup) throw new QueryError('rollup', `no rollup named "${q.rollup}" (configured: ${config.rollups.map((r) => r.name).join(', ')})`);
    if (!covers(rollup)) throw new QueryError('rollup', `rollup "${rollup.name}" does not cover type "${q.type}"`);
  } else {
    const candidates = config.rollups.filter(covers);
    rollup = candidates.find((r) => r.groupBy.length === 0) ?? candidates[0];
    if (!rollup) throw new QueryError('type', `no configured rollup covers type "${q.type}"`);
  }
  const window = q.window ?? Math.min(...rollup.windows);
  if (!rollup.windows.includes(window)) {
    throw new QueryError('window', `rollup "${rollup.name}" keeps windows of ${rollup.windows.join(', ')} s, not ${window}`);
  }
  for (const d of [...(q.groupBy ?? []), ...Object.keys(q.dims ?? {})]) {
    if (!rollup.groupBy.includes(d)) {
      throw new QueryError('groupBy', `rollup "${rollup.name}" does not group by "${d}" (it groups by: ${rollup.groupBy.join(', ') || 'nothing'})`);
    }
  }
  return { rollup, window };
}

/** Epoch milliseconds of a query bound; throws QueryError naming the option. */
export function parseTime(value: string | number | Date, option: string): number {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw new QueryError(option, `"${String(value)}" is not an ISO-8601 date-time`);
  return ms;
}
