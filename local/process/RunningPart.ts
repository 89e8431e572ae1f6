// The contract of one part of the local stack inside its own process: what it
// serves, the requests its parent may make, the numbers it reports, how it stops.
import type { CpuMicros } from './PartMessages.ts';

export interface RunningPart {
  /** What the parent needs to know: endpoints, process ids of servers it runs. */
  info: Record<string, string | number>;
  /** Named requests the parent may make (waitIdle, flush); each resolves with a JSON value. */
  requests?: Record<string, (args?: unknown) => Promise<unknown>>;
  /** Numbers for the status line, sent every second. */
  stats?: () => unknown;
  /** CPU of processes the part runs besides its own (the PostgreSQL server). */
  extraCpu?: () => CpuMicros;
  /** Stops serving, finishing what is in flight. */
  stop(): Promise<void>;
}

/** What a part may tell its parent as things happen, beside its stats every second. */
export interface PartChannel {
  /** Sends a named event with a JSON value; StackPart.on in the parent receives it. */
  /** `sent` is called once the message is written to the channel (or the channel is gone). */
  emit(name: string, value: unknown, sent?: () => void): void;
}

export type PartStarter = (config: never, channel: PartChannel) => Promise<RunningPart>;
