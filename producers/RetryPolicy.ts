// Which Kinesis failures are worth retrying, and how long to wait before the next
// attempt (exponential backoff with jitter). Pure: no clock, no I/O.

export type FailureKind = 'throttled' | 'retryable' | 'fatal';

const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'KMSThrottlingException', 'ThrottlingException', 'LimitExceededException']);
const TRANSIENT = new Set(['InternalFailure', 'InternalFailureException', 'ServiceUnavailable', 'ServiceUnavailableException', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutError']);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ERR_HTTP2_STREAM_ERROR', 'ERR_HTTP2_GOAWAY_SESSION', 'ERR_HTTP2_SESSION_ERROR']);

/**
 * Classifies an error code (and, for whole-call errors, the HTTP status) as
 * aws-semantics.md lists: throttling, KMS throttling, internal failures, 5xx and
 * network faults are retried; validation, access, not-found and KMS key state are not.
 */
export function classifyFailure(code: string, httpStatus?: number): FailureKind {
  if (THROTTLING.has(code)) return 'throttled';
  if (TRANSIENT.has(code) || NETWORK.has(code)) return 'retryable';
  if (httpStatus !== undefined && httpStatus >= 500) return 'retryable';
  return 'fatal';
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
