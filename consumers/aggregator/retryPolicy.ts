// When to try a failed batch transaction again: exponential backoff with full jitter,
// only while the invocation has time left for another attempt.

export interface RetryPolicy {
  /** First backoff ceiling. Default 100 ms. */
  baseDelayMs: number;
  /** Largest backoff ceiling. Default 5 s. */
  maxDelayMs: number;
  /** Time kept free at the end of the invocation to answer Lambda. Default 3 s. */
  reserveMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 100, maxDelayMs: 5_000, reserveMs: 3_000 };

/** The backoff before attempt `attempt` (1 = first retry), with full jitter. */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(random() * ceiling);
}

/**
 * Whether another attempt fits: the delay plus the time the last attempt took must
 * leave `reserveMs` before the invocation's deadline.
 */
export function canRetry(policy: RetryPolicy, remainingMs: number, delayMs: number, lastAttemptMs: number): boolean {
  return remainingMs - delayMs - lastAttemptMs > policy.reserveMs;
}
