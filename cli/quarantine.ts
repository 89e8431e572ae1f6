// `sluice quarantine list|redrive`: shows the records the aggregator set aside, and
// sends them back through the producer once fixed (by a --fix script, or as they are
// when the producer can complete them). Entries stay until redriven: nothing is lost.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { ENV, awsClientConfig, requireEnv, type StackEnv } from '../core/index.ts';
import { KinesisProducer, compressionFor, recordFormatFromEnv } from '../producers/index.ts';
import { QuarantineStore, redriveQuarantine } from '../query/index.ts';
import type { QuarantineEntry, QuarantineFix, QuarantineStatus } from '../query/index.ts';
import { TARGET_FLAGS, TARGET_USAGE, resolveTarget } from './awsTarget.ts';
import { intFlag, parseFlags } from './flags.ts';
import { UsageError } from './errors.ts';

const USAGE = `Usage: sluice quarantine list [--status pending|redriven|all] [--limit N] [--format table|json]
                             [--target local|aws] [--stack NAME]
       sluice quarantine redrive [--fix SCRIPT] [--id N ...] [--limit N] [--dry-run] [--stream NAME]
                                [--target local|aws] [--stack NAME]

list     shows quarantined records: id, when, shard, sequence number, reason, raw bytes.
redrive  sends each pending record back through the producer and marks it redriven.
         Without --fix a record is resent as its JSON, with id and ts filled in when
         missing. --fix SCRIPT names a module whose default export receives
         { entry, raw, text, json } and returns the event to send, or null to leave
         it pending. Exits 1 when some records stay pending.
${TARGET_USAGE}`;

export async function runQuarantine(argv: string[], env: StackEnv, out: NodeJS.WritableStream): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    out.write(USAGE + '\n');
    return sub === undefined ? 2 : 0;
  }
  if (sub === 'list') return list(rest, env, out);
  if (sub === 'redrive') return redrive(rest, env, out);
  throw new UsageError(`unknown subcommand "${sub}": expected list or redrive`, USAGE);
}

function target(env: StackEnv) {
  return {
    resourceArn: requireEnv(env, ENV.dbClusterArn),
    secretArn: requireEnv(env, ENV.dbSecretArn),
    database: requireEnv(env, ENV.dbName),
  };
}

async function list(argv: string[], localEnv: StackEnv, out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseFlags(argv, { status: { type: 'string' }, limit: { type: 'string' }, format: { type: 'string' }, ...TARGET_FLAGS }, USAGE);
  if (values.help) {
    out.write(USAGE + '\n');
    return 0;
  }
  const env = await resolveTarget(values, localEnv, USAGE);
  const status = (values.status as string | undefined) ?? 'pending';
  if (!['pending', 'redriven', 'all'].includes(status)) throw new UsageError(`--status must be pending, redriven or all, got "${status}"`, USAGE);
  const format = (values.format as string | undefined) ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError(`--format must be table or json, got "${format}"`, USAGE);
  const limit = intFlag(values.limit, 'limit', USAGE, 1, 100_000) ?? 1000;

  const client = new RDSDataClient(awsClientConfig(env, 'rdsData'));
  let entries: QuarantineEntry[];
  try {
    entries = await new QuarantineStore(client, target(env)).list({ status: status as QuarantineStatus | 'all', limit });
  } finally {
    client.destroy();
  }
  if (format === 'json') {
    out.write(JSON.stringify({
      entries: entries.map(({ preview, ...e }) => ({ ...e, preview: printable(preview) })),
    }) + '\n');
    return 0;
  }
  if (entries.length === 0) {
    out.write(`no ${status === 'all' ? '' : `${status} `}records in quarantine\n`);
    return 0;
  }
  for (const e of entries) {
    out.write(`#${e.id}  ${e.receivedAt}  ${e.status}  ${e.shardId}  seq ${e.sequenceNumber}${e.subSequenceNumber >= 0 ? ` sub ${e.subSequenceNumber}` : ''}\n`);
    out.write(`    reason: ${e.reason}\n`);
    out.write(`    raw (${e.rawBytes} bytes): ${printable(e.preview)}${e.rawBytes > e.preview.length ? '…' : ''}\n`);
    if (e.note) out.write(`    note: ${e.note}\n`);
  }
  out.write(`${entries.length} record${entries.length === 1 ? '' : 's'}\n`);
  return 0;
}

/** Bytes shown as text, with anything unprintable escaped. */
function printable(b: Buffer): string {
  return JSON.stringify(b.toString('latin1')).slice(1, -1);
}

async function loadFix(script: string): Promise<QuarantineFix> {
  let mod: { default?: unknown };
  try {
    mod = await import(pathToFileURL(resolve(script)).href) as { default?: unknown };
  } catch (err) {
    throw new UsageError(`--fix ${script}: cannot load it (${(err as Error).message})`, USAGE);
  }
  if (typeof mod.default !== 'function') throw new UsageError(`--fix ${script}: the module must export a default function`, USAGE);
  return mod.default as QuarantineFix;
}

async function redrive(argv: string[], localEnv: StackEnv, out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseFlags(argv, {
    fix: { type: 'string' }, id: { type: 'string', multiple: true }, limit: { type: 'string' },
    'dry-run': { type: 'boolean' }, stream: { type: 'string' }, ...TARGET_FLAGS,
  }, USAGE);
  if (values.help) {
    out.write(USAGE + '\n');
    return 0;
  }
  const env = await resolveTarget(values, localEnv, USAGE);
  const ids = (values.id as string[] | undefined)?.map((v) => intFlag(v, 'id', USAGE, 1, Number.MAX_SAFE_INTEGER)!);
  const limit = intFlag(values.limit, 'limit', USAGE, 1, 1_000_000);
  const fix = values.fix ? await loadFix(values.fix as string) : undefined;
  const dryRun = values['dry-run'] === true;
  const streamName = (values.stream as string | undefined) ?? requireEnv(env, ENV.streamName);

  const rds = new RDSDataClient(awsClientConfig(env, 'rdsData'));
  const kinesis = new KinesisClient(awsClientConfig(env, 'kinesis'));
  // Both ends are sluice: compact records, unless SLUICE_RECORD_FORMAT=kpl.
  const producer = new KinesisProducer({ client: kinesis, streamName, compression: compressionFor(recordFormatFromEnv(env)) });
  try {
    const result = await redriveQuarantine(new QuarantineStore(rds, target(env)), (ev) => producer.send(ev), {
      ...(fix ? { fix } : {}), ...(ids ? { ids } : {}), ...(limit ? { limit } : {}), dryRun,
    });
    await producer.flush();
    for (const r of result.redriven) out.write(`#${r.id} ${dryRun ? 'would be sent' : 'sent'} as event ${r.eventId}\n`);
    for (const p of result.pending) out.write(`#${p.id} still pending: ${p.reason}\n`);
    out.write(`${dryRun ? 'would redrive' : 'redriven'} ${result.redriven.length}, still pending ${result.pending.length}\n`);
    return result.pending.length > 0 ? 1 : 0;
  } finally {
    await producer.close();
    kinesis.destroy();
    rds.destroy();
  }
}
