// Poison records round trip: the aggregator quarantines them on the real local
// pipeline, `sluice quarantine list` shows them, `sluice quarantine redrive --fix`
// sends the fixed events back through the producer, and running it again (even
// after a crash between sending and marking) applies nothing twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { RDSDataClient } from '@aws-sdk/client-rds-data';
import { encodeAggregatedRecord, ENV, normalizeEvent, serializeEvent } from '../core/index.ts';
import type { DataApiFixture } from './support/dataApiFixture.ts';
import { startPipelineFixture, type PipelineFixture } from './support/pipelineFixture.ts';
import type { EventSourceRunner } from '../local/runner/index.ts';
import { KinesisProducer } from '../producers/index.ts';
import { DataApiSession, TABLES } from '../schema/index.ts';
import { QuarantineStore, queryRollups, type QuarantineEntry } from '../query/index.ts';
import { runQuarantine } from '../cli/quarantine.ts';
import { anyString, stringMatching } from './support/matchers.ts';

const T0 = Date.UTC(2026, 10, 28, 7, 0, 0);

let dir: string;
let pipeline: PipelineFixture;
let STREAM: string;
let target: DataApiFixture['target'];
let kinesis: KinesisClient;
let rds: RDSDataClient;
let runner: EventSourceRunner;
let env: Record<string, string>;

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({ write(chunk: Buffer, _enc, cb) { text += chunk.toString(); cb(); } });
  return { stream, text: () => text };
}

async function cli(...argv: string[]): Promise<{ code: number; text: string }> {
  const out = capture();
  const code = await runQuarantine(argv, env, out.stream);
  return { code, text: out.text() };
}

/** The entries `list --format json` printed (the preview as printable text). */
function listedEntries(text: string): (Omit<QuarantineEntry, 'preview'> & { preview: string })[] {
  return (JSON.parse(text) as { entries: (Omit<QuarantineEntry, 'preview'> & { preview: string })[] }).entries;
}

async function clickTotals() {
  await runner.waitIdle({ timeoutMs: 60_000 });
  return (await queryRollups(rds, target, { type: 'click' })).totals;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-quarantine-'));
  pipeline = await startPipelineFixture('quarantine');
  ({ kinesis } = pipeline);
  ({ target, client: rds } = pipeline.data);
  STREAM = await pipeline.createStream(1);
  env = {
    [ENV.region]: 'us-east-1', [ENV.accessKeyId]: 'x', [ENV.secretAccessKey]: 'x',
    [ENV.kinesisEndpoint]: pipeline.kinesisServer.endpoint, [ENV.rdsDataEndpoint]: pipeline.data.server.endpoint, [ENV.streamName]: STREAM,
    [ENV.dbClusterArn]: target.resourceArn, [ENV.dbSecretArn]: target.secretArn, [ENV.dbName]: target.database,
  };
  runner = pipeline.startAggregatorRunner(STREAM);
});

