// The rollup definition as sluice.config.json declares it: which aggregate rows the
// aggregator keeps, and the whitelist of names a query may use.

/** One rollup: a family of aggregate rows kept for some event types. */
export interface RollupConfig {
  /** Unique name, `^[a-z][a-z0-9_]{0,62}$`; stored with every row. */
  name: string;
  /** Event types it covers; `"*"` covers every type. */
  types: string[] | '*';
  /**
   * Dimension names it groups by (besides the event type). This list is the
   * whitelist: only these names are read from events or accepted by queries.
   * Default: none.
   */
  groupBy: string[];
  /** Window sizes in seconds (each divides a day), e.g. [60, 3600]. Default [60]. */
  windows: number[];
  /**
   * A dimension whose distinct values are counted approximately per row
   * (HyperLogLog, about 3% standard error). Default: none.
   */
  approxDistinct?: string;
}

/**
 * The part of the configuration that declares rollups: what the query side, replay
 * and the load test need (the whole configuration, SluiceConfig, extends it).
 * Every row always carries count, sum, min and max of `value`.
 */
export interface RollupSet {
  rollups: RollupConfig[];
}

/** What a configuration file may hold for one rollup: every field but the name optional. */
export type RollupConfigInput = Partial<RollupConfig> & { name: string };
