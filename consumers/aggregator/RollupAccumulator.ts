// Levels a batch: N events become one delta per (rollup, window, type, bucket,
// group-by key), so the statements a batch needs depend on how many distinct rows it
// touches, never on how many events it holds. Pure: no I/O.
import type { SluiceEvent } from '../../core/index.ts';
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
}

interface Accumulating {
  rollup: string;
  windowS: number;
  eventType: string;
  bucketS: number;
  dimKey: string;
  dims: Record<string, string | null>;
  count: number;
  sum: DecimalSum;
  min: number;
  max: number;
  hll: HyperLogLog | null;
}

const NO_DIMS: Record<string, string | null> = Object.freeze({}) as Record<string, string | null>;

function compile(r: RollupConfig): CompiledRollup {
  return {
    name: r.name,
    types: r.types === '*' ? null : new Set(r.types),
    groupBy: r.groupBy,
    windows: r.windows,
    approxDistinct: r.approxDistinct,
  };
}

export class RollupAccumulator {
  private readonly rollups: CompiledRollup[];
  private readonly byType = new Map<string, CompiledRollup[]>();
  private readonly rows = new Map<string, Accumulating>();
  private events = 0;

  constructor(config: SluiceConfig) {
    this.rollups = config.rollups.map(compile);
  }

  /** Events added so far. */
  get eventCount(): number {
    return this.events;
  }

  /** Distinct rows touched so far. */
  get rowCount(): number {
    return this.rows.size;
  }

  add(ev: SluiceEvent): void {
    this.events++;
    const rollups = this.rollupsFor(ev.type);
    const tsS = Math.floor(ev.ts / 1000);
    for (const r of rollups) {
      let dimKey = '[]';
      let dims = NO_DIMS;
      if (r.groupBy.length > 0) {
        dims = {};
        const values: (string | null)[] = [];
        for (const d of r.groupBy) {
          const v = ev.dims?.[d] ?? null;
          dims[d] = v;
          values.push(v);
        }
        dimKey = JSON.stringify(values);
      }
      for (const w of r.windows) {
        const bucketS = tsS - (tsS % w);
        const key = `${r.name}\u0001${w}\u0001${ev.type}\u0001${bucketS}\u0001${dimKey}`;
        let row = this.rows.get(key);
        if (row === undefined) {
          row = {
            rollup: r.name, windowS: w, eventType: ev.type, bucketS, dimKey, dims,
            count: 0, sum: new DecimalSum(), min: ev.value, max: ev.value,
            hll: r.approxDistinct ? new HyperLogLog() : null,
          };
          this.rows.set(key, row);
        }
        row.count++;
        row.sum.add(ev.value);
        if (ev.value < row.min) row.min = ev.value;
        if (ev.value > row.max) row.max = ev.value;
        if (row.hll && r.approxDistinct) {
          const v = ev.dims?.[r.approxDistinct];
          if (v !== undefined) row.hll.add(v);
        }
      }
    }
  }

  /** The deltas, ordered by row key (the order rows are locked in, to avoid deadlocks). */
  deltas(): RollupDelta[] {
    const out: RollupDelta[] = [];
    for (const row of this.rows.values()) {
      out.push({
        rollup: row.rollup, windowS: row.windowS, eventType: row.eventType, bucketS: row.bucketS,
        dimKey: row.dimKey, dims: row.dims, count: row.count, sum: row.sum.toString(),
        min: row.min, max: row.max, hll: row.hll ? row.hll.toSparse() : null,
      });
    }
    return out.sort(compareDeltas);
  }

  private rollupsFor(type: string): CompiledRollup[] {
    let list = this.byType.get(type);
    if (list === undefined) {
      list = this.rollups.filter((r) => r.types === null || r.types.has(type));
      this.byType.set(type, list);
    }
    return list;
  }
}

function compareDeltas(a: RollupDelta, b: RollupDelta): number {
  return cmp(a.rollup, b.rollup) || a.windowS - b.windowS || cmp(a.eventType, b.eventType) || a.bucketS - b.bucketS || cmp(a.dimKey, b.dimKey);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
