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
