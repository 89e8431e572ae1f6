// The Data API operations on top of a SqlDatabase, independent of HTTP: request
// validation, resource checks, transactions, statement timeouts, result encoding,
// response limits and the injected faults.
import { DATA_API, sleep } from '../../core/index.ts';
import { SqlStatementError, type SqlDatabase, type SqlResult, type SqlSession } from '../database/index.ts';
import { bindParameters, type BoundStatement } from './ParameterBinding.ts';
import { parseSql, type ParsedSql } from './SqlText.ts';
import { CallContext } from './CallContext.ts';
import { DataApiError } from './errors.ts';
import type { DataApiFaults, DataApiOperation, DropMode } from './DataApiFaults.ts';
import { columnCodecs, columnMetadata, encodeValue, jsonValue, validateResultSetOptions } from './ResultEncoding.ts';
import { TransactionRegistry, type Transaction } from './TransactionRegistry.ts';
import type { TypeCatalog } from './TypeCatalog.ts';
import type {
  BatchExecuteStatementRequest, BeginTransactionRequest, EndTransactionRequest, ExecuteStatementRequest, WireField,
} from './types.ts';

export interface DataApiServiceOptions {
  database: SqlDatabase;
  catalog: TypeCatalog;
  faults: DataApiFaults;
  resourceArn: string;
  secretArn: string;
  databaseName: string;
  statementTimeoutMs: number;
  transactionIdleTimeoutMs: number;
}

/** An operation's answer, or the instruction to lose it after the commit. */
export type ServiceOutcome = { body: Record<string, unknown> } | { drop: DropMode };

export class DataApiService {
  private readonly transactions: TransactionRegistry;
  private readonly parsed = new Map<string, ParsedSql>();
  private closed = false;
  /** Calls per operation since start, refused ones included (the load test's "Data API calls"). */
  readonly calls: Record<DataApiOperation, number> = { ExecuteStatement: 0, BatchExecuteStatement: 0, BeginTransaction: 0, CommitTransaction: 0, RollbackTransaction: 0 };

  constructor(private readonly o: DataApiServiceOptions) {
    this.transactions = new TransactionRegistry(o.transactionIdleTimeoutMs, DATA_API.transactionMaxLifetimeMs);
  }

  async call(op: DataApiOperation, request: unknown): Promise<ServiceOutcome> {
    if (op in this.calls) this.calls[op]++;
    if (!request || typeof request !== 'object' || Array.isArray(request)) throw new DataApiError('BadRequestException', 'The request body must be a JSON object');
    const injected = this.o.faults.takeFailure(op);
    if (injected) throw injected;
    const ctx = new CallContext();
    let job: Promise<ServiceOutcome>;
    switch (op) {
      case 'ExecuteStatement': job = this.execute(request as ExecuteStatementRequest, ctx); break;
      case 'BatchExecuteStatement': job = this.batchExecute(request as BatchExecuteStatementRequest, ctx); break;
      case 'BeginTransaction': job = this.begin(request as BeginTransactionRequest); break;
      case 'CommitTransaction': job = this.end(request as EndTransactionRequest, 'commit'); break;
      case 'RollbackTransaction': job = this.end(request as EndTransactionRequest, 'rollback'); break;
      default: throw new DataApiError('BadRequestException', `Unknown operation ${String(op)}`);
    }
    // A statement that times out answers the caller at once; the operation itself
    // goes on in the background (committing, or failing after a cancel).
    job.catch(() => {});
    return Promise.race([job, ctx.timedOut]);
  }

  /** Rolls back every open transaction and returns their sessions. */
  async close(): Promise<void> {
    this.closed = true;
    for (const tx of this.transactions.all()) {
      this.transactions.remove(tx);
      await tx.session.query('ROLLBACK').catch(() => {});
      tx.session.release();
    }
  }

  get openTransactions(): number {
    return this.transactions.size;
  }

  get transactionCounts(): { open: number; peakOpen: number; begun: number } {
    return { open: this.transactions.size, peakOpen: this.transactions.peak, begun: this.transactions.begun };
  }

  resetTransactionPeak(): void {
    this.transactions.resetPeak();
  }

  // ---- operations ----

