// The consumer-crash fault of the local stack: armed by the parent, it kills the
// consumer's own process with SIGKILL while a batch is inside the handler (its
// statements sent, its commit not made, its checkpoint not moved), as a Lambda
// runtime that dies mid-invocation. The parent's supervisor restarts the part.
import { performance } from 'node:perf_hooks';
import type { KinesisHandler } from '../runner/index.ts';
import type { CrashPoint } from './SupervisedPart.ts';

/** How far into a batch the kill comes: past its first Data API calls, before a typical commit. */
const INTO_BATCH_MS = 5;

export class CrashSwitch {
  private readonly inFlight = new Map<number, { records: number; startedAt: number }>();
  private nextId = 0;
  private armed = false;
  private deadline: NodeJS.Timeout | undefined;

  /** `die` tells the parent where the crash comes, then kills the process. */
  constructor(private readonly die: (point: CrashPoint) => void) {}

  /** The handler, watched: the batches inside it are where an armed switch strikes. */
  wrap(handler: KinesisHandler): KinesisHandler {
    return async (event, context) => {
      const id = ++this.nextId;
      this.inFlight.set(id, { records: event.Records.length, startedAt: performance.now() });
      if (this.armed) this.strikeSoon(id);
      try {
        return await handler(event, context);
      } finally {
        this.inFlight.delete(id);
      }
    };
  }

  /** Kills the process inside the next batch (one in flight now counts), or after `deadlineMs` whatever it is doing. */
  arm(deadlineMs: number): void {
    this.armed = true;
    const [id] = this.inFlight.keys();
    if (id !== undefined) this.strikeSoon(id);
    this.deadline = setTimeout(() => this.strike(undefined), deadlineMs);
  }

  private strikeSoon(id: number): void {
    setTimeout(() => {
      // The batch settled first: the next one is hit instead.
      if (this.armed && this.inFlight.has(id)) this.strike(id);
    }, INTO_BATCH_MS);
  }

  private strike(id: number | undefined): void {
    if (!this.armed) return;
    this.armed = false;
    clearTimeout(this.deadline);
    const batch = id === undefined ? undefined : this.inFlight.get(id);
    this.die(batch
      ? { records: batch.records, msIntoBatch: performance.now() - batch.startedAt, midBatch: true }
      : { records: 0, msIntoBatch: 0, midBatch: false });
  }
}
