// A wake-up call between the runner's loops: waiters sleep until notified or until
// their timeout, so a loop never polls in a tight cycle and stop() interrupts sleeps.

export class Wakeup {
  private waiters: (() => void)[] = [];

  /** Resolves at the next notify(), or after `ms` if given. */
  wait(ms?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      this.waiters.push(done);
      if (ms !== undefined) {
        timer = setTimeout(() => {
          const i = this.waiters.indexOf(done);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve();
        }, Math.max(0, ms));
      }
    });
  }

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
