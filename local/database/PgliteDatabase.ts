// PostgreSQL embedded in this process (PGlite, WebAssembly): one connection, so a
// session holds it exclusively and others queue (SessionQueue). Persisted in a data
// directory when one is given, otherwise in memory. Statements go over the extended
// query protocol with values in text format both ways, as with the `pg` driver.
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { DatabaseClosedError, DatabaseOpenError, toSqlError } from './errors.ts';
import { extendedQuery } from './ExtendedQuery.ts';
import { SessionQueue } from './SessionQueue.ts';
import type { SqlDatabase, SqlParam, SqlResult, SqlSession } from './types.ts';
import { queryOnOwnSession } from './queryOnOwnSession.ts';

export class PgliteDatabase implements SqlDatabase {
  readonly kind = 'pglite' as const;
  private readonly queue = new SessionQueue();
  private closed = false;
  /** Statements of the session holder, one at a time: PGlite interleaves concurrent protocol calls. */
  private running: Promise<unknown> = Promise.resolve();

  private constructor(private readonly db: PGlite) {}

  static async open(dataDir?: string): Promise<PgliteDatabase> {
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    try {
      return new PgliteDatabase(dataDir ? await PGlite.create(dataDir) : await PGlite.create());
    } catch (err) {
      throw new DatabaseOpenError(dataDir ?? '(memory)', err);
    }
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

  query(sql: string, params?: readonly SqlParam[]): Promise<SqlResult> {
    return queryOnOwnSession(this, sql, params);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue.close();
    await this.db.close();
  }

  private run(sql: string, params: readonly SqlParam[]): Promise<SqlResult> {
    const next = this.running.then(() => this.runNow(sql, params));
    this.running = next.catch(() => {});
    return next;
  }

  private async runNow(sql: string, params: readonly SqlParam[]): Promise<SqlResult> {
    let messages: { name: string }[];
    try {
      messages = (await this.db.execProtocol(extendedQuery(sql, params))).messages;
    } catch (err) {
      throw toSqlError(err);
    }
    const result: SqlResult = { command: '', rowCount: 0, fields: [], rows: [] };
    for (const m of messages) {
      if (m.name === 'rowDescription') {
        result.fields = (m as unknown as { fields: WireField[] }).fields.map((f) => ({
          name: f.name, typeOid: f.dataTypeID, typeModifier: f.dataTypeModifier, tableOid: f.tableID, columnNumber: f.columnID,
        }));
      } else if (m.name === 'dataRow') {
        result.rows.push((m as unknown as { fields: (string | null)[] }).fields);
      } else if (m.name === 'commandComplete') {
        const words = (m as unknown as { text: string }).text.split(' ');
        result.command = words[0]!.toUpperCase();
        const n = Number(words[words.length - 1]);
        result.rowCount = Number.isFinite(n) ? n : result.rows.length;
      }
    }
    return result;
  }
}

interface WireField { name: string; tableID: number; columnID: number; dataTypeID: number; dataTypeModifier: number }
