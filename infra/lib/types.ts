// Settings shared by more than one construct of the CDK app.
import type { Duration } from 'aws-cdk-lib';

/**
 * How Lambda reads the stream for one consumer (the Kinesis event source mapping).
 * Every unset field takes the consumer's value in core `AGGREGATOR_MAPPING` /
 * `ARCHIVER_MAPPING` (core/mappings.ts), the settings the local runner plays, so
 * what is tested locally is what is deployed. Partial batch responses
 * (ReportBatchItemFailures) are always on: both handlers return them.
 */
export interface StreamConsumerSettings {
  /** Records per invocation (1..10,000; Lambda also stops at 6 MB). @default the mapping's batchSize */
  readonly batchSize?: number;
  /** How long to gather records before invoking (0..300 s). @default the mapping's maximumBatchingWindowInSeconds */
  readonly maxBatchingWindow?: Duration;
  /**
   * Concurrent batches per shard (1..10). Order is then kept per partition key
   * only; the aggregator's checkpoint stays exact at any factor.
   * @default the mapping's parallelizationFactor
   */
  readonly parallelizationFactor?: number;
  /** Split a failing batch in two and retry each half (splits are not retries). @default the mapping's bisectBatchOnFunctionError */
  readonly bisectBatchOnError?: boolean;
  /**
   * Retries of a failing batch before its failure record goes to the on-failure
   * queue: -1 retries until the batch is older than `maxRecordAge`, else 0..10,000.
   * @default the mapping's maximumRetryAttempts
   */
  readonly retryAttempts?: number;
  /**
   * Oldest record Lambda still delivers (60 s .. 7 days, below the stream's
   * retention); older batches go to the on-failure queue while the stream still
   * holds their records. A mapping value of -1 becomes 3/4 of the retention
   * (`lagPolicy`), never "until the stream drops them", which would lose them unseen.
   * @default the mapping's maximumRecordAgeInSeconds, or lagPolicy(retention) for -1
   */
  readonly maxRecordAge?: Duration;
  /**
   * Most invocations of the function at once, deployed as its reserved concurrency
   * (1..1,000). For the aggregator this is maxDatabaseWriters: the most transactions
   * it holds open on Aurora, whatever the shard count and parallelization factor.
   * Batches over it are throttled; the event source mapping retries them with backoff
   * and the records wait in the stream (IteratorAge grows; the aggregator's unlimited
   * retries and record age drop nothing).
   * @default the mapping's maxConcurrentInvocations (none for the archiver)
   */
  readonly maxConcurrentInvocations?: number;
  /** Function memory in MB. @default 512 */
  readonly memorySize?: number;
  /**
   * Function timeout. It bounds the time the handler spends retrying Data API
   * throttling and DatabaseResumingException inside one invocation.
   * @default the mapping's functionTimeoutSeconds
   */
  readonly timeout?: Duration;
}

/** The query API's Lambda handler, served behind the ingest API's authorization. */
export interface QueryRouteProps {
  /** Entry file relative to the repository root, e.g. `query/lambda.ts`. */
  readonly entry: string;
  /** Exported handler name. @default 'handler' */
  readonly handler?: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
}
