// The shapes a rollup query takes and returns.
import type { RollupSet } from '../rollup/index.ts';

export interface RollupQuery {
  /** Event type (required). */
  type: string;
  /** Inclusive start: ISO-8601, epoch ms or a Date. Default: no lower bound. */
  from?: string | number | Date;
  /** Exclusive end: ISO-8601, epoch ms or a Date. Default: no upper bound. */
  to?: string | number | Date;
  /** Rollup name. Default: the first configured rollup covering the type, preferring one without group-by. */
  rollup?: string;
  /** Window in seconds. Default: the rollup's smallest window. */
  window?: number;
  /** Dimensions to break rows down by; each must be in the rollup's groupBy. Default: none. */
  groupBy?: string[];
  /** Only rows whose dimensions have these values; names must be in the rollup's groupBy. */
  dims?: Record<string, string>;
  /** The configuration that declares the rollups (a SluiceConfig will do). Default: DEFAULT_ROLLUPS. */
  config?: RollupSet;
}

export interface RollupRow {
  /** Bucket start, ISO-8601 UTC. */
  bucket: string;
  count: number;
  sum: number;
  /** The sum as an exact decimal string. */
  sumExact: string;
  min: number;
  max: number;
  /** The group-by values, when `groupBy` was asked for. */
  dims?: Record<string, string | null>;
  /** Approximate distinct count of the rollup's approxDistinct dimension, when it has one. */
  distinct?: number;
}

export interface RollupResult {
  rollup: string;
  window: number;
  rows: RollupRow[];
  totals: { count: number; sum: number; sumExact: string; min: number | null; max: number | null; distinct?: number };
}
