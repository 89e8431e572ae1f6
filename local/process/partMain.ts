// The entry of every stack part's process (StackPart starts it): builds the part its
// role names from the config the parent sends, reports ready, stats and answers,
// and stops it when asked or when the parent is gone. A parent killed with kill -9
// closes the IPC channel, so a part never outlives the stack that started it.
import type { FromPart, PartRole, ToPart } from './PartMessages.ts';
import type { PartStarter, RunningPart } from './RunningPart.ts';

const STATS_INTERVAL_MS = 1000;
/** A part that cannot finish stopping within this is ended anyway (its work is redelivered next start). */
const ORPHAN_STOP_TIMEOUT_MS = 30_000;

const role = process.argv[2] as PartRole;
const name = process.argv[3] ?? role;
// A parent gone between the check and the write is not an error: the part stops on 'disconnect'.
const send = (m: FromPart, sent: () => void = () => {}) => {
  if (process.connected) process.send!(m, undefined, {}, () => sent());
  else sent();
};

// Terminal signals reach the whole process group; the parent decides how the stack stops.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});

let part: RunningPart | undefined;
let stopping: Promise<void> | undefined;

const stop = (orphaned: boolean) => {
  stopping ??= (async () => {
    if (orphaned) setTimeout(() => process.exit(1), ORPHAN_STOP_TIMEOUT_MS).unref();
    try {
      await part?.stop();
    } catch (err) {
      process.stderr.write(`sluice ${name}: stopping failed: ${(err as Error).message}\n`);
    }
    send({ type: 'stopped' });
    process.exit(0);
  })();
  return stopping;
};
process.on('disconnect', () => void stop(true));
process.on('SIGTERM', () => void stop(false));

process.on('message', (m: ToPart) => void onMessage(m));

async function onMessage(m: ToPart): Promise<void> {
  if (m.type === 'start') {
    try {
      const starter = await starterFor(role);
      part = await starter(m.config as never, { emit: (event, value, sent) => send({ type: 'event', name: event, value }, sent) });
      send({ type: 'ready', info: part.info });
      const report = () => send({ type: 'stats', cpu: { [name]: cpuMicros(), ...part?.extraCpu?.() }, stats: part?.stats?.() });
      report();
      setInterval(report, STATS_INTERVAL_MS).unref();
    } catch (err) {
      send({ type: 'failed', message: (err as Error).message });
      process.exit(1);
    }
  } else if (m.type === 'request') {
    const handler = part?.requests?.[m.name];
    if (!handler) {
      send({ type: 'answer', id: m.id, error: `no request ${m.name}` });
      return;
    }
    handler(m.args).then(
      (value) => send({ type: 'answer', id: m.id, value: value ?? null }),
      (err: unknown) => send({ type: 'answer', id: m.id, error: err instanceof Error ? err.message : String(err) }),
    );
  } else if (m.type === 'stop') {
    void stop(false);
  }
}

function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

async function starterFor(r: PartRole): Promise<PartStarter> {
  switch (r) {
    case 'kinesis': return (await import('./kinesisPart.ts')).startKinesisPart;
    case 'database': return (await import('./databasePart.ts')).startDatabasePart;
    case 'firehose': return (await import('./firehosePart.ts')).startFirehosePart;
    case 'consumer': return (await import('./consumerPart.ts')).startConsumerPart;
    case 'ingest': return (await import('./ingestPart.ts')).startIngestPart;
    default: throw new Error(`unknown part role ${String(r)}`);
  }
}
