// Counters and the send-to-acknowledgement latency histogram, readable from the
// producer at any time. Buckets grow by about 19% each, so percentiles are
// within that of the truth at a fixed, small memory cost.

const BUCKETS = 128;
const GROWTH = 1.19;
/** Upper bound (ms) of each bucket: 0.1 ms, growing geometrically to hours. */
const BOUNDS = Array.from({ length: BUCKETS }, (_, i) => 0.1 * GROWTH ** i);

export class LatencyHistogram {
  private readonly counts = new Array<number>(BUCKETS).fill(0);
  count = 0;
  sumMs = 0;
  maxMs = 0;

  record(ms: number): void {
    let i = ms <= 0.1 ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / 0.1) / Math.log(GROWTH)));
    if (i < 0) i = 0;
    this.counts[i]!++;
    this.count++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  /** The latency (ms, bucket upper bound) below which `p` (0..1) of samples fall; 0 when empty. */
  percentile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(p * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(BOUNDS[i]!, this.maxMs);
    }
    return this.maxMs;
  }
}

export interface ProducerMetricsSnapshot {
  /** Events acknowledged by Kinesis. */
  eventsSent: number;
  /** Events whose send() rejected after acceptance (not counting validation errors). */
  eventsFailed: number;
  /** Event retries (one event retried twice counts 2). */
  eventsRetried: number;
  /** Events in records Kinesis throttled. */
  eventsThrottled: number;
  /** Kinesis records sent again byte for byte because a call's outcome was unknown (no answer, a failed call). */
  recordsResent: number;
  /** send() calls rejected for invalid input. */
  eventsRejected: number;
  /** PutRecords calls made, and Kinesis records and bytes they carried. */
  putCalls: number;
  kinesisRecords: number;
  kinesisBytes: number;
  /** Buffered now (accepted, not yet settled). */
  bufferedEvents: number;
  bufferedBytes: number;
  latencyMs: { count: number; mean: number; p50: number; p90: number; p99: number; max: number };
}

export class ProducerMetrics {
  eventsSent = 0;
  eventsFailed = 0;
  eventsRetried = 0;
  eventsThrottled = 0;
  recordsResent = 0;
  eventsRejected = 0;
  putCalls = 0;
  kinesisRecords = 0;
  kinesisBytes = 0;
  readonly latency = new LatencyHistogram();

  snapshot(bufferedEvents: number, bufferedBytes: number): ProducerMetricsSnapshot {
    const h = this.latency;
    return {
      eventsSent: this.eventsSent, eventsFailed: this.eventsFailed, eventsRetried: this.eventsRetried,
      eventsThrottled: this.eventsThrottled, recordsResent: this.recordsResent, eventsRejected: this.eventsRejected,
      putCalls: this.putCalls, kinesisRecords: this.kinesisRecords, kinesisBytes: this.kinesisBytes,
      bufferedEvents, bufferedBytes,
      latencyMs: { count: h.count, mean: h.count ? h.sumMs / h.count : 0, p50: h.percentile(0.5), p90: h.percentile(0.9), p99: h.percentile(0.99), max: h.maxMs },
    };
  }
}
