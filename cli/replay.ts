// `sluice replay --from ISO --to ISO`: rebuilds rollups from the raw-event archive
// (back-fill a rollup added later, repair a damaged range). Progress with a rate on
// stderr while it reads, a summary at the end; problems in the archive are printed
// with their object key and line, skipped, and make the exit code 1.
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { S3Client } from '@aws-sdk/client-s3';
import { ENV, awsClientConfig, requireEnv, type StackEnv } from '../core/index.ts';
import { loadConfig } from '../consumers/index.ts';
import { QueryError, parseTimeBound } from '../query/index.ts';
import { DEFAULT_SETTLE_SECONDS, S3ArchiveSource, replayArchive } from '../replay/index.ts';
import type { ArchiveProblem, ReplaySummary } from '../replay/index.ts';
import { DataApiSession } from '../schema/index.ts';
import { TARGET_FLAGS, TARGET_USAGE, resolveTarget } from './awsTarget.ts';
import { intFlag, parseFlags } from './flags.ts';
import { UsageError } from './errors.ts';
import { Progress } from './Progress.ts';

const USAGE = `Usage: sluice replay --from ISO --to ISO [--type T] [--rollup NAME ...] [--dry-run]
                     [--settle SECONDS] [--max-lateness SECONDS] [--archive s3://BUCKET]
                     [--config FILE] [--json] [--target local|aws] [--stack NAME]

Rebuilds rollups from the archived events whose ts is in [--from, --to): the rows of
every whole bucket inside the range that ended at least --settle seconds ago
(default ${DEFAULT_SETTLE_SECONDS}) are REPLACED by what the events give, once each
(duplicates dropped by event id). Events the aggregator has not applied yet are left
to it. Running it twice gives the same rows.
  --rollup NAME       rebuild only this rollup (repeatable; default every rollup in the config)
  --type T            only events and rows of this event type
  --dry-run           read and compute, write nothing
  --max-lateness S    read objects that arrived up to S seconds after --to (default: all later objects)
  --archive s3://B    the bucket to read (default s3://$${ENV.archiveBucket}: the local stack's
                      archive, served over the S3 API at $${ENV.s3Endpoint}; with --target aws
                      the stack's ArchiveBucket)
${TARGET_USAGE}
Exits 1 when some archive object or line could not be read (each is printed and skipped).`;

export async function runReplay(argv: string[], localEnv: StackEnv, out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseFlags(argv, {
    from: { type: 'string' },
    to: { type: 'string' },
    type: { type: 'string' },
    rollup: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
    settle: { type: 'string' },
    'max-lateness': { type: 'string' },
    archive: { type: 'string' },
    config: { type: 'string' },
    json: { type: 'boolean' },
    ...TARGET_FLAGS,
  }, USAGE);
  if (values.help) {
    out.write(USAGE + '\n');
    return 0;
  }
  if (!values.from || !values.to) throw new UsageError('--from and --to are required', USAGE);
  let fromMs: number;
  let toMs: number;
  try {
    fromMs = parseTimeBound(values.from as string, 'from', Date.now());
    toMs = parseTimeBound(values.to as string, 'to', Date.now());
  } catch (err) {
    if (err instanceof QueryError) throw new UsageError(err.message, USAGE);
    throw err;
  }
  if (fromMs >= toMs) throw new UsageError('--from must be before --to', USAGE);
  const settleSeconds = intFlag(values.settle, 'settle', USAGE, 0, 30 * 86_400) ?? DEFAULT_SETTLE_SECONDS;
  const maxLatenessSeconds = intFlag(values['max-lateness'], 'max-lateness', USAGE, 0, 365 * 86_400);
  const config = loadConfig(values.config as string | undefined);
  const env = await resolveTarget(values, localEnv, USAGE);
  const rollups = values.rollup as string[] | undefined;
  for (const name of rollups ?? []) {
    if (!config.rollups.some((r) => r.name === name)) {
      throw new UsageError(`no rollup named "${name}" in the configuration (known: ${config.rollups.map((r) => r.name).join(', ')})`, USAGE);
    }
  }

  const bucket = archiveBucket(values.archive as string | undefined, env);

  const s3 = new S3Client(awsClientConfig(env, 's3'));
  const rdsData = new RDSDataClient(awsClientConfig(env, 'rdsData'));
  const progress = new Progress(process.stderr, 'replay');
  const problems: ArchiveProblem[] = [];
  let summary: ReplaySummary;
  try {
    const source = new S3ArchiveSource(s3, bucket);
    const session = new DataApiSession(rdsData, {
      resourceArn: requireEnv(env, ENV.dbClusterArn),
      secretArn: requireEnv(env, ENV.dbSecretArn),
      database: requireEnv(env, ENV.dbName),
    });
    summary = await replayArchive(source, session, {
      fromMs, toMs, config, settleSeconds,
      ...(rollups ? { rollups } : {}),
      ...(values.type ? { eventType: values.type as string } : {}),
      ...(values['dry-run'] ? { dryRun: true } : {}),
      ...(maxLatenessSeconds !== undefined ? { maxLatenessSeconds } : {}),
      onProgress: (p) => {
        const rate = p.eventsRead / Math.max(0.001, p.elapsedMs / 1000);
        progress.update(`objects ${p.objectsRead}/${p.objectsTotal}, ${p.eventsRead.toLocaleString('en-US')} events read, ${Math.round(rate).toLocaleString('en-US')} events/s`);
      },
      onProblem: (p) => {
        problems.push(p);
        process.stderr.write(`replay: skipped ${where(p)}: ${p.reason}\n`);
      },
    });
  } finally {
    progress.done();
    s3.destroy();
    rdsData.destroy();
  }

  if (values.json) out.write(JSON.stringify(summary) + '\n');
  else out.write(describe(summary));
  return problems.length > 0 ? 1 : 0;
}

