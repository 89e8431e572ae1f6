// The SQL of a rebuild (pure): read the aggregator's checkpoints under a share lock
// (live batches wait to move them until the rebuild commits), and delete a window's
// rows of the rebuilt buckets before the recomputed rows are inserted.
import { sqlParameters, TABLES } from '../schema/index.ts';
import type { Statement } from '../consumers/index.ts';
import type { WindowRange } from './RebuildPlan.ts';

/** Every checkpoint row, share-locked: (shard, partition key, applied sequence number as text). */
export function lockCheckpointsForRebuildStatement(): Statement {
  return {
    sql: `SELECT shard_id, partition_key, sequence_number::text FROM ${TABLES.checkpoints} WHERE sequence_number >= 0 FOR SHARE`,
    parameters: [],
  };
}

/** The same rows, unlocked (a dry run writes nothing). */
export function readCheckpointsStatement(): Statement {
  return {
    sql: `SELECT shard_id, partition_key, sequence_number::text FROM ${TABLES.checkpoints} WHERE sequence_number >= 0`,
    parameters: [],
  };
}

/** Deletes one rollup window's rows of the buckets in `range` (of one event type when given); returns the count. */
export function deleteRollupRangeStatement(rollup: string, range: WindowRange, eventType?: string): Statement {
  return {
    sql: `WITH d AS (
  DELETE FROM ${TABLES.rollups}
  WHERE rollup = :rollup AND window_s = :window AND bucket >= to_timestamp(:start) AND bucket < to_timestamp(:end)${eventType === undefined ? '' : ' AND event_type = :type'}
  RETURNING 1
)
SELECT count(*) FROM d`,
    parameters: sqlParameters({ rollup, window: range.windowS, start: range.startS, end: range.endS, ...(eventType === undefined ? {} : { type: eventType }) }),
  };
}
