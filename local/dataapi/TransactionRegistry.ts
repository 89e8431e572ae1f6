// Open Data API transactions: each holds one database session from
// BeginTransaction to Commit/Rollback, runs one statement at a time, and is rolled
// back when no call uses its id for the idle timeout (3 minutes on Aurora) or when
// it reaches the 24-hour maximum lifetime.
import { randomBytes } from 'node:crypto';
import type { SqlSession } from '../database/index.ts';
import { DataApiError } from './errors.ts';

export class Transaction {
  busy = false;
  /**
   * idle_in_transaction_session_timeout the transaction set (ms, 0 none), on PGlite
   * only, where the service enforces it (DataApiService.takeOverIdleTimeout): the
   * idle clock then runs the shorter of it and the Data API's own timeout. On a
   * PostgreSQL server the server enforces it.
   */
  serverIdleMs = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private lifetimeTimer: NodeJS.Timeout | undefined;

  constructor(readonly id: string, readonly session: SqlSession, readonly database: string) {}

  /** Restarts the idle clock; `onExpire` rolls the transaction back. */
  touch(idleMs: number, onExpire: () => void): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(onExpire, this.serverIdleMs > 0 ? Math.min(idleMs, this.serverIdleMs) : idleMs);
    this.idleTimer.unref();
  }

  startLifetime(ms: number, onExpire: () => void): void {
    this.lifetimeTimer = setTimeout(onExpire, ms);
    this.lifetimeTimer.unref();
  }

  stopTimers(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.lifetimeTimer);
  }
}

export class TransactionRegistry {
  private readonly open = new Map<string, Transaction>();
  /** The most transactions open at once since start (or `resetPeak`): what a cap on writers must bound. */
  peak = 0;
  /** Transactions begun since start. */
  begun = 0;

  constructor(private readonly idleMs: number, private readonly lifetimeMs: number) {}

  /** Registers a transaction whose BEGIN already ran on `session`. */
  add(session: SqlSession, database: string, rollback: (tx: Transaction) => void): Transaction {
    // Aurora's ids are opaque base64 strings of about 180 characters.
    const tx = new Transaction(randomBytes(138).toString('base64'), session, database);
    this.open.set(tx.id, tx);
    this.begun++;
    if (this.open.size > this.peak) this.peak = this.open.size;
    tx.touch(this.idleMs, () => rollback(tx));
    tx.startLifetime(this.lifetimeMs, () => rollback(tx));
    return tx;
  }

  /** The open transaction `id`, marked busy for one call; refuses unknown ids and a second concurrent call. */
  claim(id: string, rollback: (tx: Transaction) => void): Transaction {
    const tx = this.open.get(id);
    if (!tx) throw new DataApiError('BadRequestException', `Transaction ${id} is not found`);
    if (tx.busy) throw new DataApiError('DatabaseErrorException', 'Transaction is still running a query');
    tx.busy = true;
    tx.touch(this.idleMs, () => rollback(tx));
    return tx;
  }

  /** Ends a call on the transaction: idle again, and its idle clock restarts. */
  unclaim(tx: Transaction, rollback: (tx: Transaction) => void): void {
    tx.busy = false;
    if (this.open.get(tx.id) === tx) tx.touch(this.idleMs, () => rollback(tx));
  }

  /** Forgets the transaction (committed, rolled back or expired). */
  remove(tx: Transaction): boolean {
    tx.stopTimers();
    return this.open.delete(tx.id);
  }

  has(tx: Transaction): boolean {
    return this.open.get(tx.id) === tx;
  }

  all(): Transaction[] {
    return [...this.open.values()];
  }

  resetPeak(): void {
    this.peak = this.open.size;
  }

  get size(): number {
    return this.open.size;
  }
}
