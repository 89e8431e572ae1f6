// The producer SDK's public surface: KinesisProducer, its options and results, its
// typed errors, and the HTTP ingest front door (POST /v1/events).
export { KinesisProducer } from './KinesisProducer.ts';
export { PRODUCER_DEFAULTS } from './ProducerDefaults.ts';
export { COMPRESSED_RECORD_LEVEL, DEFAULT_RECORD_FORMAT, compressionFor, recordFormatFromEnv } from './RecordFormat.ts';
export type { RecordFormat } from './RecordFormat.ts';
export { ShardPacker } from './ShardPacker.ts';
export type { PackingOptions } from './PackingSettings.ts';
export { RecordEncoder, blankRecord } from './RecordEncoder.ts';
export type { EncodedRecord } from './RecordEncoder.ts';
export type {
  ProducerOptions, SendOptions, SendResult, BatchRecord, CloseOptions, CloseReport, UnsentEvent, ShardRateLimit, BackoffOptions,
} from './types.ts';
export {
  ProducerError, ProducerConfigError, ProducerClosedError, BufferFullError, InvalidRoutingKeyError, RecordTooLargeError,
  NonRetryableSendError, RetriesExhaustedError, CloseDeadlineError, ShardMapError,
} from './errors.ts';
export { LatencyHistogram } from './ProducerMetrics.ts';
export type { ProducerMetricsSnapshot } from './ProducerMetrics.ts';
export { AggregateBuilder, plainEntry, plainRecordSize, recordDataBytes, laneKey, LANE_KEY_BYTES, aggregateOfOneSize } from './AggregateBuilder.ts';
export type { PackableRecord, PutEntry } from './AggregateBuilder.ts';
export { nextPutBatch, splitPutBatches, PUT_BATCH_LIMITS } from './PutBatch.ts';
export type { PutBatchLimits } from './PutBatch.ts';
export { classifyFailure } from './RetryPolicy.ts';
export type { FailureKind } from './RetryPolicy.ts';
export { TokenBucket, ShardRateLimiter } from './TokenBucket.ts';
export { ShardMap, loadShardMap } from './ShardMap.ts';
export { createIngestHandler } from './ingest/IngestHandler.ts';
export { createIngestServer } from './ingest/IngestServer.ts';
export { handleIngest, INGEST_PATH, INGEST_DEFAULTS } from './ingest/IngestService.ts';
export type { EventSink, IngestOptions, IngestRequest, IngestResponse, IngestResult, EventResult } from './ingest/IngestService.ts';
export { parseIngestBody } from './ingest/IngestBody.ts';
export { signIngestRequest, apiGatewayRegion } from './ingest/signIngestRequest.ts';
export type { SignOptions } from './ingest/signIngestRequest.ts';
export { IngestRequestError } from './ingest/errors.ts';
