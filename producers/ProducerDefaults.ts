// Every default of KinesisProducer (and of ShardPacker's packing options), written
// once: the settings read them from here, and producers/README.md's table of defaults
// is checked against this object (test/producer-defaults.test.ts), so docs and code
// cannot drift apart.
import { KINESIS, MiB } from '../core/index.ts';

export const PRODUCER_DEFAULTS = Object.freeze({
  /** Longest an event waits for its batch to fill before it is sent (ms). */
  maxBufferTimeMs: 100,
  /** Pack same-shard events into aggregated records. */
  aggregation: true,
  /** Largest KPL aggregate (the KPL's own default), bytes. */
  maxAggregateBytes: 51_200,
  /** Sluice's compressed aggregates: off, since other readers of a stream may not know them. */
  compression: false,
  /** Largest compressed aggregate before compression, bytes: compression makes it about five times smaller. */
  compressedMaxAggregateBytes: 262_144,
  /** Deflate level of `compression: true`. */
  compressionLevel: 6,
  /** The stream's record size limit (data + partition key), bytes. */
  maxRecordBytes: KINESIS.maxRecordBytes,
  /** Per-shard write rate the producer keeps itself under: the shard's own limits. */
  shardRateLimit: Object.freeze({ recordsPerSec: KINESIS.shardWriteRecordsPerSec, bytesPerSec: KINESIS.shardWriteBytesPerSec }),
  /** An event unacknowledged this long after send() fails (ms). */
  recordTtlMs: 30_000,
  /** Exponential backoff with equal jitter between retries (ms). */
  backoff: Object.freeze({ baseMs: 100, maxMs: 5_000 }),
  /** Buffered bytes (event data + partition keys) not yet acknowledged. */
  maxBufferedBytes: 64 * MiB,
  /** Buffered events not yet acknowledged. */
  maxBufferedEvents: 100_000,
  /** What send() does when the buffer is full. */
  onBufferFull: 'wait' as 'wait' | 'reject',
  /** Whether events of one partition key keep their order (at a cost in throughput). */
  ordering: 'none' as 'none' | 'perPartitionKey',
  /** PutRecords calls in flight at once. */
  maxConcurrentPuts: 16,
  /** A PutRecords call without an answer after this long is retried (ms). */
  putTimeoutMs: 30_000,
});
