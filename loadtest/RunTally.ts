// What a run has done so far: events offered by the schedule, sent, not sent
// (shortfall), accepted and failed; the totals per type (and per group of each rollup
// that groups) of what was accepted, which the rollups must show exactly; ack latency
// from each event's intended send time; and the per-second timeline. The pacing loop
// records into it; the report reads it.
import type { RollupConfig } from '../rollup/index.ts';
import { LatencyHistogram } from './LatencyHistogram.ts';
import { Timeline } from './Timeline.ts';
import { VisibilityTracker } from './VisibilityTracker.ts';
import type { GeneratedEvent } from './EventGenerator.ts';
import type { RollupTotals, SendOutcome } from './types.ts';

/** Expected totals per rollup that groups, per type, per group key (JSON array of the groupBy values). */
export type GroupTotals = Record<string, Record<string, Record<string, RollupTotals>>>;

export class RunTally {
  offered = 0;
  sent = 0;
  shortfall = 0;
  accepted = 0;
  failed = 0;
  inFlight = 0;
  /** performance.now() of the last acknowledgement (0 before any). */
  lastAckAt = 0;
  /** performance.now() of the last tick that sent anything. */
  lastSendAt: number;
  readonly failures: Record<string, number> = {};
  readonly ack = new LatencyHistogram();
  readonly expected: Record<string, RollupTotals>;
  readonly expectedGroups: GroupTotals = {};
  readonly timeline: Timeline;
  readonly visibility: VisibilityTracker;
  private drained: (() => void) | undefined;

  constructor(readonly startedAt: number, typeNames: readonly string[], private readonly groupings: readonly RollupConfig[] = [], sampleEvery = 1) {
    this.lastSendAt = startedAt;
    this.timeline = new Timeline(startedAt);
    this.visibility = new VisibilityTracker(sampleEvery);
    this.expected = Object.fromEntries(typeNames.map((t) => [t, { count: 0, sum: 0 }]));
    for (const g of groupings) this.expectedGroups[g.name] = {};
  }

  /** The schedule owed `n` events at `at` and `skipped` of them could not be sent. */
  schedule(at: number, n: number, skipped: number): void {
    this.offered += n;
    this.timeline.recordOffered(at, n);
    if (skipped > 0) {
      this.shortfall += skipped;
      this.timeline.recordShortfall(at, skipped);
    }
  }

  /** A batch handed to the sink at `at`, each event with its intended send time; outcomes are recorded as they settle. */
  track(batch: readonly GeneratedEvent[], intendedAt: readonly number[], outcomes: Promise<SendOutcome>[], at: number, clock: () => number): void {
    this.sent += batch.length;
    this.inFlight += batch.length;
    this.lastSendAt = at;
    this.timeline.recordSent(at, batch.length);
    outcomes.forEach((promise, i) => {
      void promise.then((outcome) => this.settle(batch[i]!, outcome, intendedAt[i]!, clock()));
    });
  }

  private settle(g: GeneratedEvent, outcome: SendOutcome, intendedAt: number, at: number): void {
    this.inFlight--;
    if (outcome.ok) {
      this.accepted++;
      const type = g.event.type;
      const t = this.expected[type]!;
      t.count++;
      t.sum += g.event.value;
      for (const r of this.groupings) {
        if (r.types !== '*' && !r.types.includes(type)) continue;
        const key = JSON.stringify(r.groupBy.map((d) => g.event.dims?.[d] ?? null));
        const byType = (this.expectedGroups[r.name]![type] ??= {});
        const e = (byType[key] ??= { count: 0, sum: 0 });
        e.count++;
        e.sum += g.event.value;
      }
      this.ack.record(at - intendedAt);
      this.timeline.recordAck(at, at - intendedAt);
      this.visibility.accepted(type, intendedAt);
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
    const pipeline = last?.aggregated === undefined ? '' : `  aggregated ${last.aggregated} backlog ${last.backlog ?? 0} lag ${ms(last.lagMs)}`;
    return `[${String(second).padStart(4)}s] offered ${this.offered}  sent ${this.sent}  shortfall ${this.shortfall}  accepted ${this.accepted}  failed ${this.failed}  in flight ${this.inFlight}` +
      `  last second: ${last?.sent ?? 0} sent/s, ${last?.acked ?? 0} acked/s, p50 ${ms(last?.latencyP50Ms)} p99 ${ms(last?.latencyP99Ms)}${pipeline}${last?.fault ? `  [${last.fault}]` : ''}`;
  }
}
