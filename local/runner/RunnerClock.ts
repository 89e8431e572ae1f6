// The runner's one clock. Two readings, because they answer different questions:
// wall time (epoch ms) ages records and stamps what a user sees, and tests move it
// forward; elapsed time (monotonic ms) measures intervals (pacing, batching windows,
// timeouts), so moving the wall clock never stretches or skips a wait.

export interface RunnerClock {
  /** Epoch ms: record age, on-failure timestamps, iterator age, a context's start. */
  now(): number;
  /** Monotonic ms: intervals only. */
  elapsed(): number;
}

export function runnerClock(wall: () => number = Date.now): RunnerClock {
  return { now: wall, elapsed: () => performance.now() };
}
