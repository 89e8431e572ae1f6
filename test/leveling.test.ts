// Leveling for real: duplicates are caught per Kinesis record (one row per record),
// only ids a client supplied keep a row each, and the database never sees more
// writers than the cap. Everything runs on the real pipeline: the local Kinesis
// server, the event source runner, the aggregator handler, the local Data API and
// PostgreSQL (PGlite, or the server DATABASE_URL names). Each test ends with exact
// totals and a dedup table bounded by what it sent.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  DescribeStreamCommand, PutRecordsCommand, SplitShardCommand, waitUntilStreamExists, type KinesisClient, type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { encodeAggregatedRecord, normalizeEvent, parseEvent, serializeEvent, type EventInput, type SluiceEvent } from '../core/index.ts';
import type { KinesisServer } from '../local/index.ts';
import type { DataApiServer } from '../local/index.ts';
import { EventSourceRunner } from '../local/runner/index.ts';
import { KinesisProducer, ShardPacker, createIngestHandler, loadShardMap, splitPutBatches, type PutEntry } from '../producers/index.ts';
import { DataApiSession, fieldNumber, loadMigrations, migrate, TABLES } from '../schema/index.ts';
import { applyBatch, createAggregatorHandler, decodeBatch, DEFAULT_CONFIG } from '../consumers/index.ts';
import { queryRollups } from '../query/index.ts';
import { startDataApiFixture, type DataApiFixture } from './support/dataApiFixture.ts';
import {
  PIPELINE_T0, PIPELINE_TYPES, pipelineInputs, startPipelineFixture, totalsOf, type AggregatorRunnerOptions, type PipelineFixture,
} from './support/pipelineFixture.ts';
import { kinesisRecord } from './support/kinesisRecords.ts';
import { kplVectors } from './support/sharedVectors.ts';

const TYPES = PIPELINE_TYPES;
const T0 = PIPELINE_T0;

let pipeline: PipelineFixture;
let fx: DataApiFixture;
let target: DataApiFixture['target'];
let dataApi: DataApiServer;
let kinesisServer: KinesisServer;
let kinesis: KinesisClient;
let streamNo = 0;

beforeAll(async () => {
  // No SDK retries: the producer's own resend is what is under test.
  pipeline = await startPipelineFixture('leveling', { statementTimeoutMs: 5000, kinesisMaxAttempts: 1 });
  ({ data: fx, kinesisServer, kinesis } = pipeline);
  ({ target, server: dataApi } = fx);
});

afterAll(async () => {
  await pipeline?.close();
});

beforeEach(async () => {
  await pipeline.reset();
});

/** Events without ids: the producer generates them. */
const makeInputs = pipelineInputs();

async function expectTotals(events: { type: string; value?: number }[]): Promise<void> {
  const want = totalsOf(events);
  expect(await pipeline.rollupTotals(Object.keys(want))).toEqual(want);
}

/** Rows of the dedup tables: record identities, and event ids (client ids only). */
async function dedupRows(): Promise<{ records: number; events: number }> {
  const s = new DataApiSession(fx.client, target);
  const count = async (t: string) => fieldNumber((await s.execute(`SELECT count(*) FROM ${t}`))[0]![0])!;
  return { records: await count(TABLES.recordIds), events: await count(TABLES.eventIds) };
}

async function createStream(shards: number): Promise<string> {
  streamNo++;
  return pipeline.createStream(shards);
}

const startRunner = (streamName: string, opts?: AggregatorRunnerOptions) => pipeline.startAggregatorRunner(streamName, opts);

/** sluice's packing (ShardPacker) of `inputs`: the events as sent, and the PutRecords entries. */
async function pack(streamName: string, inputs: EventInput[]): Promise<{ events: SluiceEvent[]; entries: PutEntry<string>[] }> {
  // Small aggregates, so a few thousand events make dozens of records.
  const packer = new ShardPacker(await loadShardMap(kinesis, { StreamName: streamName }), { compression: false, maxAggregateBytes: 8192 });
  for (const e of inputs) packer.add(e);
  const entries = packer.takeAll();
  const events = entries.flatMap((e) => decodeBatch({ Records: [lambdaRecord(e.Data)] }).flatMap((r) => r.events.map((ev) => ({ ...ev } as SluiceEvent))));
  return { events, entries };
}

