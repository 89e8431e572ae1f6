// `sluice send [file|-]`: NDJSON events from a file or stdin, through the producer
// SDK into the stream. The main thread reads the input in chunks of whole lines and
// hands them to worker threads, each with a KinesisProducer of its own, so reading,
// validating and packing use every core. Every line is accounted for: accepted once
// Kinesis has it, or rejected with its line number and reason (optionally written to
// --rejects so nothing is lost). Exit 1 when any line was rejected or failed.
import { createReadStream, createWriteStream, statSync, type WriteStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { availableParallelism } from 'node:os';
import { ENV, KINESIS, requireEnv, type StackEnv } from '../core/index.ts';
import { compressionFor, recordFormatFromEnv, type RecordFormat } from '../producers/index.ts';
import { TARGET_FLAGS, TARGET_USAGE, resolveTarget } from './awsTarget.ts';
import { intFlag, parseFlags } from './flags.ts';
import { lineChunks } from './LineChunks.ts';
import type { LineRefusal } from './LineSender.ts';
import { Progress } from './Progress.ts';
import { SendWorkerPool } from './SendWorkerPool.ts';

/** Worker threads by default: one a core, up to 4 (beyond that the stream's shards, not the CPU, set the pace). */
const DEFAULT_WORKERS = Math.max(1, Math.min(4, availableParallelism()));
/**
 * A file gets a worker for each this many bytes, up to DEFAULT_WORKERS: starting one
 * costs about half a CPU-second (loading the SDK), what ~30,000 events cost to send.
 */
const FILE_BYTES_A_WORKER = 16 * 1024 * 1024;
/**
 * What a file is read in: the size of the chunks handed to the workers. A chunk
 * settles when its last event is acknowledged, so each worker keeps several in flight
 * (~1,900 lines of ~140 B each, against 10,000 a worker of the default --max-in-flight
 * with 2 workers).
 */
const FILE_CHUNK_BYTES = 256 * 1024;
/** Reasons printed on stderr; --rejects keeps them all. */
const SHOWN_REASONS = 10;

const USAGE = `Usage: sluice send [file|-] [--stream NAME] [--rejects FILE] [--max-in-flight N] [--workers N] [--kpl] [--json]
                   [--target local|aws] [--stack NAME]

Reads one JSON event per line from FILE (or stdin when FILE is - or absent) and sends
each through the producer SDK. Prints how many were accepted and rejected, and the
records they travelled in; exits 1 if any line was rejected or failed. --rejects
writes each rejected or failed line with its reason as NDJSON.
  --workers N        threads that validate, pack and send, each with a producer of
                     its own (default: one a core, up to 4, here ${DEFAULT_WORKERS}; a file
                     one for each 16 MiB). Events keep no order: each goes under
                     its own id as partition key
  --max-in-flight N  events read and not yet acknowledged, all workers together
                     (default 20000)
  --kpl              put KPL aggregates, for a stream that consumers other than
                     sluice's read (default: sluice's compressed aggregates, about 4.6
                     times fewer bytes an event; or SLUICE_RECORD_FORMAT)
${TARGET_USAGE}`;

export async function runSend(argv: string[], localEnv: StackEnv, out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    stream: { type: 'string' },
    rejects: { type: 'string' },
    'max-in-flight': { type: 'string' },
    workers: { type: 'string' },
    kpl: { type: 'boolean' },
    json: { type: 'boolean' },
    ...TARGET_FLAGS,
  }, USAGE, 1);
  if (values.help) {
    out.write(USAGE + '\n');
    return 0;
  }
  const env = await resolveTarget(values, localEnv, USAGE);
  const maxInFlight = intFlag(values['max-in-flight'], 'max-in-flight', USAGE, 1, 1_000_000) ?? 20_000;
  const path = positionals[0] === undefined || positionals[0] === '-' ? undefined : positionals[0];
  const workers = intFlag(values.workers, 'workers', USAGE, 1, 64)
    ?? (path === undefined ? DEFAULT_WORKERS : Math.min(DEFAULT_WORKERS, Math.max(1, Math.ceil(statSync(path).size / FILE_BYTES_A_WORKER))));
  const streamName = (values.stream as string | undefined) ?? requireEnv(env, ENV.streamName);
  const source = path === undefined ? process.stdin : createReadStream(path, { highWaterMark: FILE_CHUNK_BYTES });
  const rejectsFile: WriteStream | undefined = values.rejects ? createWriteStream(values.rejects as string) : undefined;

  const format: RecordFormat = values.kpl ? 'kpl' : recordFormatFromEnv(env);
  const progress = new Progress(process.stderr, 'send');
  const started = Date.now();
  let accepted = 0;
  let rejected = 0;
  let failed = 0;
  /** The first lines refused, by line number: workers settle chunks in any order. */
  const shown: LineRefusal[] = [];

  // Rejected: the line itself is wrong. Failed: a valid event Kinesis did not take
  // (stream unreachable, retries exhausted). Both are written to --rejects.
  // A line that is not UTF-8 is kept byte for byte (inputBase64): its text would hide them.
  const refuse = (r: LineRefusal) => {
    if (r.kind === 'rejected') rejected++;
    else failed++;
    if (shown.length < SHOWN_REASONS || r.line < shown[shown.length - 1]!.line) {
      const at = shown.findIndex((x) => x.line > r.line);
      shown.splice(at < 0 ? shown.length : at, 0, r);
      if (shown.length > SHOWN_REASONS) shown.pop();
    }
    const line = Buffer.from(r.input.buffer, r.input.byteOffset, r.input.byteLength);
    const input = line.toString('utf8').replace(/\r$/, '');
    rejectsFile?.write(JSON.stringify({ line: r.line, kind: r.kind, reason: r.reason, input, ...(isUtf8(line) ? {} : { inputBase64: line.toString('base64') }) }) + '\n');
  };

  // Each worker keeps its share of every shard's write limit, so together they stay under it.
  const pool = new SendWorkerPool(workers, {
    env, streamName, compression: compressionFor(format),
    shardRateLimit: { recordsPerSec: KINESIS.shardWriteRecordsPerSec / workers, bytesPerSec: KINESIS.shardWriteBytesPerSec / workers },
  }, Math.ceil(maxInFlight / workers), (outcome) => {
    accepted += outcome.accepted;
    for (const r of outcome.refused) refuse(r);
    progress.update(`${accepted + rejected + failed} done, ${accepted} accepted, ${rejected} rejected, ${failed} failed, ${rate(accepted, started)} events/s`);
  });
  let put: { kinesisRecords: number; kinesisBytes: number };
  try {
    for await (const chunk of lineChunks(source)) await pool.send(chunk);
    put = await pool.close();
  } finally {
    await pool.terminate();
    progress.done();
    await new Promise<void>((r) => (rejectsFile ? rejectsFile.end(r) : r()));
  }

  for (const r of shown) process.stderr.write(`${r.kind} line ${r.line}: ${r.reason}\n`);
  const unshown = rejected + failed - shown.length;
  if (unshown > 0) process.stderr.write(`... and ${unshown} more${rejectsFile ? ` (all in ${String(values.rejects)})` : ''}\n`);
  const { kinesisRecords, kinesisBytes } = put;
  const seconds = (Date.now() - started) / 1000;
  if (values.json) {
    out.write(JSON.stringify({ accepted, rejected, failed, format, kinesisRecords, kinesisBytes, seconds, eventsPerSecond: rate(accepted, started), workers }) + '\n');
  } else {
    out.write(`accepted ${accepted}, rejected ${rejected}${failed ? `, failed ${failed}` : ''} in ${seconds.toFixed(1)} s (${rate(accepted, started)} events/s)\n`);
    out.write(`format ${format}: ${kinesisRecords} Kinesis records, ${accepted ? Math.round(kinesisBytes / accepted) : 0} bytes an event\n`);
  }
  return rejected + failed > 0 ? 1 : 0;
}

function rate(events: number, since: number): number {
  return Math.round(events / Math.max(0.001, (Date.now() - since) / 1000));
}
