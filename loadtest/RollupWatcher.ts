// Verifies a run end to end: after the last acknowledgement, reads the rollups of
// each of the run's types until their count and sum equal what the target accepted
// (or a surplus shows, or time runs out), then reads every rollup that groups per
// group value, and reports lost and double-counted events separately.
import { sleep as defaultSleep } from '../core/index.ts';
import type { RollupConfig } from '../rollup/index.ts';
import type { GroupTotals } from './RunTally.ts';
import type { Discrepancy, RollupTotals, RollupVerification } from './types.ts';

/** How the harness reads what the pipeline stored. */
export interface RollupReader {
  /** Totals of one event type over a time range (inclusive start, exclusive end). */
  totals(type: string, from: Date, to: Date): Promise<RollupTotals>;
  /** Totals of one type in a rollup that groups, per group key (JSON array of the groupBy values). */
  groups(rollup: RollupConfig, type: string, from: Date, to: Date): Promise<Record<string, RollupTotals>>;
}

export interface WatchOptions {
  /** Totals per event type of what the target accepted. */
  expected: Record<string, RollupTotals>;
  /** Per rollup that groups, per type, per group: what the target accepted. */
  expectedGroups?: GroupTotals;
  groupings?: readonly RollupConfig[];
  from: Date;
  to: Date;
  /** When the last event was acknowledged (epoch ms): the lag is measured from here. */
  lastAckAtMs: number;
  /** Give up after this long. */
  timeoutMs: number;
  /** Time between reads of the types not yet equal. @default 200 */
  pollIntervalMs?: number;
  /** Each read of a type's totals, as it happens (for the end-to-end tracker). */
  onRead?: (type: string, totals: RollupTotals) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export function totalsEqual(a: RollupTotals | undefined, b: RollupTotals | undefined): boolean {
  return !!a && !!b && a.count === b.count && a.sum === b.sum;
}

/** How far `observed` is from `expected`: events missing, events counted twice, and whether the sums agree. */
export function compareTotals(scope: Discrepancy['scope'], expected: RollupTotals, observed: RollupTotals | undefined): Discrepancy {
  const got = observed ?? { count: 0, sum: 0 };
  return {
    scope, expected, observed: got,
    lost: Math.max(0, expected.count - got.count),
    duplicated: Math.max(0, got.count - expected.count),
    sumMatches: expected.sum === got.sum,
  };
}

export async function watchRollups(reader: RollupReader, o: WatchOptions): Promise<RollupVerification> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? defaultSleep;
  const deadline = now() + o.timeoutMs;
  const types = Object.keys(o.expected);
  const observed: Record<string, RollupTotals> = {};
  const pending = new Set(types);
  const read = async (type: string) => {
    observed[type] = await reader.totals(type, o.from, o.to);
    o.onRead?.(type, observed[type]);
  };
  let matchedAt: number | null = null;
  for (;;) {
    // Types already equal are not read again until the end: rollups only grow, so a
    // match that later turns into a surplus is caught by the final read.
    for (const type of [...pending]) {
      try {
        await read(type);
      } catch {
        continue; // the database may be down (a fault under test): read again next time
      }
      if (totalsEqual(observed[type], o.expected[type])) pending.delete(type);
      // A surplus never shrinks: no point waiting for it.
      else if (observed[type]!.count > o.expected[type]!.count) pending.delete(type);
    }
    if (pending.size === 0) {
      matchedAt = now();
      break;
    }
    if (now() >= deadline) break;
    await sleep(o.pollIntervalMs ?? 200);
  }
  // One more read of everything, so a surplus that arrived meanwhile is caught.
  for (const type of types) await read(type).catch(() => {});
  const perType = types.map((t) => compareTotals({ type: t }, o.expected[t]!, observed[t]));
  const groups: Discrepancy[] = [];
  let groupsChecked = 0;
  for (const rollup of o.groupings ?? []) {
    for (const type of types) {
      if (rollup.types !== '*' && !rollup.types.includes(type)) continue;
      const want = o.expectedGroups?.[rollup.name]?.[type] ?? {};
      const got = await reader.groups(rollup, type, o.from, o.to);
      for (const key of new Set([...Object.keys(want), ...Object.keys(got)])) {
        groupsChecked++;
        const values = JSON.parse(key) as Array<string | null>;
        const group = Object.fromEntries(rollup.groupBy.map((d, i) => [d, values[i] ?? null]));
        const d = compareTotals({ type, rollup: rollup.name, group }, want[key] ?? { count: 0, sum: 0 }, got[key]);
        if (d.lost || d.duplicated || !d.sumMatches) groups.push(d);
      }
    }
  }
  const lost = perType.reduce((n, d) => n + d.lost, 0);
  const duplicated = perType.reduce((n, d) => n + d.duplicated, 0);
  const matched = perType.every((d) => !d.lost && !d.duplicated && d.sumMatches) && groups.length === 0;
  return {
    checked: true, matched, lagMs: matched && matchedAt !== null ? Math.max(0, matchedAt - o.lastAckAtMs) : null,
    lost, duplicated, perType: perType.filter((d) => d.lost || d.duplicated || !d.sumMatches), groups, groupsChecked,
    expected: o.expected, observed,
  };
}
