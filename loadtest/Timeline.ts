// Per-second record of a run: events sent, acknowledged and failed in each second,
// and the ack latencies observed in it; the progress lines, the JSON report and
// the chart all read from here.
import { percentile } from './percentiles.ts';

export interface SecondSample {
  /** Seconds since the run started (0-based). */
  second: number;
  sent: number;
  acked: number;
  failed: number;
  /** Ack latency of the events acknowledged in this second (NaN when none). */
  latencyP50Ms: number;
  latencyP99Ms: number;
}

interface Bucket {
  sent: number;
  acked: number;
  failed: number;
  latencies: number[];
}

export class Timeline {
  private readonly buckets: Bucket[] = [];

  constructor(private readonly startMs: number) {}

  private bucket(atMs: number): Bucket {
    const i = Math.max(0, Math.floor((atMs - this.startMs) / 1000));
    while (this.buckets.length <= i) this.buckets.push({ sent: 0, acked: 0, failed: 0, latencies: [] });
    return this.buckets[i]!;
  }

  recordSent(atMs: number, n = 1): void {
    this.bucket(atMs).sent += n;
  }

  recordAck(atMs: number, latencyMs: number): void {
    const b = this.bucket(atMs);
    b.acked++;
    b.latencies.push(latencyMs);
  }

  recordFailure(atMs: number): void {
    this.bucket(atMs).failed++;
  }

  /** One sample per second from the start to the last second anything happened in. */
  samples(): SecondSample[] {
    return this.buckets.map((_, second) => this.sample(second)!);
  }

  /** The sample of one second, or undefined if the run has not reached it. */
  sample(second: number): SecondSample | undefined {
    const b = this.buckets[second];
    if (!b) return undefined;
    const sorted = Float64Array.from(b.latencies).sort();
    return {
      second,
      sent: b.sent,
      acked: b.acked,
      failed: b.failed,
      latencyP50Ms: percentile(sorted, 50),
      latencyP99Ms: percentile(sorted, 99),
    };
  }
}
