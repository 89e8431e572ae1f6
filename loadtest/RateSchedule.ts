// The offered load as a function of time: a constant rate, a linear ramp or a series
// of steps, each a piecewise-linear rate. The pacing loop asks how many events are
// owed by a moment and when each one was meant to go out (its intended send time,
// from which its latency runs, so a slow generator or system cannot hide queueing).
import { LoadTestOptionError } from './errors.ts';

interface Segment {
  /** Start and end, seconds from the run's start. */
  from: number;
  to: number;
  /** Rate at the start and at the end (events/s), linear in between. */
  r0: number;
  r1: number;
  /** Events owed before this segment. */
  before: number;
}

export type RateShape =
  | { kind: 'constant'; rate: number; durationSec: number }
  | { kind: 'ramp'; from: number; to: number; durationSec: number }
  | { kind: 'steps'; rates: number[]; stepSec: number };

export class RateSchedule {
  private readonly segments: Segment[] = [];
  readonly durationSec: number;
  /** Events the whole schedule offers. */
  readonly total: number;

  constructor(readonly shape: RateShape) {
    const add = (len: number, r0: number, r1: number) => {
      const from = this.segments.length ? this.segments[this.segments.length - 1]!.to : 0;
      const before = this.segments.length ? this.segmentEnd(this.segments[this.segments.length - 1]!) : 0;
      this.segments.push({ from, to: from + len, r0, r1, before });
    };
    if (shape.kind === 'constant') add(shape.durationSec, shape.rate, shape.rate);
    else if (shape.kind === 'ramp') add(shape.durationSec, shape.from, shape.to);
    else for (const r of shape.rates) add(shape.stepSec, r, r);
    this.durationSec = this.segments[this.segments.length - 1]!.to;
    this.total = Math.round(this.segmentEnd(this.segments[this.segments.length - 1]!));
  }

  /** Events owed by `t` seconds (fractional). */
  cumulative(t: number): number {
    if (t <= 0) return 0;
    for (const s of this.segments) {
      if (t <= s.to) return s.before + this.within(s, t - s.from);
    }
    return this.total;
  }

  /** The offered rate at `t` seconds. */
  rateAt(t: number): number {
    const s = this.segments.find((x) => t < x.to) ?? this.segments[this.segments.length - 1]!;
    const len = s.to - s.from;
    return len > 0 ? s.r0 + ((s.r1 - s.r0) * Math.min(len, Math.max(0, t - s.from))) / len : s.r1;
  }

  /** When event `k` (0-based) is due, in seconds: the moment the schedule owes k + 1 events. */
  timeOf(k: number): number {
    const target = Math.min(k + 1, this.total);
    for (const s of this.segments) {
      const end = this.segmentEnd(s);
      if (target > end + 1e-9) continue;
      const need = target - s.before;
      const len = s.to - s.from;
      const a = (s.r1 - s.r0) / (2 * len);
      // r0·x + a·x² = need, solved for x in [0, len].
      const x = Math.abs(a) < 1e-12 ? need / s.r0 : (-s.r0 + Math.sqrt(Math.max(0, s.r0 * s.r0 + 4 * a * need))) / (2 * a);
      return s.from + Math.min(len, Math.max(0, x));
    }
    return this.durationSec;
  }

  private within(s: Segment, x: number): number {
    const len = s.to - s.from;
    return s.r0 * x + ((s.r1 - s.r0) * x * x) / (2 * len);
  }

  private segmentEnd(s: Segment): number {
    return s.before + this.within(s, s.to - s.from);
  }

  /** A short description for the summary: `1000/s`, `100 -> 5000/s ramp`, `steps 100,200@5s`. */
  describe(): string {
    const s = this.shape;
    if (s.kind === 'constant') return `${s.rate} events/s for ${s.durationSec} s`;
    if (s.kind === 'ramp') return `ramp ${s.from} -> ${s.to} events/s over ${s.durationSec} s`;
    return `steps ${s.rates.join(', ')} events/s, ${s.stepSec} s each`;
  }
}

/** `FROM:TO`, e.g. `100:5000`. */
export function parseRamp(text: string): { from: number; to: number } {
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  if (!m) throw new LoadTestOptionError('ramp', `must be FROM:TO events/s, e.g. 100:5000, got "${text}"`);
  const from = Number(m[1]);
  const to = Number(m[2]);
  if (from < 1 || to < 1 || from > 1_000_000 || to > 1_000_000) throw new LoadTestOptionError('ramp', `rates must be from 1 to 1000000, got "${text}"`);
  return { from, to };
}

/** `R1,R2,...@S`, e.g. `1000,5000,20000@10s`. */
export function parseSteps(text: string): { rates: number[]; stepSec: number } {
  const m = /^([\d,]+)@(\d+)s?$/.exec(text.trim());
  const rates = m ? m[1]!.split(',').map((r) => (r === '' ? NaN : Number(r))) : [];
  if (!m || rates.some((r) => !Number.isInteger(r) || r < 1 || r > 1_000_000) || rates.length === 0) {
    throw new LoadTestOptionError('steps', `must be R1,R2,...@S (rates from 1 to 1000000 events/s, S seconds per step), e.g. 1000,5000@10s, got "${text}"`);
  }
  const stepSec = Number(m[2]);
  if (stepSec < 1 || stepSec > 3600) throw new LoadTestOptionError('steps', `seconds per step must be from 1 to 3600, got ${stepSec}`);
  return { rates, stepSec };
}
