// The naive baseline's consumer (one INSERT per event), which the local stack runs for
// the load test's `--compare naive`.
export { createNaiveHandler, NAIVE_TABLE_DDL } from './createNaiveHandler.ts';
export type { NaiveDeps } from './createNaiveHandler.ts';
export { naiveBaselineConsumer } from './naiveBaselineConsumer.ts';
