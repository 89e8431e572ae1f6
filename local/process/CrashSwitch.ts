// The consumer-crash fault of the local stack: armed by the parent, it kills the
// consumer's own process with SIGKILL inside a batch, as a Lambda runtime that dies
// mid-invocation: `mid-batch`, its statements sent and its commit not made, or
// `after-commit`, its transaction committed but its answer never returned, so the
// checkpoint does not move and the batch comes again. The parent restarts the part.
import { performance } from 'node:perf_hooks';
import type { KinesisHandler } from '../runner/index.ts';
import type { CrashMoment, CrashPoint } from '../../core/index.ts';

/** How far into a batch a mid-batch kill comes: past its first Data API calls, before a typical commit. */
const INTO_BATCH_MS = 5;

export class CrashSwitch {
  private readonly inFlight = new Map<number, { records: number; startedAt: number }>();
  private nextId = 0;
  private armed: CrashMoment | undefined;
  private deadline: NodeJS.Timeout | undefined;

  /** `die` tells the parent where the crash comes, then kills the process. */
  constructor(private readonly die: (point: CrashPoint) => void) {}

  /** The handler, watched: the batches inside it are where an armed switch strikes. */
  wrap(handler: KinesisHandler): KinesisHandler {
    return async (event, context) => {
      const id = ++this.nextId;
      this.inFlight.set(id, { records: event.Records.length, startedAt: performance.now() });
      if (this.armed === 'mid-batch') this.strikeSoon(id);
      try {
        const out = await handler(event, context);
        if (this.armed === 'after-commit') {
          this.strike(id);
          // The answer never reaches the runner: the process is going down.
          await new Promise(() => {});
        }
        return out;
      } finally {
        this.inFlight.delete(id);
      }
    };
  }

  /**
   * Kills the process inside the next batch (mid-batch: one in flight now counts), or
   * after `deadlineMs` whatever it is doing.
   */
  arm(moment: CrashMoment, deadlineMs: number): void {
    this.armed = moment;
    const [id] = this.inFlight.keys();
    if (id !== undefined && moment === 'mid-batch') this.strikeSoon(id);
    this.deadline = setTimeout(() => this.strike(undefined), deadlineMs);
  }

  private strikeSoon(id: number): void {
    setTimeout(() => {
      // The batch settled first: the next one is hit instead.
      if (this.armed && this.inFlight.has(id)) this.strike(id);
    }, INTO_BATCH_MS);
  }

  private strike(id: number | undefined): void {
    const moment = this.armed;
    if (!moment) return;
    this.armed = undefined;
    clearTimeout(this.deadline);
    const batch = id === undefined ? undefined : this.inFlight.get(id);
    this.die(batch
      ? { moment, records: batch.records, msIntoBatch: performance.now() - batch.startedAt, midBatch: true }
      : { moment, records: 0, msIntoBatch: 0, midBatch: false });
  }
}
