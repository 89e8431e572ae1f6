// Errors of the query side: a question the stored rollups cannot answer.
import { SluiceError } from '../core/index.ts';

/** A query option outside what the configuration allows; `option` names it. */
export class QueryError extends SluiceError {
  readonly option: string;
  constructor(option: string, message: string) {
    super(`${option}: ${message}`);
    this.option = option;
  }
}
