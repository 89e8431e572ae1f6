// max: the largest event value in a row. Kept by every rollup.
import type { Measure } from '../Measure.ts';
import { readNumber } from './readValues.ts';

export const max: Measure<'max', number, number> = {
  name: 'max',
  column: 'max',
  sqlType: 'float8',
  key: 'hi',
  readBytes: 32,
  kept: () => true,
  start: (ev) => ev.value,
  add: (m, ev) => (ev.value > m ? ev.value : m),
  json: (m) => String(m),
  sql: {
    merge: (stored, incoming) => `GREATEST(${stored}, ${incoming})`,
    aggregate: (column) => `max(${column})`,
  },
  read: (v) => readNumber(v)!,
  combine: (a, b) => Math.max(a, b),
};
