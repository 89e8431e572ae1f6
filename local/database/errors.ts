// Errors of the database layer. A statement the server rejects keeps PostgreSQL's
// SQLSTATE and position, so the Data API can report it as Aurora does.
import { SluiceError } from '../../core/index.ts';

/** PostgreSQL rejected a statement. */
export class SqlStatementError extends SluiceError {
  /** SQLSTATE, e.g. 42P01 (undefined table). */
  readonly code: string;
  readonly position: number | undefined;
  readonly detail: string | undefined;
  constructor(message: string, code: string, position?: number, detail?: string, cause?: unknown) {
    super(message, { cause });
    this.code = code;
    this.position = position;
    this.detail = detail;
  }
}

/** The database was closed while a caller still wanted it. */
export class DatabaseClosedError extends SluiceError {
  constructor() {
    super('the database is closed');
  }
}

/** Turns a driver error (pg or PGlite) into a SqlStatementError when it carries a SQLSTATE. */
export function toSqlError(err: unknown): unknown {
  if (err instanceof SqlStatementError) return err;
  const e = err as { message?: unknown; code?: unknown; position?: unknown; detail?: unknown };
  if (err instanceof Error && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
    const pos = e.position === undefined ? undefined : Number(e.position);
    return new SqlStatementError(err.message, e.code, Number.isFinite(pos) ? pos : undefined, typeof e.detail === 'string' ? e.detail : undefined, err);
  }
  return err;
}

/** The embedded PostgreSQL could not be set up or started. */
export class EmbeddedPostgresError extends SluiceError {}