/** The bucket of --archive s3://BUCKET, else the stack's; a usage error when neither is given. */
function archiveBucket(flag: string | undefined, env: StackEnv): string {
  if (flag !== undefined) {
    const bucket = flag.startsWith('s3://') ? flag.slice('s3://'.length).replace(/\/+$/, '') : '';
    if (!bucket || bucket.includes('/')) throw new UsageError(`--archive takes s3://BUCKET (a bucket only), got "${flag}"`, USAGE);
    return bucket;
  }
  const bucket = env[ENV.archiveBucket];
  if (bucket) return bucket;
  throw new UsageError(`no archive to read: start the local stack (\`npm start\`), export ${ENV.archiveBucket} (the stack's ArchiveBucket output), or pass --archive s3://BUCKET`, USAGE);
}

function where(p: ArchiveProblem): string {
  return `${p.key}${p.line !== undefined ? ` line ${p.line}` : ''}${p.rawDataLine !== undefined ? ` (rawData line ${p.rawDataLine})` : ''}`;
}

function describe(s: ReplaySummary): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `replay${s.dryRun ? ' (dry run: nothing written)' : ''} from ${s.source} in ${(s.elapsedMs / 1000).toFixed(1)} s`,
    `  read      ${n(s.objectsRead)} objects, ${n(s.linesRead)} lines, ${n(s.eventsRead)} events (${n(s.duplicatesDropped)} duplicates dropped, ${n(s.eventsOutsideRange)} outside the range, ${n(s.eventsLeftToLive)} not applied live yet, left to the aggregator)`,
    `  skipped   ${n(s.problems.length)} bad objects or lines, ${n(s.archiveErrorLines)} archiver error lines (records that were never events)`,
    `  boundary  buckets that ended by ${s.settledBefore}`,
  ];
  for (const r of s.rollups) {
    const windows = r.windows.map((w) => `${w.windowS} s: ${n(w.buckets)} buckets ${w.from} .. ${w.to}`).join('; ') || 'no whole settled bucket in the range';
    const none = r.windowsWithoutBuckets.length ? ` (no whole settled bucket for window ${r.windowsWithoutBuckets.join(', ')} s)` : '';
    lines.push(`  ${r.rollup.padEnd(9)} ${windows}${none}: ${n(r.events)} events, ${s.dryRun ? 'would write' : `${n(r.rowsDeleted)} rows replaced by`} ${n(r.rowsWritten)} rows`);
  }
  lines.push(`  total     ${n(s.bucketsRebuilt)} buckets, ${n(s.rowsWritten)} rows ${s.dryRun ? 'would be written' : 'written'}`);
  return lines.join('\n') + '\n';
}
