// One Data API call's link to its caller, so a statement can answer "timed out"
// while the operation itself goes on (committing, or failing after a cancel).
import type { DataApiError } from './errors.ts';

/** One call's link to its caller: lets a statement answer "timed out" while the work goes on. */
export class CallContext {
  readonly timedOut: Promise<never>;
  /** A statement of this call timed out and must not take effect (continueAfterTimeout was off). */
  cancelRequested = false;
  private reject!: (err: DataApiError) => void;
  private fired = false;
  /** True once the caller has been answered "timed out". */
  get answered(): boolean {
    return this.fired;
  }
  constructor() {
    this.timedOut = new Promise<never>((_, reject) => { this.reject = reject; });
    this.timedOut.catch(() => {});
  }
  timeOut(err: DataApiError): void {
    if (this.fired) return;
    this.fired = true;
    this.reject(err);
  }
}

