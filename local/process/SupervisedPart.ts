// A part the stack restarts when its process dies, as Lambda runs a consumer again
// after a crash: the new process reads its checkpoint and the records not yet
// settled are delivered again (the aggregator's record-level dedup keeps totals
// exact). A part that keeps dying fast is given up on with the reason, never
// restarted forever. It is asked and listened to like a StackPart; a request made
// while it restarts waits for the new process.
import { sleep, type ConsumerCrashReport, type ConsumerRestart, type CrashMoment, type CrashPoint } from '../../core/index.ts';
import { PartFailedError } from './errors.ts';
import type { CpuMicros, PartRole } from './PartMessages.ts';
import { StackPart } from './StackPart.ts';

export interface RestartPolicy {
  /** Restarts allowed within `windowMs`; one more exit in the window gives the part up. @default 3 */
  maxRestarts: number;
  /** @default 60,000 */
  windowMs: number;
  /** Pause before each restart, times the restarts in the window (a part dying at once does not spin). @default 250 */
  backoffMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { maxRestarts: 3, windowMs: 60_000, backoffMs: 250 };

export class SupervisedPart {
  /** Restarts since the stack started. */
  restarts = 0;
  private current: StackPart;
  /** Pending while a new process starts. */
  private restarting: Promise<StackPart> | undefined;
  private readonly exits: number[] = [];
  private readonly listeners = new Map<string, ((value: unknown) => void)[]>();
  /** CPU of the processes that died, so the part's total does not fall back at a restart. */
  private readonly deadCpu: CpuMicros = {};
  private stopped = false;
  private giveUp: (reason: string) => void = () => {};
  private readonly givenUp = new Promise<string>((r) => (this.giveUp = r));

  private constructor(
    readonly name: string,
    private readonly role: PartRole,
    private readonly config: unknown,
    first: StackPart,
    private readonly policy: RestartPolicy,
    private readonly log: (line: string) => void,
    private readonly onNewProcess: () => void,
  ) {
    this.current = first;
    this.watch(first);
  }

  /** Starts the part; rejects as StackPart.start does when the first process cannot start. */
  static async start(
    name: string, role: PartRole, config: unknown,
    options: { log: (line: string) => void; policy?: Partial<RestartPolicy>; onNewProcess?: () => void },
  ): Promise<SupervisedPart> {
    const first = await StackPart.start(name, role, config);
    return new SupervisedPart(name, role, config, first, { ...DEFAULT_RESTART_POLICY, ...options.policy }, options.log, options.onNewProcess ?? (() => {}));
  }

  get pid(): number {
    return this.current.pid;
  }

  get info(): Record<string, string | number> {
    return this.current.info;
  }

  get stats(): unknown {
    return this.current.stats;
  }

  get cpu(): CpuMicros {
    const out: CpuMicros = { ...this.deadCpu };
    // A dead process's last reading is already in deadCpu.
    if (this.restarting !== undefined || !this.current.running) return out;
    for (const [k, v] of Object.entries(this.current.cpu)) out[k] = (out[k] ?? 0) + v;
    return out;
  }

  /** Its process is up (false while it restarts and once given up or stopped). */
  get running(): boolean {
    return this.restarting === undefined && this.current.running;
  }

  /** Resolves with why, once the part died too often (or could not start again) and is no longer restarted. */
  whenGivenUp(): Promise<string> {
    return this.givenUp;
  }

  /** Calls `listener` with each event `name` of every process of the part, and 'restarted' with a ConsumerRestart. */
  on(name: string, listener: (value: unknown) => void): void {
    this.listeners.set(name, [...this.listeners.get(name) ?? [], listener]);
    if (name !== 'restarted') this.current.on(name, listener);
  }

  /** Asks the part's process; a request cut off by a crash is asked again of the restarted process. */
  async request<T>(name: string): Promise<T> {
    for (;;) {
      const part = await (this.restarting ?? this.current);
      try {
        return await part.request<T>(name);
      } catch (err) {
        // A refusal from a live process is the answer; only a death is asked again.
        if (this.stopped || part.running) throw err;
        await part.whenExited();
        // Let the exit handler decide whether a new process comes.
        await sleep(0);
        if (this.restarting === undefined) throw err;
      }
    }
  }

