// Types of the local Lambda event source mapping runner for Kinesis.
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';

export type KinesisHandler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse | void>;

export type StartingPosition = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';

/** The settings of a Lambda event source mapping, plus what the local runner needs. */
export interface EventSourceRunnerOptions {
  kinesis: KinesisClient;
  streamName: string;
  functionName: string;
  handler: KinesisHandler;
  /** Records per invocation. Default 100, at most 10,000; a batch also stays under the 6 MB payload. */
  batchSize?: number;
  /** Seconds to gather records before invoking with a batch that is not full. Default 0, at most 300. */
  maximumBatchingWindowInSeconds?: number;
  /** Concurrent batches per shard (order kept per partition key). Default 1, 1..10. */
  parallelizationFactor?: number;
  /**
   * Most invocations running at once across every shard and lane, as the function's
   * reserved concurrency caps them on AWS; the others wait their turn. An invocation
   * holds its slot until its handler settles, even past the function timeout (its
   * work, a database transaction say, may still be open). Default: no limit.
   */
  maxConcurrentInvocations?: number;
  /** Split a batch in two when the function fails on it. Default false. */
  bisectBatchOnFunctionError?: boolean;
  /** Retries of a failing batch before it goes to the on-failure destination; -1 forever. Default -1, at most 10,000. */
  maximumRetryAttempts?: number;
  /** Records older than this are not delivered any more; -1 forever. Default -1, else 60..604,800. */
  maximumRecordAgeInSeconds?: number;
  /** FunctionResponseTypes ReportBatchItemFailures: honour partial batch responses. Default true. */
  reportBatchItemFailures?: boolean;
  /** Where a shard without a checkpoint starts. Default TRIM_HORIZON. */
  startingPosition?: StartingPosition;
  /** For AT_TIMESTAMP. */
  startingPositionTimestamp?: Date;
  /** Called with each on-failure record (after it is written to onFailureDir, if set). */
  onFailure?: (record: OnFailureRecord) => void | Promise<void>;
  /** Directory that receives each on-failure record as a JSON file, like an S3 destination. */
  onFailureDir?: string;
  /** File holding the last fully processed sequence number of each shard. Default: none (positions kept in memory). */
  checkpointPath?: string;
  /** Function timeout: the context's remaining time counts down from it, and an invocation running longer fails. Default 60,000. */
  functionTimeoutMs?: number;
  /** memoryLimitInMB reported in the context. Default 128. */
  memoryLimitInMB?: number;
  /** Wait between polls of a shard that is at its tip. Default 1,000 ms (as Lambda), never under 200 ms (5 calls/s per shard). */
  pollIntervalMs?: number;
  /** First back-off before retrying a failed batch, doubling up to retryMaxDelayMs. Default 100 ms. */
  retryBaseDelayMs?: number;
  /** Default 5,000 ms. */
  retryMaxDelayMs?: number;
  /** Region and account in ARNs. Default us-east-1 / 000000000000. */
  region?: string;
  accountId?: string;
  /** The time used to age records and stamp on-failure records. Default Date.now (tests move it forward). */
  clock?: () => number;
  /** Where the runner reports errors it recovers from (GetRecords failures...). Default stderr. */
  log?: (line: string) => void;
}

/** What Lambda sends to an on-failure destination for a Kinesis batch: metadata only. */
export interface OnFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    approximateInvokeCount: number;
  };
  responseContext: {
    statusCode: number;
    executedVersion: string;
    functionError?: string;
  };
  version: '1.0';
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export interface ShardStats {
  /** Last fully processed sequence number (the checkpoint). */
  checkpoint: string | undefined;
  /** Records read but not yet processed. */
  buffered: number;
  inFlightBatches: number;
  /** MillisBehindLatest of the last GetRecords answer. */
  millisBehindLatest: number | undefined;
  /** The shard is closed and was read to its end. */
  ended: boolean;
  /** Closed, drained and checkpointed: its children may run. */
  finished: boolean;
}

export interface RunnerStats {
  invocations: number;
  /** Batches the function completed (settled by success, partial success, or on-failure). */
  batches: number;
  /** Records settled: processed successfully or sent to the on-failure destination. */
  records: number;
  /** Invocations that threw, timed out, or reported item failures. */
  errors: number;
  partialFailures: number;
  retries: number;
  bisections: number;
  /** Records given up on and described to the on-failure destination. */
  recordsToOnFailure: number;
  /** The most invocations that ran at once, and how many had to wait for a slot (maxConcurrentInvocations). */
  peakConcurrentInvocations: number;
  throttledInvocations: number;
  /** Age of the last record of the last batch when the function finished it. */
  iteratorAgeMs: number;
  maxIteratorAgeMs: number;
  shards: Record<string, ShardStats>;
}
