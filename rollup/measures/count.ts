// count: how many events a row holds. Kept by every rollup.
import type { Measure } from '../Measure.ts';
import { readNumber } from './readValues.ts';

export const count: Measure<'count', number, number> = {
  name: 'count',
  column: 'count',
  sqlType: 'bigint',
  key: 'c',
  readBytes: 32,
  kept: () => true,
  start: () => 1,
  add: (n) => n + 1,
  json: (n) => String(n),
  sql: {
    merge: (stored, incoming) => `${stored} + ${incoming}`,
    aggregate: (column) => `CAST(sum(${column}) AS bigint)`,
  },
  read: (v) => readNumber(v) ?? 0,
  combine: (a, b) => a + b,
};
