// Token buckets that keep one shard's writes under its limits (records/s, bytes/s).
// Pure: callers pass the clock, so tests and benchmarks drive time themselves.

export class TokenBucket {
  private tokens: number;
  private last: number;

  /** `capacity` defaults to one second of `ratePerSec` (the burst Kinesis tolerates). */
  constructor(readonly ratePerSec: number, readonly capacity: number = ratePerSec, now = 0) {
    this.tokens = capacity;
    this.last = now;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.ratePerSec) / 1000);
      this.last = now;
    }
  }

  /** Tokens a take needs on hand: one larger than the bucket needs a full bucket. */
  private effective(n: number): number {
    return Math.min(n, this.capacity);
  }

  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  canTake(n: number, now: number): boolean {
    this.refill(now);
    return this.tokens >= this.effective(n);
  }

  /** Takes `n` tokens; a take larger than what is on hand leaves a debt later takes wait out. */
  take(n: number, now: number): void {
    this.refill(now);
    this.tokens -= n;
  }

  /** Milliseconds until `n` tokens are there (0 if now). */
  waitMs(n: number, now: number): number {
    this.refill(now);
    const missing = this.effective(n) - this.tokens;
    return missing <= 0 ? 0 : Math.ceil((missing * 1000) / this.ratePerSec);
  }
}

/**
 * A shard's two buckets: a record goes only when both have room. Kinesis meters
 * whole seconds, and a bucket lets through its burst plus its rate in any second;
 * so the burst is a tenth of the limit and the rate the other nine tenths, which
 * never exceeds the limit in any one-second window.
 */
export class ShardRateLimiter {
  static readonly BURST_FRACTION = 0.1;
  private readonly records: TokenBucket;
  private readonly bytes: TokenBucket;

  constructor(recordsPerSec: number, bytesPerSec: number, now = 0) {
    const burst = ShardRateLimiter.BURST_FRACTION;
    this.records = new TokenBucket(recordsPerSec * (1 - burst), Math.max(1, recordsPerSec * burst), now);
    this.bytes = new TokenBucket(bytesPerSec * (1 - burst), bytesPerSec * burst, now);
  }

  /** Takes one record of `size` bytes if both buckets allow it. */
  tryTake(size: number, now: number): boolean {
    if (!this.records.canTake(1, now) || !this.bytes.canTake(size, now)) return false;
    this.records.take(1, now);
    this.bytes.take(size, now);
    return true;
  }

  waitMs(size: number, now: number): number {
    return Math.max(this.records.waitMs(1, now), this.bytes.waitMs(size, now));
  }
}
