// sum: the exact decimal sum of the events' values (DecimalSum in TypeScript,
// `numeric` in the database; read back as exact decimal text).
import { DecimalSum } from '../DecimalSum.ts';
import type { Measure } from '../Measure.ts';
import { readText } from './readValues.ts';

export const sum: Measure<'sum', DecimalSum, string> = {
  name: 'sum',
  column: 'sum',
  sqlType: 'numeric',
  key: 's',
  readBytes: 160,
  kept: () => true,
  start: (ev) => {
    const s = new DecimalSum();
    s.add(ev.value);
    return s;
  },
  add: (s, ev) => {
    s.add(ev.value);
    return s;
  },
  json: (s) => `"${s.toString()}"`,
  sql: {
    merge: (stored, incoming) => `${stored} + ${incoming}`,
    // As text, so no reader (records or formattedRecords) ever turns it into a double.
    aggregate: (column) => `CAST(sum(${column}) AS text)`,
  },
  read: (v) => readText(v) ?? '0',
  combine: (a, b) => {
    const s = new DecimalSum();
    s.addText(a);
    s.addText(b);
    return s.toString();
  },
};
