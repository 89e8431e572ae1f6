// Errors of the local stack as a whole (each emulator's own are in its folder).
import { SluiceError } from '../core/index.ts';

/** Another `sluice dev` holds the data directory. */
export class StackLockedError extends SluiceError {}
