// Errors of the local Firehose emulator.
import { SluiceError } from '../../core/index.ts';

/** A delivery stream configuration the emulator cannot serve. */
export class FirehoseConfigError extends SluiceError {}

/** A request error, answered with its AWS error type and HTTP status. */
export class FirehoseRequestError extends SluiceError {
  constructor(readonly code: string, message: string, readonly status = 400) {
    super(message);
  }
}

/** The disk refused a write (full, read-only): answered 503 ServiceUnavailableException, which clients retry. */
export class FirehoseStorageError extends SluiceError {
  constructor(readonly path: string, cause: unknown) {
    super(`the local Firehose could not write ${path} (${(cause as Error)?.message ?? String(cause)}); retry once the disk has room`, { cause });
  }
}

/** A request the local S3 endpoint refuses, answered with S3's error code, HTTP status and the resource it concerns. */
export class S3RequestError extends SluiceError {
  constructor(readonly status: number, readonly code: string, message: string, readonly resource: Record<string, string> = {}) {
    super(message);
  }
}
