// The read side: rollups back out of the database, and the quarantine's records.
export { queryRollups } from './queryRollups.ts';
export { resolveRollup, parseTime } from './resolveRollup.ts';
export { QueryError } from './errors.ts';
export type { RollupQuery, RollupResult, RollupRow } from './types.ts';
export { QuarantineStore } from './QuarantineStore.ts';
export type { QuarantineEntry, QuarantineStatus } from './QuarantineStore.ts';
export { redriveQuarantine, redriveEventId } from './redriveQuarantine.ts';
export type { QuarantineFix, QuarantineFixInput, RedriveResult } from './redriveQuarantine.ts';
