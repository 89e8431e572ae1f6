// The events accepted and not yet settled, and the flush() and close() calls waiting
// for them: each call waits for the events that were outstanding when it was made,
// not for events sent after it (which would let a busy producer's flush never end).

interface SettledWaiter {
  /** The acceptance order (`seq`) of the last event the call waits for. */
  upTo: number;
  /** Events accepted up to `upTo` still unsettled. */
  left: number;
  resolve: () => void;
}

export class OutstandingEvents<T extends { seq: number }> {
  private readonly items = new Set<T>();
  private lastSeq = 0;
  private readonly waiters: SettledWaiter[] = [];

  get size(): number {
    return this.items.size;
  }

  /** Takes an accepted event, numbering it in acceptance order. */
  add(item: T): void {
    item.seq = ++this.lastSeq;
    this.items.add(item);
  }

  /** An event settled: counts it for every waiter that waits for it. */
  settle(item: T): void {
    this.items.delete(item);
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    for (let i = 0; i < waiters.length; i++) {
      const w = waiters[i]!;
      // Every outstanding event was accepted at or before a later waiter's point.
      if (item.seq <= w.upTo && --w.left === 0) {
        w.resolve();
        waiters.splice(i--, 1);
      }
    }
  }

  /** Resolves once every event accepted so far has settled. */
  whenSettled(): Promise<void> {
    if (this.items.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ upTo: this.lastSeq, left: this.items.size, resolve }));
  }

  /** The outstanding events now, in acceptance order (a copy: settling them while iterating is safe). */
  snapshot(): T[] {
    return [...this.items];
  }
}
