// Opens the database the local stack runs on: an external PostgreSQL when a URL is
// given (DATABASE_URL), otherwise the embedded PostgreSQL server (persisted under
// dataDir if set), or PGlite when asked for by name.
import { EmbeddedPostgresDatabase } from './EmbeddedPostgresDatabase.ts';
import { PgliteDatabase } from './PgliteDatabase.ts';
import { PostgresDatabase } from './PostgresDatabase.ts';
import type { OpenDatabaseOptions, SqlDatabase } from './types.ts';

export async function openDatabase(opts: OpenDatabaseOptions = {}): Promise<SqlDatabase> {
  if (opts.databaseUrl) return PostgresDatabase.open(opts.databaseUrl, opts.maxConnections);
  if (opts.engine === 'pglite') return PgliteDatabase.open(opts.dataDir);
  return EmbeddedPostgresDatabase.open(opts.dataDir, opts.maxConnections);
}
