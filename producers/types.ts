// The producer's public types: one options object (every default is in
// PRODUCER_DEFAULTS, ProducerDefaults.ts), what send() resolves with, and what close() reports.
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { EventInput } from '../core/index.ts';
import type { PackingOptions } from './PackingSettings.ts';
import type { ProducerError } from './errors.ts';

/** Per-shard write rate the producer keeps itself under. */
export interface ShardRateLimit {
  recordsPerSec: number;
  bytesPerSec: number;
}

export interface BackoffOptions {
  /** First retry waits up to this long (ms). Default `PRODUCER_DEFAULTS.backoff.baseMs`. */
  baseMs?: number;
  /** No retry waits longer (ms). Default `PRODUCER_DEFAULTS.backoff.maxMs`. */
  maxMs?: number;
}

/** Options of a KinesisProducer; the packing ones (`PackingOptions`) are documented there. */
export interface ProducerOptions extends PackingOptions {
  /** The SDK client the producer puts records with. */
  client: KinesisClient;
  /** Target stream by name. One of `streamName` / `streamARN` is required. */
  streamName?: string;
  /** Target stream by ARN (wins over `streamName`). */
  streamARN?: string;
  /** Longest an event waits for its batch to fill before it is sent (ms). Default `PRODUCER_DEFAULTS.maxBufferTimeMs`. */
  maxBufferTimeMs?: number;
  /** Per-shard token bucket limits; false turns them off. Default `PRODUCER_DEFAULTS.shardRateLimit` (a shard's write limits). */
  shardRateLimit?: ShardRateLimit | false;
  /** An event still unacknowledged this long after send() fails with RetriesExhaustedError (ms). Default `PRODUCER_DEFAULTS.recordTtlMs`. */
  recordTtlMs?: number;
  /** Exponential backoff with jitter between retries. Default `PRODUCER_DEFAULTS.backoff`. */
  backoff?: BackoffOptions;
  /** Buffered bytes (event data + partition keys) not yet acknowledged. Default `PRODUCER_DEFAULTS.maxBufferedBytes`. */
  maxBufferedBytes?: number;
  /** Buffered events not yet acknowledged. Default `PRODUCER_DEFAULTS.maxBufferedEvents`. */
  maxBufferedEvents?: number;
  /** When the buffer is full: 'wait' (send() waits for room) or 'reject' (BufferFullError). Default `PRODUCER_DEFAULTS.onBufferFull`. */
  onBufferFull?: 'wait' | 'reject';
  /**
   * 'perPartitionKey' keeps the order of events with the same partition key, even
   * across retries: one record in flight per shard, and a failed one holds back
   * those behind it. 'none' gives more throughput. Default `PRODUCER_DEFAULTS.ordering`.
   */
  ordering?: 'none' | 'perPartitionKey';
  /** PutRecords calls in flight at once. Default `PRODUCER_DEFAULTS.maxConcurrentPuts`. */
  maxConcurrentPuts?: number;
  /**
   * A PutRecords call without an answer after this long is abandoned and its records
   * retried (they may have landed: event ids let consumers drop duplicates), ms.
   * Default `PRODUCER_DEFAULTS.putTimeoutMs`.
   */
  putTimeoutMs?: number;
}

export interface SendOptions {
  /** Partition key (1..256 characters). Default: the event id, which spreads events evenly. */
  partitionKey?: string;
  /** Decimal 128-bit hash key that picks the shard instead of the partition key's MD5. */
  explicitHashKey?: string;
}

/** One event of sendBatch(), with its routing options. */
export interface BatchRecord extends SendOptions {
  event: EventInput;
}

/** Where an event landed. */
export interface SendResult {
  eventId: string;
  shardId: string;
  sequenceNumber: string;
  /** Position inside the aggregated record (0 for a plain record). */
  subSequenceNumber: number;
  /** Put attempts it took (1 = no retry). */
  attempts: number;
}

export interface CloseOptions {
  /** Give up on what is not acknowledged by then (epoch ms or Date). Default: wait for every event (bounded by its TTL). */
  deadline?: number | Date;
}

export interface UnsentEvent {
  eventId: string;
  partitionKey: string;
  error: ProducerError;
}

/** What close() achieved for the events outstanding when it was called. */
export interface CloseReport {
  /** Events acknowledged by Kinesis during close. */
  sent: number;
  /** Events that failed or ran out of time, each with its error. */
  unsent: UnsentEvent[];
}
