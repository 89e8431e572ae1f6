// distinct: the approximate count of distinct values of the rollup's approxDistinct
// dimension (HyperLogLog; the maths is HyperLogLog.ts). Stored as sparse registers
// {"index": rank}. Two sketches merge register by register, the larger rank winning:
// sluice_hll_merge (migration 001) for the upsert's pair; over many rows, one hash
// aggregate over every register of every row (`aggregate` below). Folding
// sketches row by row instead (migration 003's sluice_hll_agg, dropped by 005)
// rebuilds a sketch per row: 6,000 sketches of ~450 registers took 29.9 s that way
// against 4.5 s here on PostgreSQL 15 (a shared machine, noisy). Every re-bucketing,
// the query's included, merges through here.
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
    // array_agg is the outer query's aggregate, so this is one expression per group:
    // the group's sketches, unnested into registers, the largest rank of each kept.
    aggregate: (column) => `(SELECT jsonb_object_agg(q.k, q.rank) FROM (SELECT e.key AS k, max(CAST(e.value AS integer)) AS rank
  FROM unnest(array_agg(${column})) h(sketch), jsonb_each_text(h.sketch) e GROUP BY e.key) q)`,
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