  private async execute(req: ExecuteStatementRequest, ctx: CallContext): Promise<ServiceOutcome> {
    this.checkResource(req.resourceArn, req.secretArn);
    this.checkDatabase(req.database);
    const sql = this.checkSql(req.sql);
    if (req.formatRecordsAs !== undefined && req.formatRecordsAs !== 'NONE' && req.formatRecordsAs !== 'JSON') {
      throw new DataApiError('BadRequestException', `Invalid formatRecordsAs ${String(req.formatRecordsAs)}: expected NONE or JSON`);
    }
    validateResultSetOptions(req.resultSetOptions);
    // Aurora refuses continueAfterTimeout on a statement inside a transaction: the
    // transaction could not go on while the statement runs.
    if (req.transactionId !== undefined && req.continueAfterTimeout) {
      throw new DataApiError('BadRequestException', 'continueAfterTimeout is not supported for a statement that runs in a transaction');
    }
    const bound = bindParameters(sql, req.parameters);
    const json = req.formatRecordsAs === 'JSON';
    const run = async (session: SqlSession) => {
      const result = await this.runStatement(ctx, session, 'ExecuteStatement', bound, !!req.continueAfterTimeout);
      return this.encodeExecute(session, result, req, json);
    };
    if (req.transactionId !== undefined) {
      return this.inTransaction(req.transactionId, (tx) => run(tx.session));
    }
    const session = await this.o.database.acquire();
    // PGlite cannot cancel a running statement; wrapping the statement in its own
    // transaction lets a timed-out one be rolled back instead, as a cancel would.
    const wrap = this.o.database.kind === 'pglite' && !req.continueAfterTimeout && !OUTSIDE_TRANSACTION_BLOCK.test(req.sql!);
    let broken = false;
    try {
      if (wrap) await session.query('BEGIN');
      let body: Record<string, unknown>;
      try {
        body = await run(session);
      } catch (err) {
        if (wrap) await session.query('ROLLBACK').catch(() => { broken = true; });
        throw err;
      }
      if (wrap) await session.query(ctx.cancelRequested ? 'ROLLBACK' : 'COMMIT');
      // A transaction block opened by SQL text ends with the call: only
      // BeginTransaction makes a transaction that spans calls. Closing it here keeps
      // the connection clean for the next caller (on PGlite, for every caller).
      if (OPENS_TRANSACTION_BLOCK.test(req.sql!)) await session.query('ROLLBACK');
      const drop = ctx.answered ? undefined : this.o.faults.takeDrop('ExecuteStatement');
      return drop ? { drop: drop.mode } : { body };
    } finally {
      session.release(broken);
    }
  }

  private async batchExecute(req: BatchExecuteStatementRequest, ctx: CallContext): Promise<ServiceOutcome> {
    this.checkResource(req.resourceArn, req.secretArn);
    this.checkDatabase(req.database);
    const sql = this.checkSql(req.sql);
    if (req.parameterSets !== undefined && !Array.isArray(req.parameterSets)) throw new DataApiError('BadRequestException', 'parameterSets must be a list');
    // Every set is bound before anything runs, so a bad parameter changes nothing.
    // Without parameter sets the statement runs once with none (AWS is silent; an
    // empty list of results is returned).
    const sets = req.parameterSets ?? [];
    const bound = sets.length === 0 ? [bindParameters(sql, [])] : sets.map((s) => bindParameters(sql, s));
    const runAll = async (session: SqlSession) => {
      const updateResults: { generatedFields: WireField[] }[] = [];
      for (const b of bound) {
        const r = await this.runStatement(ctx, session, 'BatchExecuteStatement', b, false);
        // The JDBC batch Aurora runs refuses statements that return rows.
        if (r.fields.length > 0) {
          throw new DataApiError('DatabaseErrorException', 'A result was returned when none was expected.; SQLState: 0100E');
        }
        if (sets.length > 0) updateResults.push({ generatedFields: [] });
      }
      if (ctx.cancelRequested) throw new DataApiError('StatementTimeoutException', 'Request timed out', session.connectionId);
      return { updateResults };
    };
    if (req.transactionId !== undefined) {
      return this.inTransaction(req.transactionId, (tx) => runAll(tx.session));
    }
    // Outside a transaction the whole batch is atomic, as a JDBC batch sent in one
    // protocol round trip is on PostgreSQL: one failing set rolls back all of them.
    const session = await this.o.database.acquire();
    let broken = false;
    try {
      await session.query('BEGIN');
      let body: Record<string, unknown>;
      try {
        body = await runAll(session);
      } catch (err) {
        await session.query('ROLLBACK').catch(() => { broken = true; });
        throw err;
      }
      await session.query('COMMIT');
      const drop = ctx.answered ? undefined : this.o.faults.takeDrop('BatchExecuteStatement');
      return drop ? { drop: drop.mode } : { body };
    } finally {
      session.release(broken);
    }
  }

