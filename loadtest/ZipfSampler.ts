// Draws ranks 0..n-1 with Zipf probabilities P(k) ∝ 1/(k+1)^s: a few hot keys and a
// long tail, as real partition keys (users, devices) are. A precomputed CDF and a
// binary search make each draw O(log n).
import { LoadTestOptionError } from './errors.ts';

export class ZipfSampler {
  readonly n: number;
  readonly exponent: number;
  private readonly cdf: Float64Array;

  constructor(n: number, exponent: number, private readonly random: () => number) {
    if (!Number.isInteger(n) || n < 1) throw new LoadTestOptionError('keys', `must be a positive integer, got ${n}`);
    if (!Number.isFinite(exponent) || exponent < 0) throw new LoadTestOptionError('zipf', `exponent must be a finite number >= 0, got ${exponent}`);
    this.n = n;
    this.exponent = exponent;
    this.cdf = new Float64Array(n);
    let total = 0;
    for (let k = 0; k < n; k++) {
      total += 1 / Math.pow(k + 1, exponent);
      this.cdf[k] = total;
    }
    for (let k = 0; k < n; k++) this.cdf[k]! /= total;
    // Rounding must never leave the last rank unreachable.
    this.cdf[n - 1] = 1;
  }

  /** Probability of rank k (0-based). */
  probability(k: number): number {
    if (k < 0 || k >= this.n) return 0;
    return this.cdf[k]! - (k === 0 ? 0 : this.cdf[k - 1]!);
  }

  /** One rank, 0 (the hottest) to n-1. */
  next(): number {
    const u = this.random();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
