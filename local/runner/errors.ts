// Errors the local event source runner raises.
import { SluiceError } from '../../core/index.ts';

/** An event source mapping setting outside what Lambda accepts. */
export class RunnerConfigError extends SluiceError {
  readonly setting: string;
  constructor(setting: string, message: string) {
    super(`${setting}: ${message}`);
    this.setting = setting;
  }
}

/** The checkpoint file cannot be read or belongs to another stream or function. */
export class CheckpointFileError extends SluiceError {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(`checkpoint file ${path}: ${message}`, options);
    this.path = path;
  }
}

/** The function ran past its timeout (Lambda reports "Task timed out"). */
export class FunctionTimeoutError extends SluiceError {
  constructor(functionName: string, timeoutMs: number) {
    super(`${functionName}: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
  }
}

/** waitIdle gave up, or the runner stopped on an error it cannot recover from. */
export class RunnerNotIdleError extends SluiceError {}