async function putAll(streamName: string, entries: readonly PutRecordsRequestEntry[]): Promise<void> {
  for (const call of splitPutBatches(entries.map((e) => ({ ...e, size: (e.Data?.length ?? 0) + (e.PartitionKey?.length ?? 0) })))) {
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: call.map(({ Data, PartitionKey, ExplicitHashKey }) => ({ Data, PartitionKey, ExplicitHashKey })) }));
    expect(out.FailedRecordCount ?? 0).toBe(0);
  }
}

function lambdaRecord(data: Uint8Array) {
  return kinesisRecord({ data, sequenceNumber: '1', partitionKey: 'k', arrivalMs: T0 });
}

describe('a Kinesis record written twice counts once, at one row per record', () => {
  it('catches the same aggregates put twice by sluice\'s packing, and keeps no row per producer-generated id', async () => {
    const streamName = await createStream(2);
    const runner = startRunner(streamName);
    try {
      const { events, entries } = await pack(streamName, makeInputs(3000));

      await putAll(streamName, entries);
      await putAll(streamName, entries); // a producer retrying every call whose answer it lost
      await runner.waitIdle({ timeoutMs: 90_000 });

      expect(runner.stats.records).toBe(2 * entries.length);
      await expectTotals(events);
      expect(await dedupRows()).toEqual({ records: entries.length, events: 0 });
    } finally {
      await runner.stop();
    }
  });

  it('catches aggregates put twice by aws-kinesis-agg (the shared vectors), quarantining a bad sub-record once', async () => {
    const aggregated = kplVectors().filter((c) => c.userRecords !== null && c.name !== 'plain-not-aggregated');
    // The vectors' events carry ids of their own (a client's), reused across cases:
    // the first copy of each id counts.
    const events = new Map<string, SluiceEvent>();
    let poison = 0;
    for (const c of aggregated) {
      for (const u of c.userRecords!) {
        try {
          const e = parseEvent(JSON.parse(Buffer.from(u.data, 'base64').toString('utf8')));
          if (!events.has(e.id)) events.set(e.id, e);
        } catch {
          poison++;
        }
      }
    }
    const streamName = await createStream(1);
    const runner = startRunner(streamName);
    try {
      const entries = aggregated.map((c) => ({ Data: Buffer.from(c.aggregated, 'base64'), PartitionKey: c.outerPartitionKey }));

      await putAll(streamName, entries);
      await putAll(streamName, entries);
      await runner.waitIdle({ timeoutMs: 60_000 });

      expect(events.size).toBeGreaterThan(20);
      expect(poison).toBeGreaterThan(0);
      await expectTotals([...events.values()]);
      expect(await dedupRows()).toEqual({ records: entries.length, events: events.size });
      const quarantined = await new DataApiSession(fx.client, target).execute(`SELECT count(*) FROM ${TABLES.quarantine}`);
      expect(fieldNumber(quarantined[0]![0])).toBe(poison);
    } finally {
      await runner.stop();
    }
  });

  it('catches a record put again after a reshard, when it lands on a child shard', async () => {
    const streamName = await createStream(1);
    const runner = startRunner(streamName);
    try {
      const { events, entries } = await pack(streamName, makeInputs(1000));
      await putAll(streamName, entries);
      await runner.waitIdle({ timeoutMs: 60_000 });

      const parent = (await kinesis.send(new DescribeStreamCommand({ StreamName: streamName }))).StreamDescription!.Shards![0]!;
      await kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: parent.ShardId!, NewStartingHashKey: (2n ** 127n).toString() }));
      await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30 }, { StreamName: streamName });
      await putAll(streamName, entries);
      await runner.waitIdle({ timeoutMs: 60_000 });

      const shards = Object.keys(runner.stats.shards);
      expect(shards.length).toBe(3);
      expect(runner.stats.records).toBe(2 * entries.length);
      await expectTotals(events);
      expect(await dedupRows()).toEqual({ records: entries.length, events: 0 });
    } finally {
      await runner.stop();
    }
  });

  it('counts events once when PutRecords answers are lost: the producer resends the same records, not repacked ones', async () => {
    const streamName = await createStream(2);
    const runner = startRunner(streamName);
    const producer = new KinesisProducer({ client: kinesis, streamName, maxBufferTimeMs: 20, backoff: { baseMs: 20, maxMs: 100 } });
    try {
      const inputs = makeInputs(2000);
      kinesisServer.faults.loseNextResponses('PutRecords', 2);

      const results = await producer.sendBatch(inputs.map((event) => ({ event })));
      await producer.flush();
      await runner.waitIdle({ timeoutMs: 90_000 });

      expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
      expect(kinesisServer.faults.pending().lostResponses).toBe(0);
      expect(producer.metrics.recordsResent).toBeGreaterThan(0);
      // The stream holds the lost calls' records twice; each was applied once.
      expect(runner.stats.records).toBeGreaterThan(producer.metrics.kinesisRecords);
      await expectTotals(inputs);
      expect(await dedupRows()).toEqual({ records: producer.metrics.kinesisRecords, events: 0 });
    } finally {
      await producer.close();
      await runner.stop();
    }
  });
});

