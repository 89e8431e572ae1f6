// Latency in bounded memory: an HDR histogram (hdr-histogram-js) of microseconds,
// three significant digits, up to an hour. Its size does not grow with the number of
// samples, so a long run at a high rate keeps every sample's contribution.
import * as hdr from 'hdr-histogram-js';

/** Percentiles of a latency distribution, in milliseconds (NaN when there is no sample). */
export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

const HIGHEST_US = 3_600_000_000;

export class LatencyHistogram {
  private readonly h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, bitBucketSize: 'packed' });

  /** Records one latency in ms (negative clamps to 0, beyond an hour to an hour). */
  record(ms: number): void {
    this.h.recordValue(Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000))));
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** The value `p` percent of samples do not exceed, in ms (NaN when empty). */
  percentile(p: number): number {
    return this.h.totalCount ? this.h.getValueAtPercentile(p) / 1000 : Number.NaN;
  }

  summary(): LatencySummary {
    const n = this.h.totalCount;
    const at = (p: number) => this.percentile(p);
    return { count: n, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: n ? this.h.maxValue / 1000 : Number.NaN, mean: n ? this.h.mean / 1000 : Number.NaN };
  }
}
