// The PostgreSQL under the local stack: embedded PGlite or an external server, behind
// one small session interface.
export { openDatabase } from './openDatabase.ts';
export { PgliteDatabase } from './PgliteDatabase.ts';
export { PostgresDatabase } from './PostgresDatabase.ts';
export { SqlStatementError, DatabaseClosedError } from './errors.ts';
export type { SqlDatabase, SqlSession, SqlResult, SqlField, SqlParam, OpenDatabaseOptions } from './types.ts';