describe('client idempotency, at a row per client id', () => {
  it('counts an event whose id the client gave once when it is sent again in another request', async () => {
    const streamName = await createStream(2);
    const runner = startRunner(streamName);
    const producer = new KinesisProducer({ client: kinesis, streamName, maxBufferTimeMs: 10 });
    const ingest = http.createServer(createIngestHandler(producer));
    await new Promise<void>((ok) => ingest.listen(0, '127.0.0.1', () => ok()));
    const url = `http://127.0.0.1:${(ingest.address() as AddressInfo).port}/v1/events`;
    try {
      const withIds = makeInputs(300).map((e, i) => ({ ...e, id: `order-${streamNo}-${i}` }));
      const withoutIds = makeInputs(200);
      const post = async (body: unknown[]) => {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
        expect(res.status).toBe(200);
      };

      await post([...withIds, ...withoutIds]);
      await post(withIds.slice(0, 150)); // the client retries half of them in a new request
      await runner.waitIdle({ timeoutMs: 60_000 });

      await expectTotals([...withIds, ...withoutIds]);
      expect(await dedupRows()).toEqual({ records: producer.metrics.kinesisRecords, events: withIds.length });
    } finally {
      await new Promise<void>((ok) => ingest.close(() => ok()));
      await producer.close();
      await runner.stop();
    }
  });

  it('never counts a producer-generated id as a copy of a client id, and keeps no row for it', async () => {
    const streamName = await createStream(1);
    const runner = startRunner(streamName);
    try {
      const clientEvent = normalizeEvent({ id: '0191e6c4-0000-7000-8000-000000000001', type: 'click', ts: T0, value: 2 });
      // The same id, generated by a producer (idOrigin producer on the wire): another event.
      const producerEvent = { ...clientEvent, idOrigin: 'producer' as const, value: 5 };
      const aggregate = (e: SluiceEvent) => encodeAggregatedRecord({ partitionKeyTable: ['k'], explicitHashKeyTable: [], records: [{ partitionKeyIndex: 0, data: serializeEvent(e) }] });

      await putAll(streamName, [{ Data: aggregate(clientEvent), PartitionKey: 'a' }]);
      await runner.waitIdle({ timeoutMs: 30_000 });
      await putAll(streamName, [{ Data: aggregate(producerEvent), PartitionKey: 'a' }]);
      await runner.waitIdle({ timeoutMs: 30_000 });

      await expectTotals([clientEvent, producerEvent]);
      expect(await dedupRows()).toEqual({ records: 2, events: 1 });
    } finally {
      await runner.stop();
    }
  });
});

