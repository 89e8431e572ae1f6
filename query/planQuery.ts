// Turns a QueryRequest into one QueryPlan per event type: which rollup and stored
// window answer it exactly, the bucket, and the range widened to whole buckets. Every
// name it lets through (rollup, dimension) comes from the configuration, and each
// refusal lists what exists.
import type { RollupConfig, RollupSet } from '../rollup/index.ts';
import { QueryError } from './errors.ts';
import { formatBucket, parseBucket, parseTimeBound } from './timeRange.ts';
import { RANKING_MEASURES } from './types.ts';
import type { QueryRequest, RankingMeasure } from './types.ts';

const DAY_S = 86_400;
/** The most groups top-N may keep, and types one query may ask for. */
export const MAX_TOP = 1000;
export const MAX_TYPES = 20;

export interface QueryPlan {
  type: string;
  rollup: RollupConfig;
  /** The stored window read (seconds); divides `bucket`. */
  window: number;
  /** Output bucket (seconds). */
  bucket: number;
  /** Range in epoch seconds, on bucket boundaries; null: unbounded. */
  fromS: number | null;
  toS: number | null;
  groupBy: string[];
  where: Record<string, string[]>;
  top: number | null;
  by: RankingMeasure;
}

const covers = (r: RollupConfig, type: string) => r.types === '*' || r.types.includes(type);
const describeRollup = (r: RollupConfig) =>
  `${r.name} (types ${r.types === '*' ? '*' : r.types.join(', ')}; groups by ${r.groupBy.join(', ') || 'nothing'}; windows ${r.windows.map(formatBucket).join(', ')})`;

/** One plan per type, in the order asked; throws QueryError naming the option at fault. */
export function planQuery(request: QueryRequest, config: RollupSet, now: number): QueryPlan[] {
  const types = [...new Set(request.types)];
  if (types.length === 0) throw new QueryError('type', 'at least one event type is required');
  if (types.length > MAX_TYPES) throw new QueryError('type', `at most ${MAX_TYPES} types at once`);
  const groupBy = [...new Set(request.groupBy ?? [])];
  const where = request.where ?? {};
  for (const [dim, values] of Object.entries(where)) {
    if (values.length === 0) throw new QueryError('where', `${dim}: give at least one value`);
  }
  const by = request.by ?? 'count';
  if (!(RANKING_MEASURES as readonly string[]).includes(by)) {
    throw new QueryError('by', `"${String(by)}" is not a measure top-N can rank by (${RANKING_MEASURES.join(', ')})`);
  }
  const top = request.top ?? null;
  if (top !== null) {
    if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) throw new QueryError('top', `must be a whole number from 1 to ${MAX_TOP}, got ${String(top)}`);
    if (groupBy.length === 0) throw new QueryError('top', 'ranks groups: give groupBy too');
  }
  const named = request.rollup === undefined ? undefined : config.rollups.find((r) => r.name === request.rollup);
  if (request.rollup !== undefined && !named) {
    throw new QueryError('rollup', `no rollup named "${request.rollup}" (configured: ${config.rollups.map((r) => r.name).join(', ')})`);
  }
  const bucketAsked = request.bucket === undefined ? undefined : parseBucket(request.bucket);
  if (bucketAsked !== undefined && DAY_S % bucketAsked !== 0 && bucketAsked % DAY_S !== 0) {
    throw new QueryError('bucket', `${formatBucket(bucketAsked)} neither divides a day nor is a whole number of days, so its buckets would not line up with the stored ones`);
  }
  const fromMs = request.from === undefined ? null : parseTimeBound(request.from, 'from', now);
  const toMs = request.to === undefined ? null : parseTimeBound(request.to, 'to', now);
  if (fromMs !== null && toMs !== null && toMs <= fromMs) {
    throw new QueryError('to', `must be after from (${new Date(fromMs).toISOString()} .. ${new Date(toMs).toISOString()})`);
  }

  return types.map((type) => {
    const dims = [...new Set([...groupBy, ...Object.keys(where)])];
    const pool = named ? [named] : config.rollups;
    const covering = pool.filter((r) => covers(r, type));
    if (covering.length === 0) {
      throw new QueryError(named ? 'rollup' : 'type', named
        ? `rollup "${named.name}" does not cover type "${type}": ${describeRollup(named)}`
        : `no rollup covers type "${type}" (rollups: ${config.rollups.map(describeRollup).join('; ')})`);
    }
    const grouping = covering.filter((r) => dims.every((d) => r.groupBy.includes(d)));
    if (grouping.length === 0) {
      const missing = dims.filter((d) => !covering.some((r) => r.groupBy.includes(d)));
      const known = [...new Set(covering.flatMap((r) => r.groupBy))];
      const option = groupBy.some((d) => missing.includes(d)) || missing.length === 0 ? 'groupBy' : 'where';
      if (named) throw new QueryError(option, `rollup "${named.name}" does not group by ${dims.filter((d) => !named.groupBy.includes(d)).map((d) => `"${d}"`).join(', ')} (it groups by: ${named.groupBy.join(', ') || 'nothing'})`);
      throw new QueryError(option,
        `no rollup of type "${type}" groups by ${(missing.length ? missing : dims).map((d) => `"${d}"`).join(', ')}` +
        ` (dimensions of its rollups: ${known.join(', ') || 'none'}; ${covering.map(describeRollup).join('; ')})`);
    }
    // The bucket: as asked, or the finest window any of these rollups keeps.
    const bucket = bucketAsked ?? Math.min(...grouping.flatMap((r) => r.windows));
    // Exact means every stored bucket lies inside one output bucket: the window divides it.
    const answering = grouping
      .map((r) => ({ r, window: Math.max(0, ...r.windows.filter((w) => bucket % w === 0)) }))
      .filter((c) => c.window > 0);
    if (answering.length === 0) {
      const windows = [...new Set(grouping.flatMap((r) => r.windows))].sort((a, b) => a - b);
      throw new QueryError('bucket', `${formatBucket(bucket)} is not a whole number of any stored window of type "${type}"` +
        ` (stored windows: ${windows.map(formatBucket).join(', ')}; buckets must be multiples of one of them)`);
    }
    // Coarsest window first (fewest rows to read), then the rollup with fewest dimensions (rows merged per bucket).
    answering.sort((a, b) => b.window - a.window || a.r.groupBy.length - b.r.groupBy.length);
    const { r: rollup, window } = answering[0]!;
    return {
      type, rollup, window, bucket,
      fromS: fromMs === null ? null : Math.floor(fromMs / 1000 / bucket) * bucket,
      toS: toMs === null ? null : Math.ceil(toMs / 1000 / bucket) * bucket,
      groupBy, where, top, by,
    };
  });
}
