// A scratch database on the PostgreSQL named by DATABASE_URL, so test files that run
// at the same time never see each other's tables. Without DATABASE_URL there is none
// (tests then use PGlite).
import { randomBytes } from 'node:crypto';
import pg from 'pg';

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

/** The engines a Data API suite runs on: PGlite always, PostgreSQL when DATABASE_URL is set. */
export const DATABASE_MODES = [
  { name: 'PGlite', postgres: false, available: true },
  { name: 'PostgreSQL (DATABASE_URL)', postgres: true, available: !!process.env.DATABASE_URL },
];

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