describe('re-deliveries, replays and parallel batches', () => {
  it('stays exact with ParallelizationFactor 4, lost commit answers and lost PutRecords answers', async () => {
    const streamName = await createStream(2);
    const runner = startRunner(streamName, { parallelizationFactor: 4, batchSize: 5 });
    const producer = new KinesisProducer({ client: kinesis, streamName, maxBufferTimeMs: 5, maxAggregateBytes: 4096, backoff: { baseMs: 20, maxMs: 100 } });
    try {
      const inputs = makeInputs(3000);
      kinesisServer.faults.loseNextResponses('PutRecords', 2);
      dataApi.faults.dropResponseAfterCommit(2, { mode: 'hangup' });

      const results = await producer.sendBatch(inputs.map((event) => ({ event })));
      await producer.flush();
      await runner.waitIdle({ timeoutMs: 90_000 });

      expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
      expect(runner.stats.invocations).toBeGreaterThan(20);
      await expectTotals(inputs);
      expect(await dedupRows()).toEqual({ records: producer.metrics.kinesisRecords, events: 0 });
    } finally {
      await producer.close();
      await runner.stop();
    }
  });

  it('goes on after a kill -9 between the database commit and the runner\'s checkpoint, counting each event once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-leveling-kill-'));
    // One shard: no other invocation is mid-transaction when the process dies (a
    // transaction cut off that way holds its locks until the Data API's idle timeout).
    const streamName = await createStream(1);
    let runner: EventSourceRunner | undefined;
    try {
      const { events, entries } = await pack(streamName, makeInputs(2000));
      await putAll(streamName, entries);
      const checkpointPath = join(dir, 'agg.json');
      // A runner in a child process whose handler SIGKILLs its own process right after
      // its third batch committed: the runner never writes that batch's checkpoint.
      const script = join(dir, 'runner.mts');
      writeFileSync(script, `import { createRequire } from 'node:module';
import { EventSourceRunner } from ${JSON.stringify(resolve('local/runner/index.ts'))};
import { createAggregatorHandler } from ${JSON.stringify(resolve('consumers/index.ts'))};
const require = createRequire(${JSON.stringify(resolve('package.json'))});
const { KinesisClient } = require('@aws-sdk/client-kinesis');
const { RDSDataClient } = require('@aws-sdk/client-rds-data');
const creds = { accessKeyId: 'x', secretAccessKey: 'y' };
const kinesis = new KinesisClient({ endpoint: ${JSON.stringify(kinesisServer.endpoint)}, region: 'us-east-1', credentials: creds });
const rdsData = new RDSDataClient({ endpoint: ${JSON.stringify(dataApi.endpoint)}, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
const handler = createAggregatorHandler({ rdsData, ...${JSON.stringify(target)} });
let batches = 0;
const runner = new EventSourceRunner({
  kinesis, streamName: ${JSON.stringify(streamName)}, functionName: 'agg', batchSize: 3, pollIntervalMs: 200, checkpointPath: ${JSON.stringify(checkpointPath)},
  log: () => {},
  handler: async (event, context) => {
    const response = await handler(event, context);
    if (++batches === 3) process.kill(process.pid, 'SIGKILL');
    return response;
  },
});
runner.start();
`);
      const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'WARN' } });
      const signal = await new Promise<NodeJS.Signals | null>((ok) => child.once('exit', (_code, sig) => ok(sig)));
      expect(signal).toBe('SIGKILL');
      const applied = await pipeline.rollupTotals(TYPES);
      expect(Object.values(applied).reduce((n, t) => n + t.count, 0)).toBeGreaterThan(0);

      runner = new EventSourceRunner({
        kinesis, streamName, functionName: 'agg', batchSize: 3, pollIntervalMs: 200, checkpointPath, log: () => {},
        handler: createAggregatorHandler({ rdsData: fx.client, ...target }),
      });
      runner.start();
      await runner.waitIdle({ timeoutMs: 90_000 });

      await expectTotals(events);
      expect(await dedupRows()).toEqual({ records: entries.length, events: 0 });
    } finally {
      await runner?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a cap on database writers', () => {
  it('never has more than 2 transactions open with 16 shards and the cap at 2 (counted in the Data API)', async () => {
    const streamName = await createStream(16);
    const runner = startRunner(streamName, { maxConcurrentInvocations: 2, batchSize: 10 });
    const producer = new KinesisProducer({ client: kinesis, streamName, maxBufferTimeMs: 5, maxAggregateBytes: 2048 });
    try {
      const inputs = makeInputs(4000);

      const results = await producer.sendBatch(inputs.map((event) => ({ event })));
      await producer.flush();
      await runner.waitIdle({ timeoutMs: 120_000 });

      expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
      expect(Object.keys(runner.stats.shards)).toHaveLength(16);
      // Shards did compete for the two slots, and the database saw two writers at most.
      expect(runner.stats.throttledInvocations).toBeGreaterThan(0);
      expect(runner.stats.peakConcurrentInvocations).toBe(2);
      expect(dataApi.transactionCounts.peakOpen).toBeLessThanOrEqual(2);
      expect(dataApi.transactionCounts.begun).toBeGreaterThanOrEqual(16);
      await expectTotals(inputs);
      expect(await dedupRows()).toEqual({ records: producer.metrics.kinesisRecords, events: 0 });
    } finally {
      await producer.close();
      await runner.stop();
    }
  });
});

