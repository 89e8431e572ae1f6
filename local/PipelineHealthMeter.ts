// The local stack's health figures: the aggregator tells the meter what each batch
// read and cost (AggregatorDeps.onBatch, sent from the aggregator's process as a
// 'batch' event over its IPC channel), and the meter turns that into rates over
// recent seconds. Iterator age and the quarantine's size are read when asked, through
// functions, so the meter does not care where the consumers or the database run.
import type { AggregatorBatchReport } from '../consumers/index.ts';
import type { PipelineHealth } from '../query/index.ts';

/** Events per second are measured over this much recent time. */
const RATE_WINDOW_MS = 10_000;
/** Events per statement over this much recent time. */
const STATEMENT_WINDOW_MS = 60_000;

export interface PipelineHealthSources {
  /** Age of the last record the aggregator finished, ms. */
  iteratorAgeMs: () => number;
  /** Quarantine entries pending. */
  quarantinePending: () => Promise<number>;
  now?: () => number;
}

export class PipelineHealthMeter {
  private readonly batches: { at: number; events: number; calls: number }[] = [];
  private readonly now: () => number;
  private readonly started: number;

  constructor(private readonly sources: PipelineHealthSources) {
    this.now = sources.now ?? Date.now;
    this.started = this.now();
  }

  /** For AggregatorDeps.onBatch. */
  readonly record = (report: AggregatorBatchReport): void => {
    const at = this.now();
    this.batches.push({ at, events: report.eventsIn, calls: report.dataApiCalls });
    while (this.batches.length > 0 && this.batches[0]!.at < at - STATEMENT_WINDOW_MS) this.batches.shift();
  };

  async read(): Promise<PipelineHealth> {
    const now = this.now();
    let rateEvents = 0;
    let events = 0;
    let calls = 0;
    for (const b of this.batches) {
      if (b.at < now - STATEMENT_WINDOW_MS) continue;
      events += b.events;
      calls += b.calls;
      if (b.at >= now - RATE_WINDOW_MS) rateEvents += b.events;
    }
    // Right after a start the window is shorter than RATE_WINDOW_MS.
    const windowMs = Math.max(1000, Math.min(RATE_WINDOW_MS, now - this.started));
    return {
      at: new Date(now).toISOString(),
      eventsPerSecond: Math.round((rateEvents / (windowMs / 1000)) * 10) / 10,
      iteratorAgeMs: this.sources.iteratorAgeMs(),
      eventsPerStatement: calls > 0 ? Math.round((events / calls) * 10) / 10 : null,
      quarantinePending: await this.sources.quarantinePending(),
    };
  }
}
