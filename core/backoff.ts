// How long to wait before retry number `attempt`: exponential growth to a ceiling,
// with jitter so callers that failed together do not retry together. The one
// backoff of the producer, the consumers and the local runner. Pure: no clock.

export interface Backoff {
  /** The ceiling of the first retry. */
  baseMs: number;
  /** The largest ceiling. */
  maxMs: number;
  /**
   * 'full': anywhere in [0, ceiling) (spreads retries most; the consumers).
   * 'equal': half the ceiling fixed, half random (each caller still waits a growing
   * minimum; the producer). 'none': the ceiling itself (the local runner's polls).
   */
  jitter: 'full' | 'equal' | 'none';
}

/** min(maxMs, baseMs * 2^(attempt-1)) for retry `attempt` (1 = first retry). */
export function backoffCeilingMs(policy: Backoff, attempt: number): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
}

/** The delay before retry `attempt` (1 = first retry), with the policy's jitter. */
export function backoffDelayMs(policy: Backoff, attempt: number, random: () => number = Math.random): number {
  const ceiling = backoffCeilingMs(policy, attempt);
  if (policy.jitter === 'none') return ceiling;
  if (policy.jitter === 'equal') return ceiling / 2 + random() * (ceiling / 2);
  return random() * ceiling;
}
