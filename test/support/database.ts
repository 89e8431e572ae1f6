// A scratch database on the PostgreSQL named by DATABASE_URL, so test files that run
// at the same time never see each other's tables. Without DATABASE_URL there is none
// (tests then use the embedded PostgreSQL, the local stack's default).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type SqlDatabase } from '../../local/database/index.ts';

export interface ScratchDatabase {
  /** Connection string of the fresh database. */
  url: string;
  /** Drops the database (terminating any connection left open). */
  drop(): Promise<void>;
}

export async function scratchDatabaseUrl(): Promise<ScratchDatabase | undefined> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return undefined;
  const name = `sluice_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => admin(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface DatabaseMode {
  name: string;
  /** Where the database comes from: the embedded default, DATABASE_URL's server, or PGlite by name. */
  source: 'embedded' | 'url' | 'pglite';
  /** A real PostgreSQL server: many connections, statements that run while others are answered. */
  postgres: boolean;
  available: boolean;
}

/** The engines a Data API suite runs on: the default (embedded PostgreSQL) first, DATABASE_URL's server when set, and PGlite. */
export const DATABASE_MODES: DatabaseMode[] = [
  { name: 'embedded PostgreSQL (default)', source: 'embedded', postgres: true, available: true },
  { name: 'PostgreSQL (DATABASE_URL)', source: 'url', postgres: true, available: !!process.env.DATABASE_URL },
  { name: 'PGlite', source: 'pglite', postgres: false, available: true },
];

/** A fresh database of the mode; `close` closes it and drops what it made. */
export async function openModeDatabase(mode: DatabaseMode): Promise<{ db: SqlDatabase; close(): Promise<void> }> {
  const scratch = mode.source === 'url' ? await scratchDatabaseUrl() : undefined;
  const db = await openDatabase(scratch ? { databaseUrl: scratch.url } : { engine: mode.source === 'pglite' ? 'pglite' : 'postgres' });
  return {
    db,
    async close() {
      await db.close();
      await scratch?.drop();
    },
  };
}

/** The error a call failed with; fails the test if it succeeded. */
export async function failure(call: Promise<unknown>): Promise<Error> {
  try {
    await call;
  } catch (err) {
    return err as Error;
  }
  throw new Error('the call succeeded but was expected to fail');
}

/** Fresh table names for suites that share one database: `stem_1`, `stem_2`, ... */
export function tableNamer(): (stem: string) => string {
  let seq = 0;
  return (stem) => `${stem}_${++seq}`;
}
