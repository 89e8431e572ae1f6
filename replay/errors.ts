// Errors of the archive replay.
import { SluiceError } from '../core/index.ts';

/** A replay that cannot run as asked (bad range, unknown rollup, unreadable archive location). */
export class ReplayError extends SluiceError {}
