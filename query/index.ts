// The read side: rollups back out of the database, and the quarantine's records.
export { queryRollups } from './queryRollups.ts';
export { resolveRollup, parseTime } from './resolveRollup.ts';
export { QueryError } from './errors.ts';
export type { RollupQuery, RollupResult, RollupRow } from './types.ts';