  private async begin(req: BeginTransactionRequest): Promise<ServiceOutcome> {
    this.checkResource(req.resourceArn, req.secretArn);
    this.checkDatabase(req.database);
    const session = await this.o.database.acquire();
    try {
      await session.query('BEGIN');
    } catch (err) {
      session.release(true);
      throw this.databaseError(err);
    }
    if (this.closed) {
      await session.query('ROLLBACK').catch(() => {});
      session.release();
      throw new DataApiError('ServiceUnavailableError', 'The local Data API is shutting down');
    }
    const tx = this.transactions.add(session, this.o.databaseName, (t) => this.expire(t));
    return { body: { transactionId: tx.id } };
  }

  private async end(req: EndTransactionRequest, how: 'commit' | 'rollback'): Promise<ServiceOutcome> {
    this.checkResource(req.resourceArn, req.secretArn);
    if (typeof req.transactionId !== 'string' || req.transactionId === '') throw new DataApiError('BadRequestException', 'transactionId is required');
    const tx = this.transactions.claim(req.transactionId, (t) => this.expire(t));
    this.transactions.remove(tx);
    let broken = false;
    try {
      if (how === 'rollback') {
        await tx.session.query('ROLLBACK');
        return { body: { transactionStatus: 'Rollback Complete' } };
      }
      const r = await tx.session.query('COMMIT');
      // PostgreSQL answers COMMIT of a failed transaction with ROLLBACK; the JDBC
      // driver under Aurora turns that into an error, so the caller learns it.
      if (r.command === 'ROLLBACK') {
        throw new DataApiError('DatabaseErrorException', 'ERROR: The database returned ROLLBACK, so the transaction cannot be committed. An earlier statement in the transaction failed.; SQLState: 40P01');
      }
      const drop = this.o.faults.takeDrop('CommitTransaction');
      return drop ? { drop: drop.mode } : { body: { transactionStatus: 'Transaction Committed' } };
    } catch (err) {
      // A statement error leaves the connection usable; anything else may not have.
      if (!(err instanceof DataApiError) && !(err instanceof SqlStatementError)) broken = true;
      throw this.databaseError(err);
    } finally {
      tx.session.release(broken);
    }
  }

  // ---- statements ----

  /** Runs `fn` on the claimed transaction `id`; it stays busy until `fn` (its statement included) has ended. */
  private async inTransaction(id: string, fn: (tx: Transaction) => Promise<Record<string, unknown>>): Promise<ServiceOutcome> {
    if (typeof id !== 'string' || id === '') throw new DataApiError('BadRequestException', 'transactionId must be a non-empty string');
    const tx = this.transactions.claim(id, (t) => this.expire(t));
    try {
      return { body: await fn(tx) };
    } finally {
      this.transactions.unclaim(tx, (t) => this.expire(t));
    }
  }

