// An external PostgreSQL through a `pg` pool: each session is one pooled client,
// so transactions of different callers run concurrently as they do on Aurora.
import pg from 'pg';
import { DatabaseClosedError, toSqlError } from './errors.ts';
import type { SqlDatabase, SqlParam, SqlResult, SqlSession } from './types.ts';
import { queryOnOwnSession } from './queryOnOwnSession.ts';

// Every value stays in PostgreSQL's text format: the Data API maps types itself.
const rawTypes = { getTypeParser: () => (value: string) => value };

export class PostgresDatabase implements SqlDatabase {
  readonly kind = 'postgres' as const;
  private closed = false;

  private constructor(private readonly pool: pg.Pool) {}

  static async open(databaseUrl: string, maxConnections = 10): Promise<PostgresDatabase> {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: maxConnections, types: rawTypes as unknown as pg.CustomTypesConfig });
    // An idle client that loses its server must not crash the process.
    pool.on('error', () => {});
    const db = new PostgresDatabase(pool);
    await db.query('SELECT 1');
    return db;
  }

  async acquire(): Promise<SqlSession> {
    if (this.closed) throw new DatabaseClosedError();
    const client = await this.pool.connect();
    const pid = (client as unknown as { processID: number }).processID;
    let released = false;
    return {
      connectionId: pid,
      query: (sql, params) => {
        if (released) return Promise.reject(new Error('session already released'));
        return run(client, sql, params ?? []);
      },
      cancel: async () => {
        // A cancel goes over another connection; pg_cancel_backend only stops the
        // statement running now, never the session.
        await this.pool.query('SELECT pg_cancel_backend($1)', [pid]);
        return true;
      },
      release: (broken) => {
        if (released) return;
        released = true;
        client.release(broken ? true : undefined);
      },
    };
  }

  query(sql: string, params?: readonly SqlParam[]): Promise<SqlResult> {
    return queryOnOwnSession(this, sql, params);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

async function run(client: pg.PoolClient, sql: string, params: readonly SqlParam[]): Promise<SqlResult> {
  try {
    // Always the extended protocol (a named-less prepared statement), as on Aurora:
    // it refuses several statements in one string even without parameters.
    const r = await client.query({ text: sql, values: params as SqlParam[], rowMode: 'array', types: rawTypes as unknown as pg.CustomTypesConfig });
    const fields = (r.fields ?? []) as unknown as { name: string; dataTypeID: number; dataTypeModifier: number; tableID: number; columnID: number }[];
    return {
      command: (r.command ?? '').toUpperCase(),
      rowCount: r.rowCount ?? r.rows.length,
      fields: fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID, typeModifier: f.dataTypeModifier, tableOid: f.tableID, columnNumber: f.columnID })),
      // rawTypes leaves every value as PostgreSQL's text.
      rows: (r.rows as (string | null | undefined)[][]).map((row) => row.map((v) => v ?? null)),
    };
  } catch (err) {
    throw toSqlError(err);
  }
}
