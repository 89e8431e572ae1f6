// Per-second record of a run: what was offered, sent, acknowledged, failed and not
// sent (shortfall) in each second, ack latency percentiles of that second (a small
// histogram per second, never the samples) and what the pipeline showed in it
// (events visible in the rollups, the backlog, database work). The progress lines,
// the JSON report and the charts all read from here.
import { LatencyHistogram } from './LatencyHistogram.ts';

export interface PipelineSample {
  /** Events visible in the rollups at the end of the second (all of the run's types). */
  aggregated?: number;
  /** Accepted but not yet visible in the rollups. */
  backlog?: number;
  /** Age of the oldest accepted event not yet visible (ms): the consumer's lag, seen from outside. */
  lagMs?: number;
  /** Producer retries and throttled events so far. */
  retries?: number;
  throttled?: number;
  /** Data API calls and tuple writes so far (the whole database), and transactions open at most. */
  dataApiCalls?: number;
  tupleWrites?: number;
  maxOpenTransactions?: number;
  /** The fault under way in this second, if any (e.g. `db-outage`). */
  fault?: string;
}

export interface SecondSample extends PipelineSample {
  /** Seconds since the run started (0-based). */
  second: number;
  offered: number;
  sent: number;
  acked: number;
  failed: number;
  shortfall: number;
  /** Ack latency of the events acknowledged in this second (NaN when none), from their intended send time. */
  latencyP50Ms: number;
  latencyP90Ms: number;
  latencyP99Ms: number;
  latencyMaxMs: number;
}

interface Bucket extends PipelineSample {
  offered: number;
  sent: number;
  acked: number;
  failed: number;
  shortfall: number;
  latency: LatencyHistogram | undefined;
}

export class Timeline {
  private readonly buckets: Bucket[] = [];

  constructor(private readonly startMs: number) {}

  private bucket(atMs: number): Bucket {
    const i = Math.max(0, Math.floor((atMs - this.startMs) / 1000));
    while (this.buckets.length <= i) this.buckets.push({ offered: 0, sent: 0, acked: 0, failed: 0, shortfall: 0, latency: undefined });
    return this.buckets[i]!;
  }

  recordOffered(atMs: number, n = 1): void {
    this.bucket(atMs).offered += n;
  }

  recordSent(atMs: number, n = 1): void {
    this.bucket(atMs).sent += n;
  }

  recordShortfall(atMs: number, n = 1): void {
    this.bucket(atMs).shortfall += n;
  }

  recordAck(atMs: number, latencyMs: number): void {
    const b = this.bucket(atMs);
    b.acked++;
    (b.latency ??= new LatencyHistogram()).record(latencyMs);
  }

  recordFailure(atMs: number): void {
    this.bucket(atMs).failed++;
  }

  /** What the pipeline showed at `atMs` (the last reading in a second wins). */
  recordPipeline(atMs: number, p: PipelineSample): void {
    Object.assign(this.bucket(atMs), p);
  }

  /** One sample per second from the start to the last second anything happened in. */
  samples(): SecondSample[] {
    return this.buckets.map((_, second) => this.sample(second)!);
  }

  /** The sample of one second, or undefined if the run has not reached it. */
  sample(second: number): SecondSample | undefined {
    const b = this.buckets[second];
    if (!b) return undefined;
    const { latency, ...rest } = b;
    const at = (p: number) => (latency ? latency.percentile(p) : Number.NaN);
    return {
      second, ...rest,
      latencyP50Ms: at(50), latencyP90Ms: at(90), latencyP99Ms: at(99), latencyMaxMs: latency ? latency.summary().max : Number.NaN,
    };
  }
}
