// The SQL that reads rollup rows merged into buckets: the stored window's buckets, or
// coarser ones (a whole number of stored windows), each measure merged by its own
// SQL aggregate and named after the measure, so readMeasures finds it by name.
import { BucketSizeError } from './errors.ts';
import type { Measure } from './Measure.ts';
import { MEASURES } from './measures/index.ts';
import type { RollupConfig } from './RollupConfig.ts';

const ALL_MEASURES: readonly Measure[] = MEASURES as readonly Measure[];

/** The column label of the bucket start (epoch seconds) in a re-bucketed row. */
export const BUCKET_COLUMN = 'bucket_s';

export interface RebucketSelect {
  /** Epoch seconds of the bucket start, for the select list and GROUP BY (no alias). */
  bucket: string;
  /** One aggregate per measure the rollup keeps, each `AS "<measure name>"`. */
  measures: string[];
  /** The most bytes the measures of one result row may take (size pages by it). */
  measureBytes: number;
}

/**
 * Select-list pieces over the rollup rows aliased `alias`, stored in windows of
 * `windowS` seconds, merged into buckets of `bucketS` seconds (default: the stored
 * window). `bucketS` must be a whole multiple of `windowS`; buckets start at
 * multiples of `bucketS` since the epoch, as stored buckets do.
 */
export function rebucketSelect(rollup: RollupConfig, options: { alias?: string; windowS: number; bucketS?: number }): RebucketSelect {
  const a = options.alias ?? 'r';
  const bucketS = options.bucketS ?? options.windowS;
  if (!Number.isSafeInteger(bucketS) || bucketS <= 0 || bucketS % options.windowS !== 0) {
    throw new BucketSizeError(bucketS, options.windowS);
  }
  const epoch = `CAST(extract(epoch FROM ${a}.bucket) AS bigint)`;
  const kept = ALL_MEASURES.filter((m) => m.kept(rollup));
  return {
    // bucketS is a checked integer, so it may sit in the SQL text.
    bucket: bucketS === options.windowS ? epoch : `(${epoch} - mod(${epoch}, ${bucketS}))`,
    measures: kept.map((m) => `${m.sql.aggregate(`${a}.${m.column}`)} AS "${m.name}"`),
    measureBytes: kept.reduce((n, m) => n + m.readBytes, 0),
  };
}
