// A FIFO lock for an engine with one connection: whoever holds it owns the
// connection (a whole transaction, from BEGIN to COMMIT); the others wait in order.
import { DatabaseClosedError } from './errors.ts';

export class SessionQueue {
  private held = false;
  private closed = false;
  private readonly waiters: { grant: () => void; refuse: (err: Error) => void }[] = [];
  private idleWaiters: (() => void)[] = [];

  /** Resolves once the caller holds the connection. */
  acquire(): Promise<void> {
    if (this.closed) return Promise.reject(new DatabaseClosedError());
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    return new Promise((grant, refuse) => this.waiters.push({ grant, refuse }));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) {
      next.grant();
      return;
    }
    this.held = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Refuses every waiter and later caller; resolves when the holder (if any) has released. */
  close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.refuse(new DatabaseClosedError());
    if (!this.held) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
