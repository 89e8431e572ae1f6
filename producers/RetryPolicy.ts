// Which Kinesis failures are worth retrying, and how long to wait before the next
// attempt (exponential backoff with jitter). Pure: no clock, no I/O.

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

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (1-based): half of min(max, base * 2^(attempt-1))
 * fixed, half random ("equal jitter"), so producers that failed together spread out
 * while each still waits a growing minimum.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return ceiling / 2 + random() * (ceiling / 2);
}
