// What a run has done so far: events sent, accepted and failed, the totals per type
// of what was accepted (the rollups must show exactly these), ack latencies and the
// per-second timeline. The pacing loop records into it; the report reads it.
import { Timeline } from './Timeline.ts';
import type { GeneratedEvent } from './EventGenerator.ts';
import type { RollupTotals, SendOutcome } from './types.ts';

export class RunTally {
  sent = 0;
  accepted = 0;
  failed = 0;
  inFlight = 0;
  /** performance.now() of the last acknowledgement (0 before any). */
  lastAckAt = 0;
  /** performance.now() of the last tick that sent anything. */
  lastSendAt: number;
  readonly failures: Record<string, number> = {};
  readonly latencies: number[] = [];
  readonly expected: Record<string, RollupTotals>;
  readonly timeline: Timeline;
  private drained: (() => void) | undefined;

  constructor(readonly startedAt: number, typeNames: readonly string[]) {
    this.lastSendAt = startedAt;
    this.timeline = new Timeline(startedAt);
    this.expected = Object.fromEntries(typeNames.map((t) => [t, { count: 0, sum: 0 }]));
  }

  /** A batch handed to the sink at `at`; each outcome is recorded as it settles. */
  track(batch: readonly GeneratedEvent[], outcomes: Promise<SendOutcome>[], at: number, clock: () => number): void {
    this.sent += batch.length;
    this.inFlight += batch.length;
    this.lastSendAt = at;
    this.timeline.recordSent(at, batch.length);
    outcomes.forEach((promise, i) => {
      void promise.then((outcome) => this.settle(batch[i]!, outcome, at, clock()));
    });
  }

  private settle(g: GeneratedEvent, outcome: SendOutcome, sentAt: number, at: number): void {
    this.inFlight--;
    if (outcome.ok) {
      this.accepted++;
      const t = this.expected[g.event.type]!;
      t.count++;
      t.sum += g.event.value;
      this.latencies.push(at - sentAt);
      this.timeline.recordAck(at, at - sentAt);
      this.lastAckAt = at;
    } else {
      this.failed++;
      this.failures[outcome.error] = (this.failures[outcome.error] ?? 0) + 1;
      this.timeline.recordFailure(at);
    }
    if (this.inFlight === 0) this.drained?.();
  }

  /** Resolves once every event sent so far has an outcome. */
  whenDrained(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => { this.drained = resolve; });
  }

  /** The progress line for `now`: totals so far and the last full second. */
  progressLine(now: number): string {
    const second = Math.round((now - this.startedAt) / 1000);
    const last = this.timeline.sample(second - 1);
    const ms = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '-' : `${v.toFixed(1)}ms`);
    return `[${String(second).padStart(4)}s] sent ${this.sent}  accepted ${this.accepted}  failed ${this.failed}  in flight ${this.inFlight}` +
      `  last second: ${last?.sent ?? 0} sent/s, ${last?.acked ?? 0} acked/s, p50 ${ms(last?.latencyP50Ms)} p99 ${ms(last?.latencyP99Ms)}`;
  }
}
