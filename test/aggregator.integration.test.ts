// The aggregator against the real local Data API and a real PostgreSQL (PGlite, or
// the server DATABASE_URL names): Lambda-shaped Kinesis batches in, exact rollups out,
// however often a batch is delivered or a Data API call fails.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import type { KinesisStreamRecord, Context } from 'aws-lambda';
import { encodeAggregatedRecord, encodeCompressedRecord, serializeEvent, normalizeEvent } from '../core/index.ts';
import type { SluiceEvent } from '../core/index.ts';
import type { DataApiServer } from '../local/index.ts';
import { startDataApiFixture, type DataApiFixture } from './support/dataApiFixture.ts';
import { migrate, TABLES, DataApiSession, fieldNumber, fieldText, StatementRetriedError } from '../schema/index.ts';
import { applyBatch, createAggregatorHandler, decodeBatch, DEFAULT_CONFIG, validateConfig } from '../consumers/index.ts';
import { pruneStatements } from '../consumers/aggregator/index.ts';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { vi } from 'vitest';
import { createRequire } from 'node:module';
import { queryRollups, QuarantineStore } from '../query/index.ts';
import { kinesisEvent, kinesisRecord } from './support/kinesisRecords.ts';
import { anyNumber, arrayContaining } from './support/matchers.ts';
import { findEmf } from './support/emf.ts';

const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/agg-test';
const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

let fx: DataApiFixture;
let target: DataApiFixture['target'];
let server: DataApiServer;
let client: RDSDataClient;

function context(remainingMs = 30_000): Context {
  return { getRemainingTimeInMillis: () => remainingMs } as unknown as Context;
}

let seq = 10n ** 55n;
/** `arrivalMs`: the record's approximateArrivalTimestamp (stream time), default now. */
function record(data: Buffer, partitionKey: string, shard = 'shardId-000000000000', arrivalMs = Date.now()): KinesisStreamRecord {
  seq += 1000n;
  const sequenceNumber = seq.toString();
  return kinesisRecord({ data, sequenceNumber, partitionKey, shardId: shard, arrivalMs, streamArn: STREAM_ARN });
}

const batch = kinesisEvent;

function makeEvents(n: number, types = ['click', 'view', 'buy']): SluiceEvent[] {
  return Array.from({ length: n }, (_, i) => normalizeEvent({
    type: types[i % types.length]!,
    ts: T0 + (i % 5) * 60_000 + (i % 7) * 1000,
    value: (i % 4 === 0) ? 0.1 : i % 13,
    dims: { country: ['DE', 'FR', 'US'][i % 3]!, user: `u${i % 50}` },
  }));
}

function kplRecord(events: SluiceEvent[], compressed = false): Buffer {
  const agg = { partitionKeyTable: ['k'], explicitHashKeyTable: [], records: events.map((e) => ({ partitionKeyIndex: 0, data: serializeEvent(e) })) };
  return compressed ? encodeCompressedRecord(agg) : encodeAggregatedRecord(agg);
}

function expectedTotals(events: SluiceEvent[], type: string) {
  const mine = events.filter((e) => e.type === type);
  // tenths are summed as integers so the expectation itself is exact
  const tenths = mine.reduce((s, e) => s + Math.round(e.value * 10), 0);
  return { count: mine.length, sum: tenths / 10 };
}

async function tableCount(table: string): Promise<number> {
  const rows = await new DataApiSession(client, target).execute(`SELECT count(*) FROM ${table}`);
  return fieldNumber(rows[0]![0])!;
}

beforeAll(async () => {
  fx = await startDataApiFixture('agg-test', { statementTimeoutMs: 2000 });
  ({ target, server, client } = fx);
});

afterAll(async () => {
  await fx?.close();
});

beforeEach(async () => {
  await fx.reset();
});

