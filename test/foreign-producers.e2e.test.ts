// Events from any producer, as a user lives it: `sluice dev` running, records put with
// the real AWS SDK and no sluice code on the producing side (plain JSON with and
// without id and ts through PutRecord and PutRecords, newline-separated, gzip, a
// CloudWatch Logs subscription message, aws-kinesis-agg aggregates, garbage), a kill -9
// mid-stream, then the runner made to deliver the whole stream again: every event is
// counted exactly once, and what is not an event is in the quarantine with its reason.
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { KinesisClient, ListShardsCommand, PutRecordCommand, PutRecordsCommand, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { RESOURCE_NAMES } from '../core/index.ts';
import { freePortRange, kill9, runCli, startCli } from './support/cli.ts';

const require = createRequire(import.meta.url);
const kinesisAgg = require('aws-kinesis-agg') as {
  aggregate(records: { partitionKey: string; data: string }[], handler: (rec: { partitionKey: string; data: Buffer; ExplicitHashKey?: string }, cb: () => void) => void, done: () => void, onError: (e: Error) => void): void;
};

const dataDir = mkdtempSync(join(tmpdir(), 'sluice-foreign-'));
const env = { SLUICE_DATA_DIR: dataDir, DATABASE_URL: '' };
const running: ChildProcess[] = [];

afterAll(async () => {
  await Promise.all(running.map(kill9));
  // The stack's parts stop on their own once their parent is gone, and may still be
  // writing (PostgreSQL's shutdown) while the directory is removed: retry until quiet.
  rmSync(dataDir, { recursive: true, force: true, maxRetries: 20, retryDelay: 250 });
});

interface Totals { count: number; sum: number }

async function totals(type: string): Promise<{ rows: { bucket: string; count: number; sum: number }[]; totals: Totals }> {
  const r = await runCli(['query', '--type', type, '--format', 'json'], { env });
  // A type with no rows yet is an error that lists the types that have some.
  if (r.code === 2 && /no rows of type/.test(r.stderr)) return { rows: [], totals: { count: 0, sum: 0 } };
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { results: { rows: { bucket: string; count: number; sum: number }[]; totals: Totals }[] }).results[0]!;
}

/** Polls until every type reaches its expected count (or gives up), then returns what the query shows. */
async function settledTotals(want: Record<string, Totals>): Promise<Record<string, Totals>> {
  const got: Record<string, Totals> = {};
  for (const type of Object.keys(want)) {
    let t = (await totals(type)).totals;
    for (let i = 0; i < 240 && t.count < want[type]!.count; i++) {
      await new Promise((r) => setTimeout(r, 500));
      t = (await totals(type)).totals;
    }
    got[type] = { count: t.count, sum: t.sum };
  }
  return got;
}

function aggregateWithKinesisAgg(records: { partitionKey: string; data: string }[]): Promise<PutRecordsRequestEntry[]> {
  const out: PutRecordsRequestEntry[] = [];
  return new Promise((resolve, reject) => {
    kinesisAgg.aggregate(records, (rec, cb) => {
      out.push({ Data: rec.data, PartitionKey: rec.partitionKey, ...(rec.ExplicitHashKey ? { ExplicitHashKey: rec.ExplicitHashKey } : {}) });
      cb();
    }, () => resolve(out), reject);
  });
}

