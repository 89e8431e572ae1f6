// Errors of the configuration: a file that cannot be read or violates the schema.
import { SluiceError } from '../../core/index.ts';

/** A configuration value outside the schema; `path` names it (e.g. `rollups[1].windows`). */
export class ConfigError extends SluiceError {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(`sluice config ${path}: ${message}`, options);
    this.path = path;
  }
}
