// PostgreSQL embedded in this process (PGlite, WebAssembly): one connection, so a
// session holds it exclusively and others queue (SessionQueue). Persisted in a data
// directory when one is given, otherwise in memory. Values cross in PostgreSQL's
// text format both ways, as they do with the `pg` driver.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { DatabaseClosedError, toSqlError } from './errors.ts';
import { SessionQueue } from './SessionQueue.ts';
import type { SqlDatabase, SqlParam, SqlResult, SqlSession } from './types.ts';

type Parser = (value: string, typeId?: number) => unknown;

export class PgliteDatabase implements SqlDatabase {
  readonly kind = 'pglite' as const;
  private readonly queue = new SessionQueue();
  private closed = false;

  private constructor(
    private readonly db: PGlite,
    /** Identity parsers for every type OID: results stay in PostgreSQL's text format. */
    private readonly rawParsers: Record<number, Parser>,
    /** Identity serializers: parameters arrive already in PostgreSQL's text format. */
    private readonly rawSerializers: Record<number, (value: unknown) => string>,
  ) {}

  static async open(dataDir?: string): Promise<PgliteDatabase> {
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const db = dataDir ? await PGlite.create(dataDir) : await PGlite.create();
    // PGlite's own parsers turn values into JS objects (Dates, numbers, arrays); the
    // Data API needs the exact text PostgreSQL sent, so every known type is mapped to
    // identity. Types created later (enums, domains) have no parser and stay text anyway.
    const types = await db.query<{ oid: number }>('SELECT oid::int4 AS oid FROM pg_type');
    const raw: Record<number, Parser> = {};
    const rawOut: Record<number, (value: unknown) => string> = {};
    for (const t of types.rows) {
      raw[t.oid] = (v: string) => v;
      rawOut[t.oid] = (v: unknown) => String(v);
    }
    return new PgliteDatabase(db, raw, rawOut);
  }

  async acquire(): Promise<SqlSession> {
    if (this.closed) throw new DatabaseClosedError();
    await this.queue.acquire();
    let released = false;
    return {
      connectionId: 1,
      query: (sql, params) => {
        if (released) return Promise.reject(new Error('session already released'));
        return this.run(sql, params ?? []);
      },
      cancel: async () => false,
      release: () => {
        if (released) return;
        released = true;
        this.queue.release();
      },
    };
  }

  async query(sql: string, params: readonly SqlParam[] = []): Promise<SqlResult> {
    const s = await this.acquire();
    try {
      return await s.query(sql, params);
    } finally {
      s.release();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.close();
    await this.db.close();
  }

  private async run(sql: string, params: readonly SqlParam[]): Promise<SqlResult> {
    try {
      const r = await this.db.query<unknown[]>(sql, params as SqlParam[], { rowMode: 'array', parsers: this.rawParsers, serializers: this.rawSerializers });
      return {
        command: (r.command ?? '').toUpperCase(),
        rowCount: r.rowCount ?? r.affectedRows ?? r.rows.length,
        fields: r.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID, typeModifier: -1, tableOid: 0, columnNumber: 0 })),
        rows: r.rows.map((row) => row.map((v) => (v === null || v === undefined ? null : String(v)))),
      };
    } catch (err) {
      throw toSqlError(err);
    }
  }
}