const json = (o: unknown) => Buffer.from(JSON.stringify(o));
const sumOf = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe('events from any producer through `sluice dev`', () => {
  it('counts plain, newline-separated, gzip and aws-kinesis-agg records exactly once through a kill -9 and a full redelivery', async () => {
    // Prepare: the stack, and a plain SDK client pointed at its Kinesis endpoint.
    const port = await freePortRange(7); // base..base+4 (S3 at base+4), and base+6 for the query API
    const first = await startCli(['dev', '--data-dir', dataDir, '--port', String(port)], 'sluice ready', { env, timeoutMs: 180_000 });
    running.push(first.child);
    const kinesis = new KinesisClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const StreamName = RESOURCE_NAMES.stream;
    const putRecords = async (entries: PutRecordsRequestEntry[]) => {
      for (let i = 0; i < entries.length; i += 500) {
        const res = await kinesis.send(new PutRecordsCommand({ StreamName, Records: entries.slice(i, i + 500) }));
        expect(res.FailedRecordCount ?? 0).toBe(0);
      }
    };
    const T0 = '2026-11-28T14:00:00Z';

    // Act 1: put what other producers write.
    // PutRecords, no id, no ts (API Gateway, IoT rules, other services).
    const batchValues = Array.from({ length: 2000 }, (_, i) => (i % 5) + 1);
    await putRecords(batchValues.map((value, i) => ({ Data: json({ type: 'plain_batch', value }), PartitionKey: `user-${i % 300}` })));
    // PutRecords with client ids and ts; the first 50 put again (a client retry): counted once.
    const withId = Array.from({ length: 200 }, (_, i) => ({ Data: json({ id: `w-${i}`, type: 'plain_with_id', ts: T0, value: 2 }), PartitionKey: `w${i}` }));
    await putRecords([...withId, ...withId.slice(0, 50)]);
    // PutRecord one at a time (the AWS CLI's put-record), ts in epoch ms, no value.
    for (let i = 0; i < 30; i++) {
      await kinesis.send(new PutRecordCommand({ StreamName, PartitionKey: `cli-${i}`, Data: json({ type: 'plain_single', ts: Date.parse(T0) + i }) }));
    }
    // Newline-separated (the Kinesis Agent): 20 records of 10 lines, one bad line among them.
    const ndjson = Array.from({ length: 20 }, () => Array.from({ length: 10 }, (_, l) => JSON.stringify({ type: 'ndjson_line', value: l })).join('\n') + '\n');
    ndjson[7] = ndjson[7]!.replace('{"type":"ndjson_line","value":3}', '{"type":"ndjson_line","value":"three"}');
    await putRecords(ndjson.map((text, r) => ({ Data: Buffer.from(text), PartitionKey: `agent-${r}` })));
    // gzip: newline-separated lines, and CloudWatch Logs subscription messages.
    await putRecords(Array.from({ length: 10 }, (_, r) => ({
      Data: gzipSync(Array.from({ length: 10 }, () => '{"type":"gzip_line","value":3}').join('\n')), PartitionKey: `gz-${r}`,
    })));
    await putRecords(Array.from({ length: 5 }, (_, r) => ({
      Data: gzipSync(JSON.stringify({
        messageType: 'DATA_MESSAGE', owner: '123456789012', logGroup: '/app/orders', logStream: `s${r}`, subscriptionFilters: ['events'],
        logEvents: Array.from({ length: 4 }, (_, i) => ({ id: `${r}${i}`, timestamp: Date.parse(T0) + i, message: JSON.stringify({ type: 'cwl_event', value: 10 }) })),
      })),
      PartitionKey: `cwl-${r}`,
    })));
    // aws-kinesis-agg aggregates, with and without ids.
    const aggValues = Array.from({ length: 300 }, (_, i) => i % 7);
    await putRecords(await aggregateWithKinesisAgg(aggValues.map((value, i) => ({
      partitionKey: `agg-${i % 40}`, data: JSON.stringify(i % 2 ? { type: 'kpl_agg', value } : { id: `agg-${i}`, type: 'kpl_agg', ts: T0, value }),
    }))));
    // Not JSON.
    await kinesis.send(new PutRecordCommand({ StreamName, PartitionKey: 'junk', Data: Buffer.from('not json at all') }));

    await kill9(first.child); // consumers are mid-stream: some batches applied, some not
    const second = await startCli(['dev', '--data-dir', dataDir, '--port', String(port)], 'sluice ready', { env, timeoutMs: 180_000 });
    running.push(second.child);

    // Assess 1: every event counted once.
    const want: Record<string, Totals> = {
      plain_batch: { count: 2000, sum: sumOf(batchValues) },
      plain_with_id: { count: 200, sum: 400 },
      plain_single: { count: 30, sum: 30 },
      ndjson_line: { count: 199, sum: 20 * 45 - 3 },
      gzip_line: { count: 100, sum: 300 },
      cwl_event: { count: 20, sum: 200 },
      kpl_agg: { count: 300, sum: sumOf(aggValues) },
    };
    expect(await settledTotals(want)).toEqual(want);
    expect((await totals('plain_with_id')).rows.map((r) => r.bucket)).toEqual(['2026-11-28T14:00:00.000Z']);
    expect((await totals('cwl_event')).rows.map((r) => r.bucket)).toEqual(['2026-11-28T14:00:00.000Z']);
    const listed = await runCli(['quarantine', 'list', '--format', 'json'], { env });
    const entries = (JSON.parse(listed.stdout) as { entries: { subSequenceNumber: number; reason: string; preview: string }[] }).entries;
    expect(entries.map((e) => ({ sub: e.subSequenceNumber, reason: e.reason.replace(/ \(.*/, ''), preview: e.preview })).sort((a, b) => a.sub - b.sub)).toEqual([
      { sub: -1, reason: 'invalid event: event: not valid JSON', preview: 'not json at all' },
      { sub: 3, reason: 'invalid event: value: must be a finite number', preview: JSON.stringify('{"type":"ndjson_line","value":"three"}').slice(1, -1) },
    ]);

    // Act 2: the runner forgets every position and delivers the whole stream again.
    await kill9(second.child);
    const positions = join(dataDir, 'runner', `${RESOURCE_NAMES.aggregatorFunction}.json`);
    expect(existsSync(positions)).toBe(true);
    rmSync(positions);
    const third = await startCli(['dev', '--data-dir', dataDir, '--port', String(port)], 'sluice ready', { env, timeoutMs: 180_000 });
    running.push(third.child);
    // One marker a shard, behind everything else on it: once all are counted, every shard was read again to its end.
    const shards = (await kinesis.send(new ListShardsCommand({ StreamName }))).Shards ?? [];
    await putRecords(shards.map((s) => ({ Data: json({ type: 'marker' }), PartitionKey: 'marker', ExplicitHashKey: s.HashKeyRange!.StartingHashKey! })));

    // Assess 2: the markers counted, nothing else changed.
    expect(await settledTotals({ marker: { count: shards.length, sum: shards.length } })).toEqual({ marker: { count: shards.length, sum: shards.length } });
    expect(await settledTotals(want)).toEqual(want);
    kinesis.destroy();
  }, 600_000); // three starts of the stack and a CLI process per query: minutes on a loaded machine
});
