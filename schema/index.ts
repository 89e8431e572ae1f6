// The database contract: SQL migrations and their runner, the table names, and the
// small Data API layer (session, parameters, field readers) the consumers and the
// query side share.
export { migrate } from './migrate.ts';
export type { MigrateOptions } from './migrate.ts';
export { loadMigrations, MIGRATIONS_DIR } from './migrations.ts';
export type { Migration } from './migrations.ts';
export { splitSqlStatements } from './statements.ts';
export { TABLES } from './tables.ts';
export { DataApiSession } from './DataApiSession.ts';
export type { DataApiCallObserver, ExecuteOptions, ResultOptions } from './DataApiSession.ts';
export { sqlParameter, sqlParameters, fieldValue, fieldText, fieldNumber, fieldBytes } from './parameters.ts';
export { MigrationError, StatementRetriedError } from './errors.ts';
export type { DataApiTarget, SqlValue } from './types.ts';
