// The event source mapping settings of each consumer, in one place: the CDK app
// deploys these and the local stack's runner plays them, so what is tested locally
// is what runs on AWS.

export interface ConsumerMapping {
  /** Records per invocation. */
  batchSize: number;
  /** Seconds to gather records before invoking with a smaller batch. */
  maximumBatchingWindowInSeconds: number;
  /** Concurrent batches per shard. */
  parallelizationFactor: number;
  /** Split a failing batch in two and retry each half. */
  bisectBatchOnFunctionError: boolean;
  /** -1 retries until the record expires. */
  maximumRetryAttempts: number;
  /** -1 keeps records until they expire from the stream. */
  maximumRecordAgeInSeconds: number;
  /** Lambda function timeout. */
  functionTimeoutSeconds: number;
  /**
   * Most invocations of the function at once, whatever the shard count and
   * parallelization factor: deployed as the function's reserved concurrency, played
   * by the local runner. undefined: no cap (shards x parallelization factor).
   */
  maxConcurrentInvocations: number | undefined;
}

/**
 * maxDatabaseWriters: the most transactions the aggregator ever holds open on the
 * database at once. Each invocation holds at most one, so this caps the aggregator's
 * concurrent invocations (AGGREGATOR_MAPPING.maxConcurrentInvocations). Without it,
 * writers grow with shards x ParallelizationFactor (100 shards x 10 = 1,000). Batches
 * over the cap wait: on AWS Lambda throttles the invocation and the event source
 * mapping retries it with backoff (records stay in the stream, IteratorAge grows,
 * nothing is dropped with the aggregator's unlimited retries and record age); the
 * local runner queues it. Larger batches then carry the same events in fewer
 * transactions.
 */
export const MAX_DATABASE_WRITERS = 4;

/**
 * The aggregator levels the flow: large batches make few statements, and it never
 * gives up on a batch (the stream is the buffer while the database is down), since
 * poison records are quarantined by the handler instead of failing the batch.
 */
export const AGGREGATOR_MAPPING: ConsumerMapping = {
  batchSize: 2000,
  maximumBatchingWindowInSeconds: 1,
  parallelizationFactor: 1,
  bisectBatchOnFunctionError: false,
  maximumRetryAttempts: -1,
  maximumRecordAgeInSeconds: -1,
  functionTimeoutSeconds: 60,
  maxConcurrentInvocations: MAX_DATABASE_WRITERS,
};

/** The archiver writes raw events to Firehose, which buffers again on its side. */
export const ARCHIVER_MAPPING: ConsumerMapping = {
  batchSize: 1000,
  maximumBatchingWindowInSeconds: 1,
  parallelizationFactor: 1,
  bisectBatchOnFunctionError: true,
  maximumRetryAttempts: -1,
  maximumRecordAgeInSeconds: -1,
  functionTimeoutSeconds: 60,
  maxConcurrentInvocations: undefined,
};

/** Names of the deployed resources, shared by the CDK app and the local stack. */
export const RESOURCE_NAMES = {
  stream: 'sluice-events',
  deliveryStream: 'sluice-archive',
  bucket: 'sluice-archive',
  database: 'sluice',
  aggregatorFunction: 'sluice-aggregator',
  archiverFunction: 'sluice-archiver',
} as const;
