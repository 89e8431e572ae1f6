// What a stack part and the process that started it say to each other over the IPC
// channel: start with a config, ready with what it serves, requests and their
// answers, stats every second, events as they happen (the aggregator's batches), and stop.

export type PartRole = 'kinesis' | 'database' | 'firehose' | 'consumer' | 'ingest';

/** CPU time in microseconds (user + system) by process, as a part measured it. */
export type CpuMicros = Record<string, number>;

export type ToPart =
  | { type: 'start'; config: unknown }
  | { type: 'request'; id: number; name: string; args?: unknown }
  | { type: 'stop' };

export type FromPart =
  | { type: 'ready'; info: Record<string, string | number> }
  | { type: 'failed'; message: string }
  | { type: 'answer'; id: number; value?: unknown; error?: string }
  | { type: 'stats'; cpu: CpuMicros; stats?: unknown }
  | { type: 'event'; name: string; value: unknown }
  | { type: 'stopped' };
