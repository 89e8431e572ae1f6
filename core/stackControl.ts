// The local stack's control API, as its server (local/StackControl.ts) and its
// clients (the load test) both read it: its paths, and what a consumer crash answers.

export const STACK_CONTROL_PATHS = {
  parts: '/_sluice/parts',
  consumerCrash: '/_sluice/faults/consumer-crash',
  naiveBaseline: '/_sluice/naive-baseline',
} as const;

/** Where in a batch a consumer's process is killed: inside the handler's work, or once it returned and before the runner heard. */
export type CrashMoment = 'mid-batch' | 'after-commit';

/** Where the killed process was. */
export interface CrashPoint {
  moment: CrashMoment;
  /** Records of the batch it was inside, or 0 when no batch came before the deadline. */
  records: number;
  /** How far into that batch it was killed. */
  msIntoBatch: number;
  midBatch: boolean;
}

/** One restart of a consumer's process. */
export interface ConsumerRestart {
  name: string;
  /** The process that died, and how (`SIGKILL`, `code 1`). */
  pid: number;
  exit: string;
  /** The new process. */
  newPid: number;
  /** Restarts so far, this one included. */
  restarts: number;
  /** From the exit until the new process served. */
  downMs: number;
}

/** What POST consumer-crash answers, once the killed process has been replaced. */
export interface ConsumerCrashReport extends CrashPoint, ConsumerRestart {}
