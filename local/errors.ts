// Errors of the local stack as a whole (each part has its own errors.ts).
import { SluiceError } from '../core/index.ts';

/** Another live sluice stack holds the data directory. */
export class StackLockedError extends SluiceError {}

/** The data directory cannot be used (not writable, full): names the path and the OS error. */
export class DataDirError extends SluiceError {
  constructor(readonly path: string, cause: NodeJS.ErrnoException) {
    super(`cannot use the data directory ${path}: ${cause.code ?? ''}${cause.code ? ' ' : ''}${describeErrno(cause)}${hint(cause.code)}`, { cause });
  }
}

function describeErrno(err: NodeJS.ErrnoException): string {
  // "EACCES: permission denied, open '/x/stack.pid'" -> "permission denied, open '/x/stack.pid'"
  return err.code && err.message.startsWith(`${err.code}: `) ? err.message.slice(err.code.length + 2) : err.message;
}

function hint(code: string | undefined): string {
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return ' (is it writable? pass another --data-dir)';
  if (code === 'ENOSPC' || code === 'EDQUOT') return ' (the disk is full: free some space)';
  return '';
}
