// How the producer tells a caller that an event has settled: a promise per send(),
// or one slot of a batch whose single promise resolves once every event in it has
// settled (sendBatch), which saves a promise and two closures per event.
import type { SendResult } from './types.ts';

/** Receives the outcome of the event at `slot`. Called once per slot. */
export interface Settlement {
  fulfilled(slot: number, result: SendResult): void;
  rejected(slot: number, error: Error): void;
}

/** One send(): its promise. */
export class SingleSend implements Settlement {
  readonly promise: Promise<SendResult>;
  private resolve!: (r: SendResult) => void;
  private reject!: (e: Error) => void;

  constructor() {
    this.promise = new Promise<SendResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  fulfilled(_slot: number, result: SendResult): void {
    this.resolve(result);
  }

  rejected(_slot: number, error: Error): void {
    this.reject(error);
  }
}

/** One sendBatch(): an outcome per event, in input order, as Promise.allSettled gives them. */
export class BatchSend implements Settlement {
  readonly promise: Promise<PromiseSettledResult<SendResult>[]>;
  private readonly outcomes: PromiseSettledResult<SendResult>[];
  private left: number;
  private resolve!: (outcomes: PromiseSettledResult<SendResult>[]) => void;

  constructor(size: number) {
    this.outcomes = new Array<PromiseSettledResult<SendResult>>(size);
    this.left = size;
    this.promise = new Promise((resolve) => { this.resolve = resolve; });
    if (size === 0) this.resolve(this.outcomes);
  }

  fulfilled(slot: number, value: SendResult): void {
    this.outcomes[slot] = { status: 'fulfilled', value };
    if (--this.left === 0) this.resolve(this.outcomes);
  }

  rejected(slot: number, reason: Error): void {
    this.outcomes[slot] = { status: 'rejected', reason };
    if (--this.left === 0) this.resolve(this.outcomes);
  }
}