describe('aggregator handler', () => {
  it('applies plain, KPL and compressed records exactly once across re-deliveries', async () => {
    const events = makeEvents(300);
    const records = [
      ...events.slice(0, 100).map((e) => record(serializeEvent(e), `pk-${e.id}`)),
      record(kplRecord(events.slice(100, 200)), 'agg-1'),
      record(kplRecord(events.slice(200, 300), true), 'agg-2'),
    ];
    const handler = createAggregatorHandler({ rdsData: client, ...target });

    const first = await handler(batch(records), context());
    const again = await handler(batch(records), context());
    const tail = await handler(batch(records.slice(50)), context());

    expect(first.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
    expect(tail.batchItemFailures).toEqual([]);
    for (const type of ['click', 'view', 'buy']) {
      const { totals } = await queryRollups(client, target, { type });
      expect(totals).toMatchObject(expectedTotals(events, type));
    }
  });

  it('reads KPL records made by another KPL producer (aws-kinesis-agg)', async () => {
    const require = createRequire(import.meta.url);
    const agg = require('aws-kinesis-agg') as {
      aggregate(records: { partitionKey: string; data: string }[], handler: (rec: { partitionKey: string; data: Buffer }, cb: () => void) => void,
        done: () => void, onError: (e: Error) => void): void;
    };
    const events = makeEvents(120);
    const encoded: { partitionKey: string; data: Buffer }[] = [];
    await new Promise<void>((resolve, reject) => agg.aggregate(
      events.map((e) => ({ partitionKey: e.id, data: serializeEvent(e).toString('utf8') })),
      (rec, cb) => { encoded.push(rec); cb(); }, resolve, reject,
    ));
    const handler = createAggregatorHandler({ rdsData: client, ...target });

    const res = await handler(batch(encoded.map((r) => record(r.data, r.partitionKey))), context());

    expect(res.batchItemFailures).toEqual([]);
    expect(encoded.length).toBeLessThan(events.length);
    for (const type of ['click', 'view', 'buy']) {
      expect((await queryRollups(client, target, { type })).totals).toMatchObject(expectedTotals(events, type));
    }
    expect(await tableCount(TABLES.quarantine)).toBe(0);
  });

  it('abandons a transaction in which the SDK resent a statement, then applies the batch once', async () => {
    const retrying = new RDSDataClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 3 });
    try {
      const events = makeEvents(30);
      const records = [record(kplRecord(events), 'sdk-retry')];
      server.faults.failNext(1, 'ServiceUnavailableError', { operations: ['ExecuteStatement'] });

      await expect(applyBatch(new DataApiSession(retrying, target), decodeBatch(batch(records)), DEFAULT_CONFIG)).rejects.toThrow(StatementRetriedError);
      expect(await tableCount(TABLES.checkpoints)).toBe(0);
      server.faults.failNext(2, 'ServiceUnavailableError', { operations: ['ExecuteStatement'] });
      const res = await createAggregatorHandler({ rdsData: retrying, ...target, retryPolicy: { baseDelayMs: 10, maxDelayMs: 50, reserveMs: 1000 } })(batch(records), context());

      expect(res.batchItemFailures).toEqual([]);
      for (const type of ['click', 'view', 'buy']) {
        expect((await queryRollups(client, target, { type })).totals).toMatchObject(expectedTotals(events, type));
      }
    } finally {
      retrying.destroy();
    }
  });

  it('skips records its checkpoints show as applied, by sequence number per (shard, partition key)', async () => {
    const events = makeEvents(60);
    const records = events.map((e, i) => record(serializeEvent(e), `pk-${i % 3}`));
    const session = new DataApiSession(client, target);

    const first = await applyBatch(session, decodeBatch(batch(records)), DEFAULT_CONFIG);
    const replay = await applyBatch(session, decodeBatch(batch(records)), DEFAULT_CONFIG);
    const tail = await applyBatch(session, decodeBatch(batch(records.slice(30))), DEFAULT_CONFIG);

    expect(first).toMatchObject({ recordsSkipped: 0, eventsApplied: 60, eventsDuplicate: 0 });
    // skipped by the checkpoint, before the event-id dedup is even asked
    expect(replay).toMatchObject({ recordsSkipped: 60, eventsApplied: 0, eventsDuplicate: 0 });
    expect(tail).toMatchObject({ recordsSkipped: 30, eventsApplied: 0, eventsDuplicate: 0 });
    const cps = await session.execute(`SELECT partition_key, sequence_number::text FROM ${TABLES.checkpoints} ORDER BY partition_key`);
    expect(cps.map((r) => [fieldText(r[0]), fieldText(r[1])])).toEqual([0, 1, 2].map((k) => [
      `pk-${k}`, records.filter((_, i) => i % 3 === k).at(-1)!.kinesis.sequenceNumber,
    ]));
  });

  it('orders sequence numbers numerically, not as text', async () => {
    const session = new DataApiSession(client, target);
    const ev = makeEvents(2);
    const at = (seq: string, e: SluiceEvent) => {
      const r = record(serializeEvent(e), 'same-key');
      r.kinesis.sequenceNumber = seq;
      r.eventID = `shardId-000000000000:${seq}`;
      return r;
    };

    await applyBatch(session, decodeBatch(batch([at('9', ev[0]!)])), DEFAULT_CONFIG);
    const later = await applyBatch(session, decodeBatch(batch([at('10', ev[1]!)])), DEFAULT_CONFIG);

    // "10" < "9" as text; a text comparison would skip the later record
    expect(later).toMatchObject({ recordsSkipped: 0, eventsApplied: 1 });
  });

  it('counts an event id once when its copies arrive within the horizon of each other (stream time), and again when further apart', async () => {
    const session = new DataApiSession(client, target);
    const config = validateConfig({ dedupHorizonSeconds: 3600 });
    const events = makeEvents(20);
    const arrived = Date.now() - 3 * 3600_000;
    const copy = (arrivalMs: number) => batch(events.map((e) => record(serializeEvent(e), 'retrying-producer', undefined, arrivalMs)));

    const first = await applyBatch(session, decodeBatch(copy(arrived)), config);
    const retried = await applyBatch(session, decodeBatch(copy(arrived + 3600_000)), config);
    const late = await applyBatch(session, decodeBatch(copy(arrived + 3600_000 + 7200_000)), config);

    expect(first).toMatchObject({ eventsApplied: 20, eventsDuplicate: 0 });
    expect(retried).toMatchObject({ recordsSkipped: 0, eventsApplied: 0, eventsDuplicate: 20 });
    expect(late).toMatchObject({ eventsApplied: 20, eventsDuplicate: 0 });
  });

  it('splits a batch whose rollup rows pass the 4 MiB request limit into several statements, in one transaction', async () => {
    const config = validateConfig({ rollups: [{ name: 'by_item', groupBy: ['item'], windows: [60, 3600] }] });
    const events = Array.from({ length: 20_000 }, (_, i) => normalizeEvent({
      type: 'wide', ts: T0, value: 1, dims: { item: `item-${i}-${'x'.repeat(60)}` },
    }));
    const records = [];
    for (let i = 0; i < events.length; i += 500) records.push(record(kplRecord(events.slice(i, i + 500)), `wide-${i}`));
    const session = new DataApiSession(client, target);

    const outcome = await applyBatch(session, decodeBatch(batch(records)), config);

    expect(outcome.rollupRows).toBe(40_000);
    expect(outcome.calls).toBeGreaterThan(6);
    const { totals } = await queryRollups(client, target, { type: 'wide', config, window: 3600 });
    expect(totals.count).toBe(20_000);
    expect(await tableCount(TABLES.rollups)).toBe(40_000);
  });

  it('quarantines a poison record larger than one Data API request, whole', async () => {
    // A stream can allow records up to 10 MiB; this one is 5 MiB of garbage.
    const raw = Buffer.alloc(5 * 1024 * 1024, 0x7a);
    raw.write('{"broken":', 0);
    const events = makeEvents(5);
    const records = [record(kplRecord(events), 'big'), record(raw, 'big')];

    const res = await createAggregatorHandler({ rdsData: client, ...target })(batch(records), context());

    expect(res.batchItemFailures).toEqual([]);
    const store = new QuarantineStore(client, target);
    const [entry] = await store.list();
    expect(entry).toMatchObject({ rawBytes: raw.length, subSequenceNumber: -1 });
    expect((await store.readRaw(entry!.id, entry!.rawBytes)).equals(raw)).toBe(true);
  });

  it('publishes EMF metrics per batch', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const metrics = new Metrics({ namespace: 'sluice-test', serviceName: 'aggregator' });
      const handler = createAggregatorHandler({ rdsData: client, ...target, metrics });
      const events = makeEvents(10);

      await handler(batch([record(kplRecord(events), 'm'), record(Buffer.from('junk'), 'm')]), context());
    } finally {
      spy.mockRestore();
    }

    const emf = findEmf(lines);
    expect(emf).toMatchObject({ EventsIn: 11, EventsApplied: 10, EventsQuarantined: 1, RollupRowsWritten: anyNumber() });
    expect(emf!._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name)).toEqual(arrayContaining([
      'EventsIn', 'EventsQuarantined', 'RollupRowsWritten', 'DataApiCalls', 'DataApiLatency', 'EventsPerStatement', 'BatchLag',
    ]));
  });
});

