// The CLI's errors: bad usage (exit code 2, with the command's usage), a target
// that cannot be resolved, and a `sluice send` worker that stopped.
import { SluiceError } from '../core/index.ts';

export class UsageError extends SluiceError {
  constructor(message: string, readonly usage: string) {
    super(message);
  }
}

/** The stack is missing, or has none of sluice's outputs. */
export class AwsTargetError extends SluiceError {}

/** A `sluice send` worker thread stopped before its lines settled: those lines may or may not be in the stream. */
export class SendWorkerError extends SluiceError {
  constructor(readonly reason: string, readonly unsettledLines: readonly (readonly [number, number])[]) {
    const ranges = unsettledLines.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ');
    super(`a send worker failed (${reason})${ranges ? `; lines ${ranges} may or may not have been sent` : ''}`);
  }
}
