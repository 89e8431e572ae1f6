// End-to-end latency, sampled per event during the run: each sampled accepted event
// keeps its intended send time and its ordinal within its type; when a read of the
// rollups shows the type's count past that ordinal, the event counts as visible and
// its latency (intended send to seen in the rollups) goes into the histogram. Shards
// apply in parallel, so the ordinal is the type's arrival order, not a promise of
// which event landed: the figure is the delay until that many events are visible.
// The queue holds only sampled events not yet visible, at most `maxPending`.
import { LatencyHistogram } from './LatencyHistogram.ts';

interface Pending { ordinal: number; intendedAt: number }

export class VisibilityTracker {
  readonly e2e = new LatencyHistogram();
  private readonly queues = new Map<string, Pending[]>();
  private readonly acceptedByType = new Map<string, number>();
  private readonly visibleByType = new Map<string, number>();
  private pending = 0;
  /** Sampled events dropped because the queue was full (the e2e histogram misses them). */
  overflow = 0;

  constructor(private readonly sampleEvery: number, private readonly maxPending = 200_000) {}

  /** An event of `type` accepted; `intendedAt` is its intended send time (ms, same clock as `seen`). */
  accepted(type: string, intendedAt: number): void {
    const ordinal = this.acceptedByType.get(type) ?? 0;
    this.acceptedByType.set(type, ordinal + 1);
    if (ordinal % this.sampleEvery !== 0) return;
    if (this.pending >= this.maxPending) {
      this.overflow++;
      return;
    }
    let q = this.queues.get(type);
    if (!q) this.queues.set(type, (q = []));
    q.push({ ordinal, intendedAt });
    this.pending++;
  }

  /** The rollups showed `count` events of `type` at `now`. */
  seen(type: string, count: number, now: number): void {
    this.visibleByType.set(type, count);
    const q = this.queues.get(type);
    if (!q) return;
    let i = 0;
    while (i < q.length && q[i]!.ordinal < count) this.e2e.record(now - q[i++]!.intendedAt);
    if (i > 0) {
      q.splice(0, i);
      this.pending -= i;
    }
  }

  /** Accepted events not yet visible (all types). */
  backlog(): number {
    let n = 0;
    for (const [type, accepted] of this.acceptedByType) n += Math.max(0, accepted - (this.visibleByType.get(type) ?? 0));
    return n;
  }

  /** Events visible in the rollups (all types), as last read. */
  visible(): number {
    let n = 0;
    for (const v of this.visibleByType.values()) n += v;
    return n;
  }

  /** Age at `now` of the oldest sampled event not yet visible (0 when none): the lag seen from outside. */
  oldestPendingAgeMs(now: number): number {
    let oldest = Infinity;
    for (const q of this.queues.values()) if (q.length) oldest = Math.min(oldest, q[0]!.intendedAt);
    return Number.isFinite(oldest) ? Math.max(0, now - oldest) : 0;
  }
}
