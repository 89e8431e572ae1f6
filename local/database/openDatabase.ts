// Opens the database the local stack runs on: an external PostgreSQL when a URL is
// given (DATABASE_URL), otherwise embedded PGlite (persisted under dataDir if set).
import { PgliteDatabase } from './PgliteDatabase.ts';
import { PostgresDatabase } from './PostgresDatabase.ts';
import type { OpenDatabaseOptions, SqlDatabase } from './types.ts';

export async function openDatabase(opts: OpenDatabaseOptions = {}): Promise<SqlDatabase> {
  if (opts.databaseUrl) return PostgresDatabase.open(opts.databaseUrl, opts.maxConnections);
  return PgliteDatabase.open(opts.dataDir);
}
