// The measures every rollup row keeps, in column order. Adding a measure: a file
// here defining it (see ../Measure.ts), its entry in MEASURES, and a migration adding
// its column (and SQL merge function, when the database has none).
import { count } from './count.ts';
import { distinct } from './distinct.ts';
import { max } from './max.ts';
import { min } from './min.ts';
import { sum } from './sum.ts';

export const MEASURES = [count, sum, min, max, distinct] as const;

export { count, sum, min, max, distinct };
