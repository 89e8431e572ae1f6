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

/** The server ended a held connection (its backend was terminated); what it held is gone. */
export class ConnectionLostError extends SluiceError {
  constructor(readonly connectionId: number, cause: Error) {
    super(`the connection to PostgreSQL (backend ${connectionId}) was lost: ${cause.message}`, { cause });
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

/** PGlite could not open or create its data directory: names the path and the OS error. */
export class DatabaseOpenError extends SluiceError {
  constructor(readonly path: string, cause: unknown) {
    super(`cannot open the embedded PostgreSQL (PGlite) in ${path}: ${describeFsError(cause)}`, { cause });
  }
}

/** errno values of PGlite's file system (Emscripten's numbering, not the OS's). */
const EMSCRIPTEN_ERRNO: Record<number, string> = {
  2: 'EACCES permission denied', 19: 'EDQUOT disk quota exceeded', 29: 'EIO i/o error', 44: 'ENOENT no such file or directory',
  51: 'ENOSPC no space left on device', 63: 'EPERM operation not permitted', 69: 'EROFS read-only file system',
};

/** PGlite throws Emscripten ErrnoError objects, which are not Errors and print as [object Object]. */
function describeFsError(err: unknown): string {
  if (err instanceof Error) return err.message;
  const errno = (err as { errno?: unknown } | null)?.errno;
  if (typeof errno === 'number') return EMSCRIPTEN_ERRNO[errno] ?? `file system error ${errno}`;
  return String(err);
}
