// The aggregator consumer: Kinesis batches to exact rollups through the Data API.
export { createAggregatorHandler } from './createAggregatorHandler.ts';
export type { AggregatorDeps, AggregatorHandler, AggregatorBatchReport } from './createAggregatorHandler.ts';
export { applyBatch } from './applyBatch.ts';
export type { BatchOutcome } from './applyBatch.ts';
export { decodeBatch, decodeRecord, shardIdOf } from './decodeBatch.ts';
export {
  lockCheckpointsStatements, recordRecordIdsStatements, recordEventIdsStatements, quarantineStatements, upsertRollupStatements,
  advanceCheckpointsStatements, pruneStatements, pruneShardIdsStatement, MAX_CHECKPOINT_KEYS_PER_STATEMENT, MAX_EVENT_IDS_PER_STATEMENT,
  MAX_RECORD_IDS_PER_STATEMENT, DEFAULT_IDLE_IN_TRANSACTION_TIMEOUT_MS,
} from './batchStatements.ts';
export type { Statement, CheckpointKey, EventIdGroup, RecordIdentity, ShardStreamTime } from './batchStatements.ts';
export { classifyDataApiError } from './dataApiErrors.ts';
export type { DataApiFailureKind } from './dataApiErrors.ts';
export { retryDelayMs, canRetry, DEFAULT_RETRY_POLICY } from './retryPolicy.ts';
export type { RetryPolicy } from './retryPolicy.ts';
export { BatchNotAppliedError } from './errors.ts';
export type { DecodedRecord, PoisonRecord, RecordPosition } from './types.ts';
export { AGGREGATOR_METRICS, METRICS_NAMESPACE } from './metricNames.ts';
