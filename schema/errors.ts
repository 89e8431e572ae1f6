// Errors of the schema layer: a migration that cannot be read or applied.
import { SluiceError } from '../core/index.ts';

/** A migration file that failed to apply; names the file and the statement. */
export class MigrationError extends SluiceError {
  readonly migration: string;
  constructor(migration: string, message: string, options?: { cause?: unknown }) {
    super(`migration ${migration}: ${message}`, options);
    this.migration = migration;
  }
}
