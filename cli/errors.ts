// The CLI's errors: bad usage (exit code 2, with the command's usage) and a target
// that cannot be resolved.
import { SluiceError } from '../core/index.ts';

export class UsageError extends SluiceError {
  constructor(message: string, readonly usage: string) {
    super(message);
  }
}

/** The stack is missing, or has none of sluice's outputs. */
export class AwsTargetError extends SluiceError {}
