// Errors the aggregator raises on purpose.
import { SluiceError } from '../../core/index.ts';
import type { DataApiFailureKind } from './dataApiErrors.ts';

/** A batch that could not be applied within the invocation; the stream keeps its records. */
export class BatchNotAppliedError extends SluiceError {
  readonly kind: DataApiFailureKind;
  readonly attempts: number;
  constructor(kind: DataApiFailureKind, attempts: number, cause: unknown) {
    super(`batch not applied after ${attempts} attempt(s) (${kind}): ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.kind = kind;
    this.attempts = attempts;
  }
}
