// Types of the archiver consumer.
import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';

export interface ArchiverDeps {
  firehose: FirehoseClient;
  /** Delivery stream that receives the raw events, one JSON line each. */
  deliveryStreamName: string;
  /**
   * Delivery stream for records that cannot be archived as event lines (corrupt KPL
   * aggregates, non-JSON data, lines over the Firehose record limit). Default: the
   * main delivery stream, where such lines are `{"sluiceArchiveError":{...}}`.
   */
  errorDeliveryStreamName?: string;
  /** Default: a Powertools Logger with service `sluice-archiver`. */
  logger?: Logger;
  /** Default: Powertools Metrics in namespace `sluice`, service `archiver`. */
  metrics?: Metrics;
  /** Retry policy for failed Firehose entries. */
  retry?: Partial<ArchiveRetryPolicy>;
}

export interface ArchiveRetryPolicy {
  /** First back-off delay. Default 100 ms. */
  baseDelayMs: number;
  /** Longest back-off delay. Default 2,000 ms. */
  maxDelayMs: number;
  /** Attempts per PutRecordBatch chunk, the first included. Default 10. */
  maxAttempts: number;
  /** Time left in the invocation below which no further retry starts. Default 3,000 ms. */
  reserveMs: number;
}

/** One newline-terminated line and the position in the Lambda batch of the Kinesis record it came from. */
export interface ArchiveLine {
  line: Buffer;
  recordIndex: number;
}

/** One Firehose record: whole lines, at most FIREHOSE.maxRecordBytes, and the earliest batch position among them. */
export interface PackedRecord {
  data: Buffer;
  firstRecordIndex: number;
  lines: number;
}
