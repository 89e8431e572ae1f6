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

/**
 * A statement inside a transaction that the SDK sent more than once (its own retry
 * after a lost response or a 5xx). The first attempt may have run, so the
 * transaction's state is unknown: the caller must roll it back and start over.
 */
export class StatementRetriedError extends SluiceError {
  readonly attempts: number;
  constructor(attempts: number) {
    super(`the SDK sent a statement ${attempts} times inside one transaction; its effect may be doubled, so the transaction is abandoned`);
    this.attempts = attempts;
  }
}
