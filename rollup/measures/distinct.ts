// distinct: the approximate count of distinct values of the rollup's approxDistinct
// dimension (HyperLogLog; the maths is HyperLogLog.ts). Stored as sparse registers
// {"index": rank}; merged in SQL by sluice_hll_merge and its aggregate sluice_hll_agg
// (migrations 001 and 003), so the register-wise maximum is written once in SQL.
import { HLL_REGISTERS, HyperLogLog } from '../HyperLogLog.ts';
import type { Measure } from '../Measure.ts';

export const distinct: Measure<'distinct', HyperLogLog, HyperLogLog> = {
  name: 'distinct',
  column: 'hll',
  sqlType: 'jsonb',
  key: 'h',
  // Every register set: `"1023":23,` with its quotes escaped in a record's JSON.
  readBytes: HLL_REGISTERS * 14,
  kept: (rollup) => rollup.approxDistinct !== undefined,
  start: (_ev, d) => {
    const hll = new HyperLogLog();
    if (d !== undefined) hll.add(d);
    return hll;
  },
  add: (hll, _ev, d) => {
    if (d !== undefined) hll.add(d);
    return hll;
  },
  json: (hll) => hll.toSparseJson(),
  sql: {
    merge: (stored, incoming) => `sluice_hll_merge(${stored}, ${incoming})`,
    aggregate: (column) => `sluice_hll_agg(${column})`,
  },
  read: (v) => {
    if (v === null || v === undefined) return new HyperLogLog();
    return HyperLogLog.fromSparse((typeof v === 'string' ? JSON.parse(v) : v) as Record<string, number>);
  },
  combine: (a, b) => {
    const out = new HyperLogLog();
    out.merge(a);
    out.merge(b);
    return out;
  },
};
