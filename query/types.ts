// The shapes a rollup query takes and returns: QueryRequest (what every front builds
// from its flags or parameters) and QueryResult (one section per event type), plus
// the single-type RollupQuery/RollupResult that queryRollups keeps for its callers.
import type { RollupSet } from '../rollup/index.ts';

/** The measures top-N can rank by (distinct is an estimate, not a total order over merged sketches). */
export const RANKING_MEASURES = ['count', 'sum', 'min', 'max'] as const;
export type RankingMeasure = (typeof RANKING_MEASURES)[number];

export interface QueryRequest {
  /** Event types (at least one); each gets its own section of the result. */
  types: string[];
  /** Inclusive start: ISO-8601, epoch ms, `now`, `-1h`..., or a Date. Widened down to its bucket's start. Default: no lower bound. */
  from?: string | number | Date;
  /** Exclusive end, same forms. Widened up to its bucket's end. Default: no upper bound. */
  to?: string | number | Date;
  /** Bucket size: seconds, or `5m`, `1h`, `1d`; a multiple of a stored window. Default: the finest stored window. */
  bucket?: string | number;
  /** Dimensions to break rows down by. Default: none. */
  groupBy?: string[];
  /** Only rows whose dimension has one of the values (`=` is a list of one). */
  where?: Record<string, string[]>;
  /** Keep only the N groups ranking first by `by` (needs groupBy). Default: every group. */
  top?: number;
  /** The measure top-N ranks by, largest first. Default `count`. */
  by?: RankingMeasure;
  /** Read this rollup. Default: chosen from the types, dimensions and bucket (the coarsest stored window that answers exactly). */
  rollup?: string;
}

export interface QueryOptions {
  /** The rollups the configuration declares (a SluiceConfig will do). */
  config: RollupSet;
  /** The clock relative bounds count from (epoch ms). Default Date.now(). */
  now?: number;
}

/** count, sum, min and max merge exactly; distinct is merged from the sketches. */
export interface MeasureValues {
  count: number;
  sum: number;
  /** The sum as an exact decimal string. */
  sumExact: string;
  /** null when nothing was counted. */
  min: number | null;
  max: number | null;
  /** Approximate distinct count, when the rollup keeps a sketch. */
  distinct?: number;
}

export interface QueryRow extends MeasureValues {
  /** Bucket start, ISO-8601 UTC. */
  bucket: string;
  /** The group-by values (null: events without that dimension). */
  dims?: Record<string, string | null>;
}

export interface QueryGroup extends MeasureValues {
  dims: Record<string, string | null>;
}

export interface TypeResult {
  type: string;
  /** The rollup read and its stored window (seconds). */
  rollup: string;
  window: number;
  /** Whether rows carry `distinct` (the rollup keeps a sketch), and of which dimension. */
  distinctOf: string | null;
  /** Bucket by bucket (by group when asked), oldest first. */
  rows: QueryRow[];
  /** One per group over the whole range, ranked by `by` (the top N when asked); empty without groupBy. */
  groups: QueryGroup[];
  /** Over the whole range and every group (top-N or not). */
  totals: MeasureValues;
}

export interface QueryResult {
  /** The range read, after widening to whole buckets (null: unbounded). */
  from: string | null;
  to: string | null;
  /** Bucket size in seconds. */
  bucket: number;
  groupBy: string[];
  where: Record<string, string[]>;
  top: number | null;
  by: RankingMeasure;
  results: TypeResult[];
}

/** The single-type query `queryRollups` answers (the loader, load test and older callers). */
export interface RollupQuery {
  /** Event type (required). */
  type: string;
  /** Inclusive start: ISO-8601, epoch ms, relative (`-1h`) or a Date. Default: no lower bound. */
  from?: string | number | Date;
  /** Exclusive end, same forms. Default: no upper bound. */
  to?: string | number | Date;
  /** Rollup name. Default: chosen automatically. */
  rollup?: string;
  /** Bucket size in seconds. Default: the finest stored window. */
  window?: number;
  /** Dimensions to break rows down by. Default: none. */
  groupBy?: string[];
  /** Only rows whose dimensions have these values. */
  dims?: Record<string, string>;
  /** The rollups the configuration declares (a SluiceConfig will do). Default: DEFAULT_ROLLUPS. */
  config?: RollupSet;
}

export interface RollupRow {
  bucket: string;
  count: number;
  sum: number;
  sumExact: string;
  min: number;
  max: number;
  dims?: Record<string, string | null>;
  distinct?: number;
}

export interface RollupResult {
  rollup: string;
  window: number;
  rows: RollupRow[];
  totals: { count: number; sum: number; sumExact: string; min: number | null; max: number | null; distinct?: number };
}
