// The archive as the system of record, against the whole local stack: 50,000 events
// through the producer, the archiver and the local Firehose (GZIP, with injected
// Firehose failures), read back complete; then `sluice replay` rebuilds rollups to
// exactly the rows the live aggregator wrote: a rollup back-filled from nothing, a
// damaged range repaired, the same rows twice, duplicates and bad objects in the
// archive dropped or reported, and events the aggregator has not applied left to it.
// The archive is read as on AWS: @aws-sdk/client-s3 against the S3 endpoint the stack's
// Firehose part serves (AWS_ENDPOINT_URL_S3). Runs on DATABASE_URL's PostgreSQL when it
// is set, else on the embedded PostgreSQL.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { S3Client } from '@aws-sdk/client-s3';
import { ENV, RESOURCE_NAMES, awsClientConfig } from '../core/index.ts';
import { validateConfig } from '../consumers/index.ts';
import { KinesisProducer } from '../producers/index.ts';
import { startStack, type LocalStack } from '../local/index.ts';
import { S3ArchiveSource, archiveKeys, arrivalWindow, readArchiveObject, replayArchive, type ArchivedEvent, type ReplaySummary } from '../replay/index.ts';
import { DataApiSession, fieldText } from '../schema/index.ts';
import { makeEvents } from './support/events.ts';
import { scratchDatabaseUrl, type ScratchDatabase } from './support/database.ts';
import { runCli } from './support/cli.ts';

const START = Date.UTC(2026, 10, 28, 14, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const CONFIG_INPUT = {
  rollups: [
    { name: 'by_type', types: '*', windows: [60, 3600] },
    { name: 'by_country', types: ['order', 'page_view'], groupBy: ['country'], windows: [60], approxDistinct: 'plan' },
  ],
};
const config = validateConfig(CONFIG_INPUT);

let stack: LocalStack;
let scratch: ScratchDatabase | undefined;
let dataDir: string;
let session: DataApiSession;
let rdsData: RDSDataClient;
let s3: S3Client;
/** The bucket's directory, where tests damage the archive behind the read-only endpoint's back. */
let archiveRoot: string;
let configFile: string;
const sent = makeEvents(50_000, { seed: 15, minutes: 7, start: START });
/** Every rollup row the live aggregator wrote, as text (sums at their shortest scale: 0.30 and 0.3 are one value). */
let live: string[];

async function rows(where = 'TRUE'): Promise<string[]> {
  const out = await session.execute(`SELECT concat_ws('|', rollup, window_s, event_type, extract(epoch FROM bucket)::bigint, dim_key, dims::text, count, trim_scale(sum)::text, min, max, hll::text)
FROM sluice_rollups WHERE ${where} ORDER BY rollup, window_s, event_type, bucket, dim_key`);
  return out.map((r) => fieldText(r[0])!);
}

async function readArchive(): Promise<{ events: ArchivedEvent[]; problems: number; keys: string[] }> {
  const source = archive();
  const keys = await archiveKeys(source, arrivalWindow(START, START + 1, undefined));
  const events: ArchivedEvent[] = [];
  let problems = 0;
  for (const key of keys) {
    const content = readArchiveObject(key, await source.read(key));
    events.push(...content.events);
    problems += content.problems.length;
  }
  return { events, problems, keys };
}

/** The archive bucket as replay reads it: through @aws-sdk/client-s3 and the stack's S3 endpoint. */
const archive = () => new S3ArchiveSource(s3, stack.env[ENV.archiveBucket]!);

const summaryOf = (stdout: string) => JSON.parse(stdout) as ReplaySummary;

const replayCli = (args: string[]) => runCli(['replay', '--config', configFile, '--json', ...args], { env: { [ENV.dataDir]: dataDir } });

beforeAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  dataDir = mkdtempSync(join(tmpdir(), 'sluice-replay-'));
  configFile = join(dataDir, 'sluice.config.json');
  writeFileSync(configFile, JSON.stringify(CONFIG_INPUT));
  scratch = await scratchDatabaseUrl();
  stack = await startStack({ dataDir, config, faultInjection: true, ...(scratch ? { databaseUrl: scratch.url } : {}) });
  archiveRoot = join(dataDir, 'firehose', 's3', RESOURCE_NAMES.bucket);
  rdsData = new RDSDataClient(awsClientConfig(stack.env, 'rdsData'));
  s3 = new S3Client(awsClientConfig(stack.env, 's3'));
  session = new DataApiSession(rdsData, { resourceArn: stack.env[ENV.dbClusterArn]!, secretArn: stack.env[ENV.dbSecretArn]!, database: stack.env[ENV.dbName]! });

  // Firehose trouble while the archive is written, injected over HTTP as a test of a
  // deployed stack would: refused records, refused calls, records it cannot deliver.
  const faults = (body: unknown) => fetch(`${stack.env[ENV.firehoseEndpoint]}/_sluice/faults`, { method: 'POST', body: JSON.stringify(body) })
    .then((r) => expect(r.status).toBe(200));
  await faults({ kind: 'failRecords', count: 25 });
  await faults({ kind: 'failCalls', operation: 'PutRecordBatch', count: 3, code: 'ServiceUnavailableException', status: 503 });
  await faults({ kind: 'failDelivery', count: 4 });

  const kinesis = new KinesisClient(awsClientConfig(stack.env, 'kinesis'));
  const producer = new KinesisProducer({ client: kinesis, streamName: stack.env[ENV.streamName]! });
  // On a loaded machine the producer may give up on some events (Kinesis throttling):
  // send those again, as a caller would, so every event of `sent` is in the stream.
  let pending = sent;
  for (let round = 0; pending.length > 0 && round < 5; round++) {
    const results = await producer.sendBatch(pending.map((event) => ({ event })));
    pending = pending.filter((_, i) => results[i]!.status === 'rejected');
  }
  expect(pending).toEqual([]);
  await producer.close();
  kinesis.destroy();
  await stack.waitIdle();
  live = await rows();
}, 300_000);