afterAll(async () => {
  await runner?.stop();
  await pipeline?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('quarantine', () => {
  it('lists poison records and redrives fixed events exactly once', async () => {
    // Prepare: 50 good clicks of value 2, then three poison records among more good ones.
    const producer = new KinesisProducer({ client: kinesis, streamName: STREAM, maxBufferTimeMs: 10 });
    const good = Array.from({ length: 100 }, (_, i) => normalizeEvent({ type: 'click', ts: T0 + i * 1000, value: 2 }));
    await Promise.all(good.slice(0, 50).map((e) => producer.send(e)));
    await producer.flush();
    const corrupt = encodeAggregatedRecord({ partitionKeyTable: ['p'], explicitHashKeyTable: [], records: [{ partitionKeyIndex: 0, data: serializeEvent(good[0]!) }] });
    corrupt[corrupt.length - 1]! ^= 0xff;
    for (const data of [Buffer.from(`{"type":"click","ts":${T0},"value":"40"}`), Buffer.from('click,7'), corrupt]) {
      await kinesis.send(new PutRecordCommand({ StreamName: STREAM, PartitionKey: 'poison', Data: data }));
    }
    await Promise.all(good.slice(50).map((e) => producer.send(e)));
    await producer.close();
    expect(await clickTotals()).toMatchObject({ count: 100, sum: 200 });

    // Act 1: list
    const listed = await cli('list', '--format', 'json');
    expect(listed.code).toBe(0);
    const entries = listedEntries(listed.text);
    expect(entries.map((e) => e.reason)).toEqual([
      stringMatching(/^invalid event: value:/), // its id is derived, its value is not a number
      stringMatching(/^invalid event: event: not valid JSON/),
      stringMatching(/^corrupt record: kpl record MD5 checksum mismatch/),
    ]);
    expect(entries[1]).toMatchObject({ shardId: 'shardId-000000000000', subSequenceNumber: -1, rawBytes: 7, preview: 'click,7', status: 'pending' });
    expect((await cli('list')).text).toMatch(/#\d+ .* pending {2}shardId-000000000000 {2}seq \d+\n {4}reason: invalid event/);

    // Act 2: redrive with a fix for the first two; the corrupt aggregate is left pending.
    const fix = join(dir, 'fix.mjs');
    writeFileSync(fix, `export default function fix({ json, text }) {
  if (json && typeof json.value === 'string') return { ...json, value: Number(json.value) };
  if (text.startsWith('click,')) return { type: 'click', ts: ${T0}, value: Number(text.split(',')[1]) };
  return null;
}\n`);
    const first = await cli('redrive', '--fix', fix);

    expect(first.code).toBe(1);
    expect(first.text).toMatch(/redriven 2, still pending 1/);
    expect(await clickTotals()).toMatchObject({ count: 102, sum: 247 });
    const after = listedEntries((await cli('list', '--status', 'all', '--format', 'json')).text);
    expect(after.map((e) => e.status)).toEqual(['redriven', 'redriven', 'pending']);

    // Act 3: again, and after a crash that lost the "redriven" marks: nothing counts twice.
    const again = await cli('redrive', '--fix', fix);
    expect(again.text).toMatch(/redriven 0, still pending 1/);
    await new DataApiSession(rds, target).execute(`UPDATE ${TABLES.quarantine} SET status = 'pending'`);
    const replay = await cli('redrive', '--fix', fix);
    expect(replay.text).toMatch(/redriven 2, still pending 1/);
    expect(await clickTotals()).toMatchObject({ count: 102, sum: 247 });
  });

  it('redrives only the entries named by --id, and --dry-run changes nothing', async () => {
    const pending = listedEntries((await cli('list', '--format', 'json')).text);
    expect(pending).toHaveLength(1);

    const dry = await cli('redrive', '--id', String(pending[0]!.id), '--dry-run');
    const other = await cli('redrive', '--id', String(pending[0]!.id + 1000));

    expect(dry.text).toMatch(/would redrive 0, still pending 1/);
    expect(dry.text).toMatch(/not JSON: needs --fix/);
    expect(other.text).toMatch(/redriven 0, still pending 0/);
    expect(listedEntries((await cli('list', '--format', 'json')).text)[0]!.note).toMatch(/^redrive: the fix script left it/);
  });

  it('redrives exactly once even when re-run (or the event resent) long after the dedup horizon', async () => {
    // Prepare: a fresh poison record, redriven once and applied.
    const fix = join(dir, 'fix-value.mjs');
    writeFileSync(fix, 'export default function fix({ json }) { return json ? { ...json, value: Number(json.value) } : null; }\n');
    const before = await clickTotals();
    await kinesis.send(new PutRecordCommand({ StreamName: STREAM, PartitionKey: 'late', Data: Buffer.from(`{"type":"click","ts":${T0},"value":"5"}`) }));
    await runner.waitIdle({ timeoutMs: 60_000 });
    const entry = listedEntries((await cli('list', '--format', 'json')).text).at(-1)!;
    expect(entry.partitionKey).toBe('late');
    expect((await cli('redrive', '--id', String(entry.id), '--fix', fix)).text).toMatch(/redriven 1, still pending 0/);
    expect(await clickTotals()).toMatchObject({ count: before.count + 1, sum: before.sum + 5 });
    const session = new DataApiSession(rds, target);
    const [applied] = await new QuarantineStore(rds, target).list({ ids: [entry.id], status: 'all' });
    expect(applied).toMatchObject({ redriveEventId: stringMatching(/^q-/), appliedAt: anyString() });

    // Act 1: the horizon passes (every remembered id forgotten) and a crash lost the "redriven" mark.
    await session.execute(`DELETE FROM ${TABLES.eventIds}`);
    await session.execute(`UPDATE ${TABLES.quarantine} SET status = 'pending' WHERE id = ${Number(entry.id)}`);
    const rerun = await cli('redrive', '--id', String(entry.id), '--fix', fix);
    // Act 2: a copy of the claimed event reaches the stream again, much later.
    await session.execute(`DELETE FROM ${TABLES.eventIds}`);
    const producer = new KinesisProducer({ client: kinesis, streamName: STREAM, maxBufferTimeMs: 10 });
    await producer.send(normalizeEvent({ id: applied!.redriveEventId!, type: 'click', ts: T0, value: 5 }));
    await producer.close();

    // Assess: the entry is marked without a resend, and the event counted once in all.
    expect(rerun.text).toMatch(/redriven 1, still pending 0/);
    expect(await clickTotals()).toMatchObject({ count: before.count + 1, sum: before.sum + 5 });
    const [done] = await new QuarantineStore(rds, target).list({ ids: [entry.id], status: 'all' });
    expect(done).toMatchObject({ status: 'redriven', note: stringMatching(/applied/) });
  });

  it('refuses an unknown subcommand or a fix script without a default export', async () => {
    const noDefault = join(dir, 'nodefault.mjs');
    writeFileSync(noDefault, 'export const x = 1;\n');

    await expect(cli('purge')).rejects.toThrow(/unknown subcommand "purge"/);
    await expect(cli('redrive', '--fix', noDefault)).rejects.toThrow(/must export a default function/);
    await expect(cli('list', '--status', 'odd')).rejects.toThrow(/--status must be/);
  });
});
