// min: the smallest event value in a row. Kept by every rollup.
import type { Measure } from '../Measure.ts';
import { readNumber } from './readValues.ts';

export const min: Measure<'min', number, number> = {
  name: 'min',
  column: 'min',
  sqlType: 'float8',
  key: 'lo',
  readBytes: 32,
  kept: () => true,
  start: (ev) => ev.value,
  add: (m, ev) => (ev.value < m ? ev.value : m),
  json: (m) => String(m),
  sql: {
    merge: (stored, incoming) => `LEAST(${stored}, ${incoming})`,
    aggregate: (column) => `min(${column})`,
  },
  read: (v) => readNumber(v)!,
  combine: (a, b) => Math.min(a, b),
};
