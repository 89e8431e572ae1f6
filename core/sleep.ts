// A promise that resolves after `ms` milliseconds: the one timer-based wait that
// retry loops share (loops that must be interruptible use their own wake-up).

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
