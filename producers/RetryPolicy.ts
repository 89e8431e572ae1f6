// Which Kinesis failures are worth retrying (the wait before the next attempt is
// core's backoff with equal jitter). Pure: no clock, no I/O.

export type FailureKind = 'throttled' | 'retryable' | 'fatal';

const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'KMSThrottlingException', 'ThrottlingException', 'LimitExceededException']);
const TRANSIENT = new Set(['InternalFailure', 'InternalFailureException', 'ServiceUnavailable', 'ServiceUnavailableException', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutError']);
/** Failures without an HTTP answer that retrying cannot fix: no credentials, or a bug. */
const LOCAL_FATAL = new Set(['CredentialsProviderError', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'ProducerConfigError']);

/**
 * Classifies a failure as aws-semantics.md lists. `httpStatus` is the status of the
 * answer (200 for a per-record error inside a PutRecords response), or undefined
 * when no answer came (a network fault or timeout: the records may or may not have
 * landed, and retrying is right because the producer resends them byte for byte, so
 * the consumer knows a copy by its record identity).
 *  - throttling and KMS throttling: 'throttled';
 *  - internal failures, 5xx and network faults: 'retryable';
 *  - any other service answer (validation, access, not found, KMS key state): 'fatal'.
 */
export function classifyFailure(code: string, httpStatus?: number): FailureKind {
  if (THROTTLING.has(code)) return 'throttled';
  if (TRANSIENT.has(code)) return 'retryable';
  if (httpStatus === undefined) return LOCAL_FATAL.has(code) ? 'fatal' : 'retryable';
  return httpStatus >= 500 ? 'retryable' : 'fatal';
}
