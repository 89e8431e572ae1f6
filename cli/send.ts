// `sluice send [file|-]`: NDJSON events from a file or stdin, through the producer
// SDK into the stream. Every line is accounted for: accepted once Kinesis has it,
// or rejected with its line number and reason (optionally written to --rejects so
// nothing is lost). Exit 1 when any line was rejected.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { ENV, EventValidationError, awsClientConfig, eventJsonFromBytes, requireEnv, stripBom, type StackEnv } from '../core/index.ts';
import { KinesisProducer, compressionFor, recordFormatFromEnv, type RecordFormat } from '../producers/index.ts';
import { TARGET_FLAGS, TARGET_USAGE, resolveTarget } from './awsTarget.ts';
import { intFlag, parseFlags } from './flags.ts';
import { Progress } from './Progress.ts';

const USAGE = `Usage: sluice send [file|-] [--stream NAME] [--rejects FILE] [--max-in-flight N] [--kpl] [--json]
                   [--target local|aws] [--stack NAME]

Reads one JSON event per line from FILE (or stdin when FILE is - or absent) and sends
each through the producer SDK. Prints how many were accepted and rejected, and the
records they travelled in; exits 1 if any line was rejected. --rejects writes each
rejected line with its reason as NDJSON.
  --kpl   put KPL aggregates, for a stream that consumers other than sluice's read
          (default: sluice's compressed aggregates, about 4.8 times fewer bytes an
          event; or SLUICE_RECORD_FORMAT)
${TARGET_USAGE}`;

export async function runSend(argv: string[], localEnv: StackEnv, out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseFlags(argv, {
    stream: { type: 'string' },
    rejects: { type: 'string' },
    'max-in-flight': { type: 'string' },
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
  const streamName = (values.stream as string | undefined) ?? requireEnv(env, ENV.streamName);
  const source = positionals[0] === undefined || positionals[0] === '-' ? process.stdin : createReadStream(positionals[0]);
  const rejectsFile: WriteStream | undefined = values.rejects ? createWriteStream(values.rejects as string) : undefined;

  const client = new KinesisClient(awsClientConfig(env, 'kinesis'));
  const format: RecordFormat = values.kpl ? 'kpl' : recordFormatFromEnv(env);
  const producer = new KinesisProducer({ client, streamName, compression: compressionFor(format) });
  const progress = new Progress(process.stderr, 'send');
  const started = Date.now();
  let accepted = 0;
  let rejected = 0;
  let failed = 0;
  let inFlight = 0;
  let wake: (() => void) | undefined;
  const shownReasons: string[] = [];

  // Rejected: the line itself is wrong. Failed: a valid event Kinesis did not take
  // (stream unreachable, retries exhausted). Both are written to --rejects.
  // A line that is not UTF-8 is kept byte for byte (inputBase64): its text would hide them.
  const reject = (lineNo: number, line: Buffer, reason: string, kind: 'rejected' | 'failed' = 'rejected') => {
    if (kind === 'rejected') rejected++;
    else failed++;
    if (shownReasons.length < 10) shownReasons.push(`${kind} line ${lineNo}: ${reason}`);
    const input = line.toString('utf8').replace(/\r$/, '');
    rejectsFile?.write(JSON.stringify({ line: lineNo, kind, reason, input, ...(isUtf8(line) ? {} : { inputBase64: line.toString('base64') }) }) + '\n');
  };

  try {
    let lineNo = 0;
    for await (const line of byteLines(source)) {
      lineNo++;
      if (line.every(isJsonSpace)) continue;
      let input: unknown;
      try {
        input = eventJsonFromBytes(line);
      } catch (err) {
        if (!(err instanceof EventValidationError)) throw err;
        reject(lineNo, line, err.field === 'event' ? err.message.slice('event: '.length) : err.message);
        continue;
      }
      const n = lineNo;
      inFlight++;
      producer.send(input as never).then(
        () => { accepted++; },
        (err: unknown) => {
          reject(n, line, err instanceof Error ? err.message : String(err), err instanceof EventValidationError ? 'rejected' : 'failed');
        },
      ).finally(() => {
        inFlight--;
        progress.update(`${accepted + rejected + failed} done, ${accepted} accepted, ${rejected} rejected, ${failed} failed, ${rate(accepted, started)} events/s`);
        wake?.();
      });
      while (inFlight >= maxInFlight) await new Promise<void>((r) => (wake = r));
    }
    await producer.flush();
    while (inFlight > 0) await new Promise<void>((r) => (wake = r));
  } finally {
    await producer.close();
    client.destroy();
    progress.done();
    await new Promise<void>((r) => (rejectsFile ? rejectsFile.end(r) : r()));
  }

  for (const reason of shownReasons) process.stderr.write(`${reason}\n`);
  const unshown = rejected + failed - shownReasons.length;
  if (unshown > 0) process.stderr.write(`... and ${unshown} more${rejectsFile ? ` (all in ${String(values.rejects)})` : ''}\n`);
  const { kinesisRecords, kinesisBytes } = producer.metrics;
  const seconds = (Date.now() - started) / 1000;
  if (values.json) {
    out.write(JSON.stringify({ accepted, rejected, failed, format, kinesisRecords, kinesisBytes, seconds, eventsPerSecond: rate(accepted, started) }) + '\n');
  } else {
    out.write(`accepted ${accepted}, rejected ${rejected}${failed ? `, failed ${failed}` : ''} in ${seconds.toFixed(1)} s (${rate(accepted, started)} events/s)\n`);
    out.write(`format ${format}: ${kinesisRecords} Kinesis records, ${accepted ? Math.round(kinesisBytes / accepted) : 0} bytes an event\n`);
  }
  return rejected + failed > 0 ? 1 : 0;
}

const isJsonSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/**
 * The lines of a byte stream, as bytes (decoding first would turn bytes that are not
 * UTF-8 into U+FFFD before they can be refused), without a leading byte order mark.
 */
async function* byteLines(source: NodeJS.ReadableStream): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  let first = true;
  for await (const chunk of source) {
    let buf: Buffer = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
    if (first) {
      if (buf.length < 3) {
        pending = buf;
        continue;
      }
      buf = stripBom(buf);
      first = false;
    }
    let from = 0;
    for (let nl = buf.indexOf(0x0a, from); nl >= 0; nl = buf.indexOf(0x0a, from)) {
      yield buf.subarray(from, nl);
      from = nl + 1;
    }
    pending = buf.subarray(from);
  }
  if (first) pending = stripBom(pending);
  if (pending.length) yield pending;
}

function rate(events: number, since: number): number {
  return Math.round(events / Math.max(0.001, (Date.now() - since) / 1000));
}
