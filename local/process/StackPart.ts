// One part of the local stack as seen by the process that runs the stack: a child
// process of its own (so the parts share the machine's cores), started with a
// config, ready once it serves, asked for things by name, and stopped in order.
// The child stops by itself when this process goes away, even by kill -9
// (partMain.ts watches the IPC channel).
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { forkEntry } from './forkEntry.ts';
import { PartFailedError } from './errors.ts';
import type { CpuMicros, FromPart, PartRole, ToPart } from './PartMessages.ts';

const PART_MAIN = fileURLToPath(new URL('./partMain.ts', import.meta.url));
/** How long a part may take to finish what is in flight before it is killed. */
const STOP_TIMEOUT_MS = 60_000;

export class StackPart {
  /** Latest numbers the part reported. */
  stats: unknown;
  /** Latest CPU the part reported: its own process and any server it runs. */
  cpu: CpuMicros = {};
  private nextId = 0;
  private readonly listeners = new Map<string, ((value: unknown) => void)[]>();
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<void>;
  private stopping: Promise<void> | undefined;
  private exit: string | undefined;

  private constructor(readonly name: string, private readonly child: ChildProcess, readonly info: Record<string, string | number>) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.on('message', (m: FromPart) => {
      if (m.type === 'stats') {
        this.cpu = m.cpu;
        this.stats = m.stats;
      } else if (m.type === 'event') {
        for (const listener of this.listeners.get(m.name) ?? []) listener(m.value);
      } else if (m.type === 'answer') {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new PartFailedError(`${name}: ${m.error}`));
        else p?.resolve(m.value);
      }
    });
    child.once('exit', (code, signal) => {
      this.exit = signal ?? `code ${code}`;
      for (const p of this.pending.values()) p.reject(new PartFailedError(`${name} exited (${signal ?? `code ${code}`})`));
      this.pending.clear();
    });
  }

  /** Starts `role` in a new process and resolves once it serves; rejects with its reason if it cannot. */
  static start(name: string, role: PartRole, config: unknown): Promise<StackPart> {
    const child = forkEntry(PART_MAIN, [role, name], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null, signal: string | null) => reject(new PartFailedError(`${name} exited while starting (${signal ?? `code ${code}`})`));
      child.once('exit', onExit);
      child.once('error', reject);
      child.on('message', function onMessage(m: FromPart) {
        if (m.type !== 'ready' && m.type !== 'failed') return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (m.type === 'ready') resolve(new StackPart(name, child, m.info));
        else reject(new PartFailedError(`${name}: ${m.message}`));
      });
      send(child, { type: 'start', config });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the part exits for any reason. */
  whenExited(): Promise<void> {
    return this.exited;
  }

  /** Calls `listener` with each event `name` the part emits from now on (PartChannel.emit). */
  on(name: string, listener: (value: unknown) => void): void {
    this.listeners.set(name, [...this.listeners.get(name) ?? [], listener]);
  }

  /** How the process exited (`SIGKILL`, `code 1`), or undefined while it runs. */
  get exitDescription(): string | undefined {
    return this.exit;
  }

  request<T>(name: string, args?: unknown): Promise<T> {
    if (!this.running) return Promise.reject(new PartFailedError(`${this.name} is not running`));
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      send(this.child, { type: 'request', id, name, ...(args === undefined ? {} : { args }) });
    });
  }

  /** Asks the part to finish and waits for its process to exit (killed after a minute). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (!this.running) return;
      send(this.child, { type: 'stop' });
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    })();
    return this.stopping;
  }
}

function send(child: ChildProcess, message: ToPart): void {
  // A part that exited between the check and the write is seen through its 'exit'.
  if (child.connected) child.send(message, undefined, {}, () => {});
}
