// When to try a failed batch transaction again: core's backoff with full jitter,
// only while the invocation has time left for another attempt.
import { backoffDelayMs } from '../../core/index.ts';

export interface RetryPolicy {
  /** First backoff ceiling. Default 100 ms. */
  baseDelayMs: number;
  /** Largest backoff ceiling. Default 5 s. */
  maxDelayMs: number;
  /** Time kept free at the end of the invocation to answer Lambda. Default 3 s. */
  reserveMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseDelayMs: 100, maxDelayMs: 5_000, reserveMs: 3_000 };

/** The backoff before attempt `attempt` (1 = first retry), in whole milliseconds. */
export function retryDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  return Math.floor(backoffDelayMs({ baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs, jitter: 'full' }, attempt, random));
}

/**
 * Whether another attempt fits: the delay plus the time the last attempt took must
 * leave `reserveMs` before the invocation's deadline.
 */
export function canRetry(policy: RetryPolicy, remainingMs: number, delayMs: number, lastAttemptMs: number): boolean {
  return remainingMs - delayMs - lastAttemptMs > policy.reserveMs;
}