  /**
   * Kills the part's process with SIGKILL inside a batch (`moment`; after
   * `deadlineMs` without one, whatever it is doing), and resolves once the restarted
   * process serves.
   */
  async crash(moment: CrashMoment, deadlineMs: number): Promise<ConsumerCrashReport> {
    const part = await (this.restarting ?? this.current);
    let point: CrashPoint | undefined;
    part.on('crashing', (v) => { point = v as CrashPoint; });
    const restarted = new Promise<ConsumerRestart>((resolve, reject) => {
      const once = (v: unknown) => {
        this.listeners.set('restarted', (this.listeners.get('restarted') ?? []).filter((l) => l !== once));
        resolve(v as ConsumerRestart);
      };
      this.listeners.set('restarted', [...this.listeners.get('restarted') ?? [], once]);
      void this.givenUp.then((reason) => reject(new PartFailedError(reason)));
    });
    await part.request('armCrash', { moment, deadlineMs });
    const restart = await restarted;
    return { ...(point ?? { moment, records: 0, msIntoBatch: 0, midBatch: false }), ...restart };
  }

  stop(): Promise<void> {
    this.stopped = true;
    return (async () => {
      const part = await Promise.resolve(this.restarting ?? this.current).catch(() => undefined);
      await part?.stop();
    })();
  }

  private watch(part: StackPart): void {
    void part.whenExited().then(() => {
      if (this.stopped) return;
      this.restarting = this.restart(part);
      // Once given up, requests are refused with the reason (restarting stays rejected).
      this.restarting.catch(() => {});
    });
  }

  private async restart(dead: StackPart): Promise<StackPart> {
    const diedAt = Date.now();
    const exit = dead.exitDescription ?? 'exited';
    for (const [k, v] of Object.entries(dead.cpu)) this.deadCpu[k] = (this.deadCpu[k] ?? 0) + v;
    while (this.exits.length > 0 && this.exits[0]! <= diedAt - this.policy.windowMs) this.exits.shift();
    this.exits.push(diedAt);
    if (this.exits.length > this.policy.maxRestarts) {
      const reason = `${this.name} (pid ${dead.pid}) exited (${exit}), ${this.exits.length} times in ${Math.round(this.policy.windowMs / 1000)} s: given up, not restarted`;
      this.log(reason);
      this.giveUp(reason);
      throw new PartFailedError(reason);
    }
    this.log(`${this.name} (pid ${dead.pid}) exited (${exit}); restarting it (restart ${this.restarts + 1})`);
    await sleep(this.policy.backoffMs * (this.exits.length - 1));
    let next: StackPart;
    try {
      if (this.stopped) throw new PartFailedError(`${this.name} stopped while restarting`);
      next = await StackPart.start(this.name, this.role, this.config);
    } catch (err) {
      const reason = `${this.name} (pid ${dead.pid}) exited (${exit}) and could not start again: ${(err as Error).message}`;
      if (!this.stopped) {
        this.log(reason);
        this.giveUp(reason);
      }
      throw err;
    }
    if (this.stopped) {
      await next.stop();
      throw new PartFailedError(`${this.name} stopped while restarting`);
    }
    this.restarts++;
    for (const [event, listeners] of this.listeners) {
      if (event !== 'restarted') for (const l of listeners) next.on(event, l);
    }
    this.watch(next);
    const restart: ConsumerRestart = { name: this.name, pid: dead.pid, exit, newPid: next.pid, restarts: this.restarts, downMs: Date.now() - diedAt };
    this.log(`${this.name} restarted as pid ${next.pid} after ${restart.downMs} ms`);
    this.current = next;
    this.restarting = undefined;
    this.onNewProcess();
    for (const l of this.listeners.get('restarted') ?? []) l(restart);
    return next;
  }
}