describe('the upgrade migration', () => {
  it('keeps the totals of a database written before it, and its event ids still catch copies of old records', async () => {
    const old = await startDataApiFixture('leveling-upgrade', { migrate: false });
    try {
      const session = new DataApiSession(old.client, old.target);
      const before = loadMigrations().filter((m) => m.name < '004');
      await migrate(old.client, old.target, { migrations: before });
      // As the v2 aggregator left it: 40 events applied from one record (events with
      // ids and no idOrigin, as the old producer wrote them), their ids stored with
      // the record's shard and arrival, the checkpoint moved.
      const oldEvents = Array.from({ length: 40 }, (_, i) => ({ id: `0191e6c4-0000-7000-8000-${String(i).padStart(12, '0')}`, type: 'click', ts: T0 + i * 1000, value: (i % 7) - 2 }));
      const oldRecord = Buffer.from(encodeAggregatedRecord({
        partitionKeyTable: ['k'], explicitHashKeyTable: [], records: oldEvents.map((e) => ({ partitionKeyIndex: 0, data: Buffer.from(JSON.stringify(e)) })),
      }));
      const arrival = Date.now() - 60_000;
      const record = (sequenceNumber: string, partitionKey: string, data: Buffer, arrivalMs: number) =>
        kinesisRecord({ data, sequenceNumber, partitionKey, arrivalMs, streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/old' });
      const sum = oldEvents.reduce((s, e) => s + e.value, 0);
      await session.execute(`INSERT INTO ${TABLES.rollups} (rollup, window_s, event_type, bucket, dim_key, dims, count, sum, min, max)
        VALUES ('by_type', 60, 'click', to_timestamp(${T0 / 1000}), '[]', '{}', 40, ${sum}, -2, 4)`);
      await session.execute(`INSERT INTO ${TABLES.checkpoints} (stream_arn, shard_id, partition_key, sequence_number)
        VALUES ('arn:aws:kinesis:us-east-1:000000000000:stream/old', 'shardId-000000000000', 'lane-0', 100)`);
      for (const e of oldEvents) {
        await session.execute(`INSERT INTO ${TABLES.eventIds} (id, shard_id, arrival) VALUES ('${e.id}', 'shardId-000000000000', to_timestamp(${arrival / 1000}))`);
      }

      const { applied } = await migrate(old.client, old.target);
      const handler = createAggregatorHandler({ rdsData: old.client, ...old.target });
      const context = { getRemainingTimeInMillis: () => 30_000 } as never;
      // Lambda re-delivers the old record, and the old producer's retry wrote it again
      // under a new sequence number; then a new event arrives.
      const newEvent = normalizeEvent({ type: 'click', ts: T0, value: 10 });
      const newRecord = encodeAggregatedRecord({ partitionKeyTable: ['k'], explicitHashKeyTable: [], records: [{ partitionKeyIndex: 0, data: serializeEvent(newEvent) }] });
      await handler({ Records: [record('100', 'lane-0', oldRecord, arrival), record('150', 'lane-1', oldRecord, arrival + 2000), record('160', 'lane-1', newRecord, arrival + 3000)] }, context);

      expect(applied).toEqual(['004_record_ids', '005_drop_hll_aggregate']);
      const { totals } = await queryRollups(old.client, old.target, { type: 'click' });
      expect(totals).toMatchObject({ count: 41, sum: sum + 10 });
      const count = async (t: string) => fieldNumber((await session.execute(`SELECT count(*) FROM ${t}`))[0]![0])!;
      expect({ records: await count(TABLES.recordIds), events: await count(TABLES.eventIds) }).toEqual({ records: 2, events: 40 });
      // And an outcome of the same batch applied by applyBatch directly changes nothing more.
      const again = await applyBatch(session, decodeBatch({ Records: [record('160', 'lane-1', newRecord, arrival + 3000)] }), DEFAULT_CONFIG);
      expect(again).toMatchObject({ recordsSkipped: 1, eventsApplied: 0 });
    } finally {
      await old.close();
    }
  });
});
