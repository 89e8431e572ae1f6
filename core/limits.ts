// Service limits sluice honours, in one place: the producer, the consumers and the
// local emulators import these, so an emulator can never be laxer than the code
// that runs against AWS. Values come from ../shared/reference/aws-semantics.md.

export const MiB = 1024 * 1024;
export const KiB = 1024;

/** Kinesis Data Streams. */
export const KINESIS = {
  /** PutRecords: records per call. */
  maxRecordsPerPut: 500,
  /** PutRecords: bytes per call (data + partition keys). */
  maxBytesPerPut: 5 * MiB,
  /**
   * Largest request body read (5 MiB of data and keys in base64 plus JSON framing);
   * a larger one is answered 413 without being buffered, as Kinesis does.
   */
  maxRequestBytes: 7 * MiB,
  /** Default maximum record size (data + partition key). */
  maxRecordBytes: 1 * MiB,
  /** Partition key length in Unicode characters. */
  maxPartitionKeyChars: 256,
  /** Per-shard write limits. */
  shardWriteRecordsPerSec: 1000,
  shardWriteBytesPerSec: 1 * MiB,
  /** Per-shard read limits. */
  shardReadCallsPerSec: 5,
  shardReadBytesPerSec: 2 * MiB,
  maxGetRecordsLimit: 10_000,
  /** Largest 128-bit hash key. */
  maxHashKey: (1n << 128n) - 1n,
} as const;

/** Lambda event source mapping for Kinesis. */
export const LAMBDA_ESM = {
  defaultBatchSize: 100,
  maxBatchSize: 10_000,
  maxPayloadBytes: 6 * 1000 * 1000,
  maxBatchingWindowSeconds: 300,
  maxParallelizationFactor: 10,
  /** Reserved concurrency of one function: at most the account's concurrency (1,000 unless raised). */
  maxReservedConcurrency: 1000,
} as const;

/** RDS Data API (Aurora PostgreSQL). */
export const DATA_API = {
  maxRequestBytes: 4 * MiB,
  maxResponseBytes: 1 * MiB,
  /** The formattedRecords string (formatRecordsAs JSON), documented as 10 MB. */
  maxFormattedRecordsBytes: 10 * 1000 * 1000,
  maxRowBytes: 64 * KiB,
  statementTimeoutMs: 45_000,
  transactionIdleTimeoutMs: 3 * 60_000,
  transactionMaxLifetimeMs: 24 * 60 * 60_000,
} as const;

/** Amazon Data Firehose. */
export const FIREHOSE = {
  maxRecordsPerBatch: 500,
  maxBytesPerBatch: 4 * MiB,
  maxRecordBytes: 1000 * KiB,
  defaultBufferBytes: 5 * MiB,
  defaultBufferIntervalMs: 300_000,
} as const;
