// Errors of the configuration: a file that cannot be read or violates the schema
// (the rollups' part is checked here, the rest by consumers/config with the same class).
import { SluiceError } from '../core/index.ts';

/** A configuration value outside the schema; `path` names it (e.g. `rollups[1].windows`). */
export class ConfigError extends SluiceError {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(`sluice config ${path}: ${message}`, options);
    this.path = path;
  }
}

/** A result row that cannot be read by column name (no metadata, or a measure's column missing). */
export class ResultShapeError extends SluiceError {}

/** A re-bucketing size that is not a whole multiple of the stored window. */
export class BucketSizeError extends SluiceError {
  constructor(readonly bucketS: number, readonly windowS: number) {
    super(`a bucket of ${bucketS} s is not a whole multiple of the stored window (${windowS} s)`);
  }
}
