// Levels a batch: N events become one delta per (rollup, window, type, bucket,
// group-by key), so the statements a batch needs depend on how many distinct rows it
// touches, never on how many events it holds. Pure: no I/O.
import type { SluiceEvent } from '../../core/index.ts';

/** What a rollup reads of an event. */
type RollupEvent = Omit<SluiceEvent, 'payload'>;
import type { RollupConfig, SluiceConfig } from '../config/index.ts';
import { DecimalSum } from './DecimalSum.ts';
import { HyperLogLog } from './HyperLogLog.ts';
import type { RollupDelta } from './types.ts';

interface CompiledRollup {
  name: string;
  types: Set<string> | null;
  groupBy: string[];
  windows: number[];
  approxDistinct: string | undefined;
  /** (type, group-by values) → one row map per window, keyed by bucket start. */
  groups: Map<string, Group>;
}

interface Group {
  eventType: string;
  dimKey: string;
  dims: Record<string, string | null>;
  byWindow: Map<number, Accumulating>[];
}

interface Accumulating {
  windowS: number;
  bucketS: number;
  count: number;
  sum: DecimalSum;
  min: number;
  max: number;
  hll: HyperLogLog | null;
}

const NO_DIMS: Record<string, string | null> = Object.freeze({}) as Record<string, string | null>;

export class RollupAccumulator {
  private readonly rollups: CompiledRollup[];
  private readonly byType = new Map<string, CompiledRollup[]>();
  private events = 0;
  private rows = 0;

  /**
   * The dimensions the rollups of `config` read (group-by and distinct-count ones):
   * the only ones an event needs to carry into `add`.
   */
  static dimensionsRead(config: SluiceConfig): ReadonlySet<string> {
    const names = new Set<string>();
    for (const r of config.rollups) {
      for (const d of r.groupBy) names.add(d);
      if (r.approxDistinct !== undefined) names.add(r.approxDistinct);
    }
    return names;
  }

  constructor(config: SluiceConfig) {
    this.rollups = config.rollups.map((r: RollupConfig) => ({
      name: r.name,
      types: r.types === '*' ? null : new Set(r.types),
      groupBy: r.groupBy,
      windows: r.windows,
      approxDistinct: r.approxDistinct,
      groups: new Map(),
    }));
  }

  /** Events added so far. */
  get eventCount(): number {
    return this.events;
  }

  /** Distinct rows touched so far. */
  get rowCount(): number {
    return this.rows;
  }

  add(ev: RollupEvent): void {
    this.events++;
    const rollups = this.byType.get(ev.type) ?? this.rollupsFor(ev.type);
    const tsS = Math.floor(ev.ts / 1000);
    const value = ev.value;
    for (let ri = 0; ri < rollups.length; ri++) {
      const r = rollups[ri]!;
      const group = this.groupOf(r, ev);
      const distinct = r.approxDistinct === undefined ? undefined : ev.dims?.[r.approxDistinct];
      for (let wi = 0; wi < r.windows.length; wi++) {
        const w = r.windows[wi]!;
        const bucketS = tsS - (tsS % w);
        const rows = group.byWindow[wi]!;
        let row = rows.get(bucketS);
        if (row === undefined) {
          row = {
            windowS: w, bucketS, count: 0, sum: new DecimalSum(), min: value, max: value,
            hll: r.approxDistinct ? new HyperLogLog() : null,
          };
          rows.set(bucketS, row);
          this.rows++;
        }
        row.count++;
        row.sum.add(value);
        if (value < row.min) row.min = value;
        else if (value > row.max) row.max = value;
        if (distinct !== undefined) row.hll!.add(distinct);
      }
    }
  }

  /** The deltas, ordered by row key (the order rows are locked in, to avoid deadlocks). */
  deltas(): RollupDelta[] {
    const out: RollupDelta[] = [];
    for (const r of this.rollups) {
      for (const g of r.groups.values()) {
        for (const rows of g.byWindow) {
          for (const row of rows.values()) {
            out.push({
              rollup: r.name, windowS: row.windowS, eventType: g.eventType, bucketS: row.bucketS,
              dimKey: g.dimKey, dims: g.dims, count: row.count, sum: row.sum.toString(),
              min: row.min, max: row.max, hll: row.hll,
            });
          }
        }
      }
    }
    return out.sort(compareDeltas);
  }

  private groupOf(r: CompiledRollup, ev: RollupEvent): Group {
    let key = ev.type;
    let values: (string | null)[] | undefined;
    if (r.groupBy.length === 1) {
      const v = ev.dims?.[r.groupBy[0]!] ?? null;
      values = [v];
      // An event type never holds control characters, so these keys are unambiguous.
      key += v === null ? '\u0002' : `\u0001${v}`;
    } else if (r.groupBy.length > 1) {
      values = r.groupBy.map((d) => ev.dims?.[d] ?? null);
      key += `\u0003${JSON.stringify(values)}`;
    }
    let g = r.groups.get(key);
    if (g === undefined) {
      let dims = NO_DIMS;
      if (values) {
        dims = {};
        r.groupBy.forEach((d, i) => (dims[d] = values[i]!));
      }
      g = {
        eventType: ev.type,
        dimKey: values ? JSON.stringify(values) : '[]',
        dims,
        byWindow: r.windows.map(() => new Map()),
      };
      r.groups.set(key, g);
    }
    return g;
  }

  private rollupsFor(type: string): CompiledRollup[] {
    const list = this.rollups.filter((r) => r.types === null || r.types.has(type));
    this.byType.set(type, list);
    return list;
  }
}

function compareDeltas(a: RollupDelta, b: RollupDelta): number {
  return cmp(a.rollup, b.rollup) || a.windowS - b.windowS || cmp(a.eventType, b.eventType) || a.bucketS - b.bucketS || cmp(a.dimKey, b.dimKey);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
