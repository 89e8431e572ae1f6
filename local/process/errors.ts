// Errors of the stack's process layout.
import { SluiceError } from '../../core/index.ts';

/** A part of the stack could not start, or failed a request, or exited. */
export class PartFailedError extends SluiceError {}
