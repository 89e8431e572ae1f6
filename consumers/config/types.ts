// The typed shape of sluice.config.json: which rollups the aggregator keeps and how
// long it remembers event ids.

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

/** The whole configuration. Every row always carries count, sum, min and max of `value`. */
export interface SluiceConfig {
  rollups: RollupConfig[];
  /**
   * Stream-time seconds within which two copies of an event id count once: copies
   * whose Kinesis arrival times are at most this far apart (a producer retry arrives
   * within its record time-to-live, 30 s by default). Measured per shard in stream
   * time, so time the consumer spends down or behind does not count. With a
   * ParallelizationFactor above 1 it must also exceed the stream-time spread of a
   * shard's concurrent batches. Default 900 (15 minutes), at most 7 days.
   */
  dedupHorizonSeconds: number;
  /**
   * Seconds a (shard, partition key) checkpoint is kept after its last use; must be
   * at least the stream's retention, or a very late re-delivery could apply twice.
   * Default 8 days (the stream keeps records 24 h by default, 7 days at most here).
   */
  checkpointRetentionSeconds: number;
}

/** What a configuration file may hold: every field optional. */
export interface SluiceConfigInput {
  rollups?: Array<Partial<RollupConfig> & { name: string }>;
  dedupHorizonSeconds?: number;
  checkpointRetentionSeconds?: number;
}
