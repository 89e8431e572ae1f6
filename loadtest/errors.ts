// Errors of the load-test harness: a target it refuses, a stack it cannot find, and
// options outside their range. All carry the detail the user needs to fix the call.
import { SluiceError } from '../core/index.ts';

/** An option outside its range; `option` names it as on the command line. */
export class LoadTestOptionError extends SluiceError {
  readonly option: string;
  constructor(option: string, message: string) {
    super(`--${option} ${message}`);
    this.option = option;
  }
}

/** The endpoint is not on this machine and the caller did not allow remote targets. */
export class RemoteTargetError extends SluiceError {
  readonly endpoint: string;
  constructor(endpoint: string, variable: string) {
    super(
      `refusing to load-test ${endpoint} (from ${variable}): it is not a loopback address. ` +
        'Start the local stack with `npm start`, or pass --allow-remote to load a remote endpoint on purpose.',
    );
    this.endpoint = endpoint;
  }
}

/** A variable the run needs is not set (no local stack running, nothing exported). */
export class TargetNotConfiguredError extends SluiceError {
  readonly variable: string;
  constructor(variable: string, purpose: string) {
    super(`${variable} is not set, so there is nothing to ${purpose}: start the local stack with \`npm start\` (it writes .sluice/env) or export ${variable}`);
    this.variable = variable;
  }
}

/** A fault the run was asked to inject cannot be, on this stack. */
export class FaultControlError extends SluiceError {
  constructor(readonly fault: string, reason: string) {
    super(`cannot inject ${fault}: ${reason}`);
  }
}
