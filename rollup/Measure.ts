// What a measure is: one aggregate a rollup row keeps, defined once for every place
// that handles it (accumulating events in the aggregator, the upsert's payload and
// merge, the query's re-bucketing aggregate, reading back by column name, combining
// read values into totals). The rollup row, the upsert and the query are generated
// from the list of measures (measures/index.ts), so a new measure is one file there
// plus the migration that adds its column.
import type { ScannedEvent } from '../core/index.ts';
import type { RollupConfig } from './RollupConfig.ts';

// Members are plain functions (`this: void`): the rollup code passes them around unbound.
export interface Measure<Name extends string = string, State = unknown, Value = unknown> {
  /** Name of its value in read-back rows and in query results (also the SQL alias). */
  readonly name: Name;
  /** Its column in sluice_rollups. */
  readonly column: string;
  /** The column's type, as jsonb_to_recordset reads the upsert payload. */
  readonly sqlType: string;
  /**
   * Its key in the upsert's JSON payload: short, since the payload carries it once per
   * row of every batch. Unique among measures and the row-key keys (r w t b k d).
   */
  readonly key: string;
  /** Largest size of its read-back value in a result row, in bytes (sizes result pages). */
  readonly readBytes: number;
  /** Whether a rollup keeps this measure; rows of other rollups store NULL. */
  kept(this: void, rollup: RollupConfig): boolean;

  /** The state of a new row from its first event; `distinct` is the rollup's approxDistinct value. */
  start(this: void, ev: ScannedEvent, distinct: string | undefined): State;
  /** The state after one more event (numbers are immutable, so it returns the state). */
  add(this: void, state: State, ev: ScannedEvent, distinct: string | undefined): State;
  /** The state as JSON text in the upsert payload, typed as `sqlType` reads it. */
  json(this: void, state: State): string;

  /**
   * How two values merge in SQL, written once as a pair: `merge` of the stored and an
   * incoming value (the upsert's ON CONFLICT), and `aggregate`, the same merge over
   * any number of rows (the query's re-bucketing). Tests hold them to the same result.
   */
  readonly sql: {
    merge(this: void, stored: string, incoming: string): string;
    aggregate(this: void, column: string): string;
  };

  /** The value from a read-back field: a Data API record field's value or a formattedRecords value. */
  read(this: void, value: unknown): Value;
  /** Two read values merged in TypeScript (totals over read rows). */
  combine(this: void, a: Value, b: Value): Value;
}
