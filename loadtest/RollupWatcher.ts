// Verifies a run end to end: polls the rollups of each of the run's event types
// until their count and sum equal what the target accepted, and measures how long
// after the last acknowledgement that happened (the pipeline's end-to-end lag).
import { sleep as defaultSleep } from '../core/index.ts';
import type { RollupTotals, RollupVerification } from './types.ts';

/** Reads the totals of one event type over a time range. */
export type RollupReader = (type: string, from: Date, to: Date) => Promise<RollupTotals>;

export interface WatchOptions {
  /** Totals per event type of what the target accepted. */
  expected: Record<string, RollupTotals>;
  /** Time range of the rollup buckets to read (inclusive start, exclusive end). */
  from: Date;
  to: Date;
  /** When the last event was acknowledged (epoch ms): the lag is measured from here. */
  lastAckAtMs: number;
  /** Give up (matched: false) after this long. */
  timeoutMs: number;
  /** Time between reads of the types not yet equal. @default 200 */
  pollIntervalMs?: number;
  /** Clock, injectable for tests. @default Date.now */
  now?: () => number;
  /** Waits between polls, injectable for tests. @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

export function totalsEqual(a: RollupTotals | undefined, b: RollupTotals | undefined): boolean {
  return !!a && !!b && a.count === b.count && a.sum === b.sum;
}

export async function watchRollups(read: RollupReader, o: WatchOptions): Promise<RollupVerification> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? defaultSleep;
  const deadline = now() + o.timeoutMs;
  const types = Object.keys(o.expected);
  const observed: Record<string, RollupTotals> = {};
  const pending = new Set(types);
  for (;;) {
    // Types already equal are not read again: rollups only grow, so a match that
    // later turns into a surplus would be a double count the final read reports.
    for (const type of [...pending]) {
      observed[type] = await read(type, o.from, o.to);
      if (totalsEqual(observed[type], o.expected[type])) pending.delete(type);
    }
    if (pending.size === 0) {
      const matchedAt = now();
      // One more read of everything, so a surplus that arrived meanwhile is caught.
      for (const type of types) observed[type] = await read(type, o.from, o.to);
      const matched = types.every((t) => totalsEqual(observed[t], o.expected[t]));
      return { checked: true, matched, lagMs: matched ? Math.max(0, matchedAt - o.lastAckAtMs) : null, expected: o.expected, observed };
    }
    if (now() >= deadline) return { checked: true, matched: false, lagMs: null, expected: o.expected, observed };
    await sleep(o.pollIntervalMs ?? 200);
  }
}
