// How many invocations of one function run at once, across every shard and every
// parallelization lane, counted in one place: Lambda's reserved concurrency, as the
// runner plays it. An invocation over the limit waits (Lambda throttles it and the
// event source mapping retries the batch later; either way the shard waits and its
// records stay in the stream) and slots go to waiters in arrival order, so no shard
// starves.

export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  /** The most invocations that ran at once. */
  peak = 0;
  /** Invocations that had to wait for a slot. */
  throttled = 0;

  /** `limit`: undefined for no limit. */
  constructor(readonly limit: number | undefined) {}

  /** Resolves once the caller holds a slot; `release()` it exactly once. */
  acquire(): Promise<void> {
    if (this.limit === undefined || this.running < this.limit) {
      this.running++;
      if (this.running > this.peak) this.peak = this.running;
      return Promise.resolve();
    }
    this.throttled++;
    // The slot is handed over by release(), never freed in between, so no caller can
    // take it first and the count never passes the limit.
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  get inUse(): number {
    return this.running;
  }
}
