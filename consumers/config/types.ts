// The typed shape of sluice.config.json: which rollups the aggregator keeps (their
// definition is rollup/'s RollupSet) and how long it remembers event ids.
import type { RollupConfigInput, RollupSet } from '../../rollup/index.ts';

/** The whole configuration: the rollups plus the aggregator's horizons. */
export interface SluiceConfig extends RollupSet {
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
  rollups?: RollupConfigInput[];
  dedupHorizonSeconds?: number;
  checkpointRetentionSeconds?: number;
}
