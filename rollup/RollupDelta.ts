// The change one batch makes to one rollup row, and the typed views of the measures
// it carries (derived from the measure list, so a new measure needs no edit here).
import type { Measure } from './Measure.ts';
import type { MEASURES } from './measures/index.ts';

type AnyMeasure = (typeof MEASURES)[number];
type StateOf<M> = M extends Measure<string, infer S, unknown> ? S : never;
type ValueOf<M> = M extends Measure<string, unknown, infer V> ? V : never;

/** The name of a measure (`count`, `sum`, ...). */
export type MeasureName = AnyMeasure['name'];

/** Each measure's accumulated state in a delta; null when the rollup does not keep it. */
export type MeasureStates = { [M in AnyMeasure as M['name']]: StateOf<M> | null };

/** Each measure's value read back from a result row; absent when the rollup does not keep it. */
export type MeasureValues = { [M in AnyMeasure as M['name']]?: ValueOf<M> };

export interface RollupDelta {
  rollup: string;
  windowS: number;
  eventType: string;
  /** Bucket start, seconds since the epoch. */
  bucketS: number;
  /** JSON array of the group-by values, in the rollup's groupBy order. */
  dimKey: string;
  dims: Record<string, string | null>;
  /** One state per measure, aligned with MEASURES; null where the rollup does not keep it. */
  states: readonly unknown[];
  /** The same states by measure name. */
  measures: MeasureStates;
}
