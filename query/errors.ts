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

/** An event type no rollup holds any row of; `known` lists the types that have rows. */
export class UnknownTypeError extends QueryError {
  readonly known: string[];
  constructor(type: string, rollup: string, known: string[]) {
    super('type', `no rows of type "${type}" in rollup "${rollup}" (types with rows: ${known.length ? known.join(', ') : 'none yet'})`);
    this.known = known;
  }
}

/** An answer larger than one response should carry; the message says how to narrow it. */
export class QueryTooLargeError extends QueryError {
  constructor(rows: number) {
    super('bucket', `the answer has more than ${rows} rows: narrow the range (from, to), coarsen the bucket, filter (where) or keep the top N groups (top)`);
  }
}
