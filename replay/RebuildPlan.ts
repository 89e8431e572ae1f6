// Which buckets a replay rebuilds: for each chosen rollup and window, the whole buckets
// that lie inside [from, to) and ended at least the settle time ago. A bucket cut by
// the range, or still open to live traffic, is left as it is. Pure: no I/O.
import type { RollupConfig } from '../rollup/index.ts';

/** A run of whole buckets of one window: [startS, endS) in epoch seconds, bucket-aligned. */
export interface WindowRange {
  windowS: number;
  startS: number;
  endS: number;
}

export interface RollupRebuildPlan {
  rollup: RollupConfig;
  /** Windows with at least one bucket to rebuild. */
  ranges: WindowRange[];
  /** Windows of the rollup with no whole settled bucket in the range. */
  windowsWithoutBuckets: number[];
}

/**
 * `fromMs`/`toMs`: the asked range; `settledBeforeMs`: buckets must end at or before
 * this (now minus the settle time).
 */
export function planRebuild(rollups: RollupConfig[], fromMs: number, toMs: number, settledBeforeMs: number): RollupRebuildPlan[] {
  const fromS = Math.ceil(fromMs / 1000);
  const limitS = Math.floor(Math.min(toMs, settledBeforeMs) / 1000);
  return rollups.map((rollup) => {
    const ranges: WindowRange[] = [];
    const windowsWithoutBuckets: number[] = [];
    for (const w of rollup.windows) {
      const startS = Math.ceil(fromS / w) * w;
      const endS = Math.floor(limitS / w) * w;
      if (endS > startS) ranges.push({ windowS: w, startS, endS });
      else windowsWithoutBuckets.push(w);
    }
    return { rollup, ranges, windowsWithoutBuckets };
  });
}

/** Buckets a range holds. */
export function bucketCount(r: WindowRange): number {
  return (r.endS - r.startS) / r.windowS;
}