afterAll(async () => {
  rdsData?.destroy();
  s3?.destroy();
  await stack?.stop();
  await scratch?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the archive', () => {
  it('holds all 50,000 events in GZIP objects, each line with its Kinesis envelope, those Firehose could not deliver under the error prefix', async () => {
    const { events, problems, keys } = await readArchive();

    expect(problems).toBe(0);
    expect(keys.every((k) => k.endsWith('.gz'))).toBe(true);
    expect(keys.some((k) => /^errors\/processing-failed\/\d{4}\/\d{2}\/\d{2}\/\d{2}\//.test(k))).toBe(true);
    expect(keys.some((k) => /^\d{4}\/\d{2}\/\d{2}\/\d{2}\/sluice-archive-1-/.test(k))).toBe(true);
    expect(new Set(events.map((e) => e.event.id))).toEqual(new Set(sent.map((e) => e.id)));
    const positions = new Set(events.map((e) => `${e.envelope!.shardId}/${e.envelope!.sequenceNumber}/${e.envelope!.subSequenceNumber}`));
    expect(positions.size).toBe(new Set(events.map((e) => e.event.id)).size);
    expect(events.every((e) => /^shardId-\d{12}$/.test(e.envelope!.shardId) && /^sluice-lane-[0-9a-f]$/.test(e.envelope!.partitionKey))).toBe(true);
  });
});

describe('sluice replay', () => {
  it('back-fills a rollup added afterwards to the rows the live path gave it', async () => {
    const byCountry = live.filter((r) => r.startsWith('by_country|'));
    await session.execute(`DELETE FROM sluice_rollups WHERE rollup = 'by_country'`);

    const res = await replayCli(['--from', iso(START), '--to', iso(START + 7 * 60_000), '--rollup', 'by_country']);
    const summary = summaryOf(res.stdout);

    expect(res.code).toBe(0);
    expect(byCountry.length).toBeGreaterThan(0);
    expect(await rows(`rollup = 'by_country'`)).toEqual(byCountry);
    expect(summary.rollups).toMatchObject([{ rollup: 'by_country', rowsDeleted: 0, rowsWritten: byCountry.length, windows: [{ windowS: 60, buckets: 7 }] }]);
    expect(await rows()).toEqual(live);
  });

  it('repairs a damaged range, leaves buckets the range only cuts alone, and gives the same rows when run twice', async () => {
    const damaged = `bucket >= to_timestamp(${(START + 2 * 60_000) / 1000}) AND bucket < to_timestamp(${(START + 5 * 60_000) / 1000})`;
    await session.execute(`DELETE FROM sluice_rollups WHERE ${damaged} AND event_type IN ('click', 'order')`);
    await session.execute(`UPDATE sluice_rollups SET count = count + 7, sum = 0 WHERE ${damaged} AND event_type = 'page_view'`);
    // The hour row is not whole inside the range: a replay of three minutes must not touch it.
    await session.execute(`UPDATE sluice_rollups SET count = -1 WHERE window_s = 3600 AND event_type = 'signup'`);

    const args = ['--from', iso(START + 2 * 60_000), '--to', iso(START + 5 * 60_000)];
    const first = await replayCli(args);
    const afterFirst = await rows();
    const second = await replayCli(args);

    expect([first.code, second.code]).toEqual([0, 0]);
    expect(afterFirst.filter((r) => !r.startsWith('by_type|3600|signup|'))).toEqual(live.filter((r) => !r.startsWith('by_type|3600|signup|')));
    expect(afterFirst.find((r) => r.startsWith('by_type|3600|signup|'))!.split('|')[6]).toBe('-1');
    expect(await rows()).toEqual(afterFirst);
    const summary = summaryOf(second.stdout);
    expect(summary.rollups.find((r) => r.rollup === 'by_type')!.windowsWithoutBuckets).toEqual([3600]);
    expect(summary.rollups.find((r) => r.rollup === 'by_type')!.rowsDeleted).toBe(summary.rollups.find((r) => r.rollup === 'by_type')!.rowsWritten);

    const whole = await replayCli(['--from', iso(START), '--to', iso(START + 3_600_000)]);
    expect(whole.code).toBe(0);
    expect(await rows()).toEqual(live);
  });

  it('reads the archive as on AWS: S3 through @aws-sdk/client-s3 at the stack\'s AWS_ENDPOINT_URL_S3, to the same rows', async () => {
    await session.execute(`DELETE FROM sluice_rollups WHERE rollup = 'by_type' AND window_s = 60`);

    const res = await replayCli(['--archive', `s3://${RESOURCE_NAMES.bucket}`, '--from', iso(START), '--to', iso(START + 3_600_000)]);
    const summary = summaryOf(res.stdout);

    expect(res.code).toBe(0);
    expect(stack.env[ENV.s3Endpoint]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(summary.source).toBe(`s3://${RESOURCE_NAMES.bucket}`);
    expect(summary.objectsRead).toBe((await readArchive()).keys.length);
    expect(await rows()).toEqual(live);
  });

  it('drops duplicate copies in the archive, and reports and skips a truncated GZIP, a line that is not JSON and an invalid event', async () => {
    const { events } = await readArchive();
    const hourDir = join(archiveRoot, ...new Date().toISOString().slice(0, 13).replace('T', '-').split('-'));
    mkdirSync(hourDir, { recursive: true });
    const line = (e: ArchivedEvent) => JSON.stringify({ ...e.envelope, event: e.event }) + '\n';
    // A re-delivered stretch: 1,000 events archived a second time, in another object.
    writeFileSync(join(hourDir, 'sluice-archive-1-dup.gz'), gzipSync(events.slice(0, 1000).map(line).join('')));
    // A truncated object: its first lines (copies) are read, the rest is reported lost.
    const truncated = gzipSync(events.slice(1000, 3000).map(line).join(''));
    writeFileSync(join(hourDir, 'sluice-archive-1-truncated.gz'), truncated.subarray(0, Math.floor(truncated.length / 2)));
    const bad = [line(events[3000]!), '{"shardId": not json\n', JSON.stringify({ ...events[3001]!.envelope, event: { ...events[3001]!.event, type: 'bad type!' } }) + '\n'];
    writeFileSync(join(hourDir, 'sluice-archive-1-bad.gz'), gzipSync(bad.join('')));

    const res = await replayCli(['--from', iso(START), '--to', iso(START + 3_600_000)]);
    const summary = summaryOf(res.stdout);

    expect(res.code).toBe(1);
    expect(await rows()).toEqual(live);
    expect(summary.duplicatesDropped).toBeGreaterThanOrEqual(1001);
    expect(res.stderr).toMatch(/skipped \S+sluice-archive-1-truncated\.gz line \d+: truncated GZIP/);
    expect(res.stderr).toMatch(/skipped \S+sluice-archive-1-bad\.gz line 2: not JSON/);
    expect(res.stderr).toMatch(/skipped \S+sluice-archive-1-bad\.gz line 3: invalid event: type/);
    expect(summary.problems).toHaveLength(3);
  });

  it('leaves events the aggregator has not applied yet to it, and counts each once when it has', async () => {
    const { events } = await readArchive();
    // The (shard, partition key) whose events came in the most Kinesis records.
    const byKey = new Map<string, ArchivedEvent[]>();
    for (const e of events) {
      const k = `${e.envelope!.shardId} ${e.envelope!.partitionKey}`;
      byKey.set(k, [...(byKey.get(k) ?? []), e]);
    }
    const sequencesOf = (list: ArchivedEvent[]) => [...new Set(list.map((e) => e.envelope!.sequenceNumber))].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1));
    const keyEvents = [...byKey.values()].sort((a, b) => sequencesOf(b).length - sequencesOf(a).length)[0]!;
    const target = keyEvents[0]!.envelope!;
    const sequences = sequencesOf(keyEvents);
    const cut = sequences[Math.floor((sequences.length - 1) / 2)]!;
    const pending = new Set(keyEvents.filter((e) => BigInt(e.envelope!.sequenceNumber) > BigInt(cut)).map((e) => e.event.id));
    // As if the aggregator had applied this key only up to `cut` so far.
    const where = `shard_id = '${target.shardId}' AND partition_key = '${target.partitionKey}'`;
    const [[applied]] = await session.execute(`SELECT sequence_number::text FROM sluice_checkpoints WHERE ${where}`);
    await session.execute(`UPDATE sluice_checkpoints SET sequence_number = ${cut} WHERE ${where}`);

    const summary = await replayArchive(archive(), session, { fromMs: START, toMs: START + 3_600_000, config, rollups: ['by_type'] });
    const counted = await session.execute(`SELECT sum(count)::text FROM sluice_rollups WHERE rollup = 'by_type' AND window_s = 60`);
    await session.execute(`UPDATE sluice_checkpoints SET sequence_number = ${fieldText(applied)} WHERE ${where}`);
    await replayArchive(archive(), session, { fromMs: START, toMs: START + 3_600_000, config, rollups: ['by_type'] });

    expect(pending.size).toBeGreaterThan(0);
    expect(summary.eventsLeftToLive).toBe(pending.size);
    expect(Number(fieldText(counted[0]![0]))).toBe(sent.length - pending.size);
    expect(await rows()).toEqual(live);
  });

  it('leaves a key the aggregator has no checkpoint for to it, unless that key has been idle past the checkpoint retention', async () => {
    const { events } = await readArchive();
    const target = events.find((e) => e.envelope!.partitionKey === 'sluice-lane-5')!.envelope!;
    const ofKey = new Set(events.filter((e) => e.envelope!.shardId === target.shardId && e.envelope!.partitionKey === target.partitionKey).map((e) => e.event.id));
    const where = `shard_id = '${target.shardId}' AND partition_key = '${target.partitionKey}'`;
    const [[stream, applied]] = await session.execute(`SELECT stream_arn, sequence_number::text FROM sluice_checkpoints WHERE ${where}`);
    await session.execute(`DELETE FROM sluice_checkpoints WHERE ${where}`);
    const replay = (now?: number) => replayArchive(archive(), session, {
      fromMs: START, toMs: START + 3_600_000, config, rollups: ['by_type'], ...(now ? { now } : {}),
    });

    const unreached = await replay();
    const idleLongAgo = await replay(Date.now() + (config.checkpointRetentionSeconds + 60) * 1000);
    await session.execute(`INSERT INTO sluice_checkpoints (stream_arn, shard_id, partition_key, sequence_number) VALUES ('${fieldText(stream)}', '${target.shardId}', '${target.partitionKey}', ${fieldText(applied)})`);
    await replay();

    expect(ofKey.size).toBeGreaterThan(0);
    expect(unreached.eventsLeftToLive).toBe(ofKey.size);
    expect(idleLongAgo.eventsLeftToLive).toBe(0);
    expect(await rows()).toEqual(live);
  });

  it('refuses a range backwards, an unknown rollup, a missing --to and an archive that is not s3://BUCKET with a usage error', async () => {
    const results = await Promise.all([
      replayCli(['--from', iso(START + 60_000), '--to', iso(START)]),
      replayCli(['--from', iso(START), '--to', iso(START + 60_000), '--rollup', 'nope']),
      replayCli(['--from', iso(START)]),
      replayCli(['--from', iso(START), '--to', iso(START + 60_000), '--archive', archiveRoot]),
    ]);

    expect(results.map((r) => r.code)).toEqual([2, 2, 2, 2]);
    expect(results[0]!.stderr).toMatch(/--from must be before --to/);
    expect(results[1]!.stderr).toMatch(/no rollup named "nope"/);
    expect(results[2]!.stderr).toMatch(/--from and --to are required/);
    expect(results[3]!.stderr).toMatch(/--archive takes s3:\/\/BUCKET/);
    expect(await rows()).toEqual(live);
  });

  it('names a bucket the S3 endpoint does not have, and writes nothing', async () => {
    const res = await replayCli(['--from', iso(START), '--to', iso(START + 3_600_000), '--archive', 's3://no-such-archive']);

    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`no bucket no-such-archive at ${stack.env[ENV.s3Endpoint]}`);
    expect(await rows()).toEqual(live);
  });
});