  /**
   * Runs one statement with the Data API's statement timeout. On timeout the caller
   * is answered StatementTimeoutException at once (through `ctx`); without
   * continueAfterTimeout the statement is cancelled (PostgreSQL), otherwise it runs
   * on, and the operation continues with its outcome either way.
   */
  private async runStatement(ctx: CallContext, session: SqlSession, op: DataApiOperation, bound: BoundStatement, continueAfterTimeout: boolean): Promise<SqlResult> {
    const delay = this.o.faults.takeDelay(op);
    const timeoutMs = this.o.statementTimeoutMs;
    const started = Date.now();
    const timeoutError = () => new DataApiError('StatementTimeoutException', 'Request timed out', session.connectionId);
    // An injected delay models a statement that completes after its caller gave up,
    // so it is never cancelled.
    const cancels = !continueAfterTimeout && !delay;
    const timer = setTimeout(() => {
      ctx.timeOut(timeoutError());
      if (cancels) {
        ctx.cancelRequested = true;
        void session.cancel().catch(() => false);
      }
    }, timeoutMs);
    try {
      if (delay) await sleep(delay.delayMs ?? timeoutMs + 100);
      const result = await session.query(bound.sql, bound.params);
      // PGlite runs a statement synchronously, so no timer fires while it runs: one
      // that overran is reported as timed out once it returns, and the caller rolls
      // back what a cancel would have stopped.
      if (Date.now() - started > timeoutMs) {
        ctx.timeOut(timeoutError());
        if (cancels) ctx.cancelRequested = true;
      }
      if (ctx.cancelRequested && this.o.database.kind === 'pglite') await this.abortAfterCancel(session);
      return result;
    } catch (err) {
      throw this.databaseError(err, bound);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * PGlite: leaves an open transaction in the failed state a cancelled statement
   * leaves it in on PostgreSQL (later statements fail, COMMIT rolls back). Outside
   * a transaction block this raises nothing lasting.
   */
  private async abortAfterCancel(session: SqlSession): Promise<void> {
    await session.query("DO $$BEGIN RAISE EXCEPTION USING ERRCODE = '57014', MESSAGE = 'canceling statement due to user request'; END$$").catch(() => {});
  }

  private encodeExecute = async (session: SqlSession, result: SqlResult, req: ExecuteStatementRequest, json: boolean): Promise<Record<string, unknown>> => {
    const hasResultSet = result.fields.length > 0;
    const updated = result.command === 'SELECT' || result.command === 'SHOW' ? 0 : (['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY'].includes(result.command) ? result.rowCount : 0);
    const body: Record<string, unknown> = { numberOfRecordsUpdated: updated };
    if (!hasResultSet) {
      // generatedFields are not supported on Aurora PostgreSQL: always empty.
      body.generatedFields = [];
      return body;
    }
    const codecs = await columnCodecs(result, this.o.catalog, (sql) => session.query(sql));
    const opts = { ...(req.resultSetOptions ? { resultSetOptions: req.resultSetOptions } : {}) };
    for (const row of result.rows) {
      let bytes = 0;
      for (const v of row) bytes += v === null ? 0 : Buffer.byteLength(v);
      if (bytes > DATA_API.maxRowBytes) {
        throw new DataApiError('BadRequestException', `Database returned a row of ${bytes} bytes, more than the 64 KB a row may have in a Data API result`);
      }
    }
    if (json) {
      const names = result.fields.map((f) => f.name);
      const objects = result.rows.map((row) => {
        const o: Record<string, unknown> = {};
        row.forEach((v, i) => { o[names[i]!] = jsonValue(v, codecs[i]!, opts); });
        return o;
      });
      const formatted = JSON.stringify(objects);
      // formattedRecords has its own, larger limit than typed records.
      if (Buffer.byteLength(formatted) > DATA_API.maxFormattedRecordsBytes) {
        throw new DataApiError('BadRequestException', 'Database returned more than the allowed response size limit');
      }
      body.formattedRecords = formatted;
      return body;
    }
    body.records = result.rows.map((row) => row.map((v, i) => encodeValue(v, codecs[i]!, opts)));
    if (req.includeResultMetadata) {
      const metadata = [];
      for (const c of codecs) {
        const origin = await this.columnOrigin(session, c.field.tableOid, c.field.columnNumber);
        metadata.push(columnMetadata(c, origin.tableName, origin.nullable, origin.autoIncrement));
      }
      body.columnMetadata = metadata;
    }
    if (Buffer.byteLength(JSON.stringify(body)) > DATA_API.maxResponseBytes) {
      throw new DataApiError('BadRequestException', 'Database returned more than the allowed response size limit');
    }
    return body;
  };

  private readonly origins = new Map<string, { tableName: string; nullable: number; autoIncrement: boolean }>();

  /** Table name, nullability and serial-ness of a result column that comes straight from a table. */
  private async columnOrigin(session: SqlSession, tableOid: number, column: number): Promise<{ tableName: string; nullable: number; autoIncrement: boolean }> {
    // An expression column: the JDBC driver reports it nullable, from no table.
    if (!tableOid || !column) return { tableName: '', nullable: 1, autoIncrement: false };
    const key = `${tableOid}:${column}`;
    let o = this.origins.get(key);
    if (!o) {
      const r = await session.query(
        `SELECT c.relname::text, a.attnotnull::text, coalesce(pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%', false)::text
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
          WHERE a.attrelid = $1::oid AND a.attnum = $2::int2`,
        [String(tableOid), String(column)],
      );
      const row = r.rows[0];
      o = row ? { tableName: row[0]!, nullable: row[1] === 'true' ? 0 : 1, autoIncrement: row[2] === 'true' } : { tableName: '', nullable: 2, autoIncrement: false };
      this.origins.set(key, o);
    }
    return o;
  }

  // ---- checks ----

  // Aurora answers an unknown cluster or secret before it looks at the SQL. AWS does
  // not document the exact texts; these name the value that did not match.
  private checkResource(resourceArn: unknown, secretArn: unknown): void {
    if (typeof resourceArn !== 'string' || resourceArn === '') throw new DataApiError('BadRequestException', 'resourceArn is required');
    if (resourceArn !== this.o.resourceArn) throw new DataApiError('BadRequestException', `Invalid resourceArn ${resourceArn}: no DB cluster with this ARN has the Data API enabled (the local stack serves ${this.o.resourceArn})`);
    if (typeof secretArn !== 'string' || secretArn === '') throw new DataApiError('BadRequestException', 'secretArn is required');
    if (secretArn !== this.o.secretArn) throw new DataApiError('BadRequestException', `Error fetching secret ${secretArn}: secret not found or not for this DB cluster (the local stack uses ${this.o.secretArn})`);
  }

  private checkDatabase(database: unknown): void {
    // Without a database Aurora uses the one named in the secret: here, the configured one.
    if (database === undefined) return;
    if (database !== this.o.databaseName) {
      throw new DataApiError('DatabaseErrorException', `ERROR: database "${typeof database === 'string' ? database : JSON.stringify(database)}" does not exist; SQLState: 3D000`);
    }
  }

  private checkSql(sql: unknown): ParsedSql {
    if (typeof sql !== 'string') throw new DataApiError('BadRequestException', 'sql is required');
    let parsed = this.parsed.get(sql);
    if (!parsed) {
      parsed = parseSql(sql);
      if (this.parsed.size > 1000) this.parsed.clear();
      this.parsed.set(sql, parsed);
    }
    if (parsed.empty) throw new DataApiError('BadRequestException', 'The SQL statement is empty');
    // PostgreSQL's extended protocol, which Aurora's driver uses, refuses this too.
    if (parsed.multipleStatements) {
      throw new DataApiError('DatabaseErrorException', 'ERROR: cannot insert multiple commands into a prepared statement; SQLState: 42601');
    }
    return parsed;
  }

  /** A database error as Aurora reports it: the server message with its SQLSTATE. */
  private databaseError(err: unknown, bound?: BoundStatement): unknown {
    if (err instanceof DataApiError) return err;
    if (err instanceof SqlStatementError) {
      const at = err.position === undefined ? undefined : bound ? bound.originalPosition(err.position) : err.position;
      const position = at !== undefined ? `\n  Position: ${at}` : '';
      return new DataApiError('DatabaseErrorException', `ERROR: ${err.message}${position}; SQLState: ${err.code}`);
    }
    return new DataApiError('InternalServerErrorException', `Internal error: ${err instanceof Error ? err.message : String(err)}`);
  }

  /** Idle or too old: roll back and forget (a busy transaction is checked again later). */
  private expire(tx: Transaction): void {
    if (tx.busy) {
      tx.touch(this.o.transactionIdleTimeoutMs, () => this.expire(tx));
      return;
    }
    if (!this.transactions.remove(tx)) return;
    void tx.session.query('ROLLBACK').then(() => tx.session.release(), () => tx.session.release(true));
  }
}

// Statements PostgreSQL refuses inside a transaction block.
const OUTSIDE_TRANSACTION_BLOCK = /^\s*(VACUUM|CREATE\s+DATABASE|DROP\s+DATABASE|ALTER\s+SYSTEM|CREATE\s+(UNIQUE\s+)?INDEX\s+CONCURRENTLY|DROP\s+INDEX\s+CONCURRENTLY|REINDEX|CREATE\s+TABLESPACE|DROP\s+TABLESPACE|BEGIN|START|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION|COMMIT\s+PREPARED|ROLLBACK\s+PREPARED)\b/i;

// Statements that open a transaction block (ended with the call that ran them).
const OPENS_TRANSACTION_BLOCK = /^\s*(BEGIN|START\s+TRANSACTION)\b/i;