describe('housekeeping', () => {
  it('forgets record identities and ids of shards that stopped advancing after the retention, v1 ids after a day, stale checkpoints, and nothing newer', async () => {
    const session = new DataApiSession(client, target);
    // Ids a client supplied: those keep a row each.
    const events = makeEvents(10).map((e) => ({ ...e, idOrigin: 'client' as const }));
    const closedParent = events.slice(0, 4).map((e, i) => record(serializeEvent(e), `hk-${i}`, 'shardId-000000000001', Date.now() - 3 * 86_400_000));
    const live = events.slice(4).map((e, i) => record(serializeEvent(e), `hk-${i + 4}`, 'shardId-000000000002'));
    await applyBatch(session, decodeBatch(batch(closedParent)), DEFAULT_CONFIG);
    await applyBatch(session, decodeBatch(batch(live)), DEFAULT_CONFIG);
    // Rows as schema v1 wrote them: no shard, no arrival; two older than a day.
    await session.execute(`INSERT INTO ${TABLES.eventIds} (id, seen_at) VALUES ('v1-old-a', now() - interval '25 hours'),
      ('v1-old-b', now() - interval '30 hours'), ('v1-recent', now() - interval '2 hours')`);
    await session.execute(`UPDATE ${TABLES.checkpoints} SET updated_at = now() - interval '3 days' WHERE partition_key IN ('hk-0', 'hk-1')`);

    for (const st of pruneStatements(2 * 86_400)) await session.execute(st.sql, { parameters: st.parameters });

    const left = await session.execute(`SELECT id FROM ${TABLES.eventIds} ORDER BY id`);
    expect(left.map((r) => fieldText(r[0]))).toEqual([...events.slice(4).map((e) => e.id), 'v1-recent'].sort());
    const identities = await session.execute(`SELECT shard_id FROM ${TABLES.recordIds}`);
    expect(identities.map((r) => fieldText(r[0]))).toEqual(Array(6).fill('shardId-000000000002'));
    expect(await tableCount(TABLES.checkpoints)).toBe(8);
  });
});

describe('migrate', () => {
  it('applies each migration once, even when several processes run it at the same time', async () => {
    const fresh = await startDataApiFixture('migrate-fresh', { migrate: false });
    const c = fresh.client;
    const target = fresh.target;
    try {
      const results = await Promise.all([migrate(c, target), migrate(c, target), migrate(c, target)]);
      const again = await migrate(c, target);

      expect(results.flatMap((r) => r.applied)).toEqual(['001_initial', '002_event_ids_stream_time', '003_hll_aggregate', '004_record_ids', '005_drop_hll_aggregate']);
      expect(again.applied).toEqual([]);
      const rows = await new DataApiSession(c, target).execute(`SELECT count(*) FROM ${TABLES.rollups}`);
      expect(fieldNumber(rows[0]![0])).toBe(0);
    } finally {
      await fresh.close();
    }
  });
});
