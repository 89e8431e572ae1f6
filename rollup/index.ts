// The rollup: its definition in the configuration and that definition's checks, the
// measures a row keeps (each defined once: accumulating, SQL merge, reading back,
// combining), the aggregator's leveling of events into deltas, the upsert that
// stores them and the SQL and readers that bring them back.
export type { RollupConfig, RollupConfigInput, RollupSet } from './RollupConfig.ts';
export { DEFAULT_ROLLUPS, DEFAULT_ROLLUP_NAME } from './defaults.ts';
export { validateRollups } from './validateRollups.ts';
export { ConfigError, ResultShapeError, BucketSizeError } from './errors.ts';
export type { Measure } from './Measure.ts';
export { MEASURES } from './measures/index.ts';
export type { MeasureName, MeasureStates, MeasureValues, RollupDelta } from './RollupDelta.ts';
export { RollupAccumulator } from './RollupAccumulator.ts';
export { UPSERT_ROLLUPS_SQL, UPSERT_ROLLUPS_PARAMETER, ROW_KEY_FIELDS, rollupRowsJson } from './upsertRollups.ts';
export { rebucketSelect, BUCKET_COLUMN } from './rebucketSelect.ts';
export type { RebucketSelect } from './rebucketSelect.ts';
export { namedRows, readMeasures, combineMeasures } from './readRollupRows.ts';
export type { DataApiRows, NamedRow } from './readRollupRows.ts';
export { DecimalSum } from './DecimalSum.ts';
export { HyperLogLog, estimateFromStats, murmur3, HLL_PRECISION, HLL_REGISTERS } from './HyperLogLog.ts';
