// Event-id dedup in stream time, against the real local Data API and a real PostgreSQL
// (PGlite, or the server DATABASE_URL names): a producer's duplicate is counted once
// however long the database was down, each shard forgets its own ids as its stream
// time moves on, and a duplicate that lands on another shard after a reshard is caught.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import type { Context, KinesisStreamRecord } from 'aws-lambda';
import { encodeAggregatedRecord, normalizeEvent, serializeEvent } from '../core/index.ts';
import type { SluiceEvent } from '../core/index.ts';
import type { DataApiServer } from '../local/index.ts';
import { startDataApiFixture, type DataApiFixture } from './support/dataApiFixture.ts';
import { DataApiSession, fieldNumber, fieldText, TABLES } from '../schema/index.ts';
import { applyBatch, createAggregatorHandler, decodeBatch, validateConfig } from '../consumers/index.ts';
import { queryRollups } from '../query/index.ts';
import { kinesisEvent, kinesisRecord } from './support/kinesisRecords.ts';

const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/dedup-test';
const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
const SHARD_A = 'shardId-000000000000';
const SHARD_B = 'shardId-000000000001';

let fx: DataApiFixture;
let target: DataApiFixture['target'];
let server: DataApiServer;
let client: RDSDataClient;

let seq = 10n ** 55n;
/** A Lambda-shaped Kinesis record; `arrivalMs` is its approximateArrivalTimestamp (stream time). */
function record(events: SluiceEvent[], opts: { shard?: string; partitionKey?: string; arrivalMs: number }): KinesisStreamRecord {
  seq += 1000n;
  const sequenceNumber = seq.toString();
  const data = events.length === 1
    ? serializeEvent(events[0]!)
    : encodeAggregatedRecord({ partitionKeyTable: ['k'], explicitHashKeyTable: [], records: events.map((e) => ({ partitionKeyIndex: 0, data: serializeEvent(e) })) });
  return kinesisRecord({ data, sequenceNumber, partitionKey: opts.partitionKey ?? 'lane-0', shardId: opts.shard ?? SHARD_A, arrivalMs: opts.arrivalMs, streamArn: STREAM_ARN });
}

const batch = kinesisEvent;

function clicks(n: number, prefix: string): SluiceEvent[] {
  return Array.from({ length: n }, (_, i) => normalizeEvent({ id: `${prefix}-${i}`, type: 'click', ts: T0 + i, value: 1 }));
}

async function clickCount(): Promise<number> {
  return (await queryRollups(client, target, { type: 'click', from: T0 - 3600_000, to: T0 + 3600_000 })).totals.count;
}

async function idsOf(shard: string): Promise<number> {
  const rows = await new DataApiSession(client, target).execute(
    `SELECT count(*) FROM ${TABLES.eventIds} WHERE shard_id = :s`, { parameters: [{ name: 's', value: { stringValue: shard } }] },
  );
  return fieldNumber(rows[0]![0])!;
}

beforeAll(async () => {
  fx = await startDataApiFixture('dedup', { statementTimeoutMs: 5000 });
  ({ target, server, client } = fx);
});

afterAll(async () => {
  await fx?.close();
});

beforeEach(async () => {
  await fx.reset();
});

describe('event-id dedup in stream time', () => {
  it('counts a producer duplicate once even when the database was down for longer than the horizon', async () => {
    // Prepare: a 2 s horizon; the original is applied, its duplicate arrived 1 s later.
    const config = validateConfig({ dedupHorizonSeconds: 2 });
    const handler = createAggregatorHandler({
      rdsData: client, ...target, config, pruneIntervalMs: 0,
      retryPolicy: { baseDelayMs: 20, maxDelayMs: 50, reserveMs: 50 },
    });
    const events = clicks(50, 'outage');
    const arrived = Date.now();
    const ctx = { getRemainingTimeInMillis: () => 300 } as unknown as Context;
    expect(await handler(batch([record(events, { arrivalMs: arrived })]), ctx)).toEqual({ batchItemFailures: [] });
    const duplicate = batch([record(events, { partitionKey: 'lane-1', arrivalMs: arrived + 1000 })]);

    // Act: the database resumes for 3.5 s (longer than the horizon); Lambda keeps
    // re-delivering the duplicate's batch until it applies.
    server.faults.resumingFor(3500);
    const failedAt = Date.now();
    let failures = 0;
    while ((await handler(duplicate, ctx)).batchItemFailures.length > 0) failures++;
    const outageMs = Date.now() - failedAt;

    // Assess: the outage did pass the horizon, and the duplicate still counted once.
    expect(failures).toBeGreaterThan(0);
    expect(outageMs).toBeGreaterThan(2000);
    expect(await clickCount()).toBe(50);
  });

  it('forgets a shard\'s ids as that shard\'s stream time moves past the horizon, leaving other shards\' ids and keeping the table bounded', async () => {
    // Prepare: shard B applies once and then stops; shard A advances 60 s of stream time a batch.
    const session = new DataApiSession(client, target);
    const config = validateConfig({ dedupHorizonSeconds: 300 });
    const start = Date.now() - 2 * 3600_000;
    await applyBatch(session, decodeBatch(batch([record(clicks(100, 'b'), { shard: SHARD_B, arrivalMs: start })])), config);

    // Act: 40 batches of 100 events on shard A.
    const sizes: number[] = [];
    let pruned = 0;
    for (let i = 0; i < 40; i++) {
      const arrivalMs = start + i * 60_000;
      const out = await applyBatch(session, decodeBatch(batch([
        record(clicks(50, `a${i}-x`), { arrivalMs }), record(clicks(50, `a${i}-y`), { partitionKey: 'lane-1', arrivalMs: arrivalMs + 500 }),
      ])), config);
      pruned += out.idsPruned;
      sizes.push(await idsOf(SHARD_A));
    }

    // Assess: A holds only ids within 300 s (+ one batch) of its latest stream time;
    // B's ids are all there; everything A applied was counted.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100 * (300 / 60 + 1));
    expect(sizes.at(-1)).toBe(600);
    expect(pruned).toBe(40 * 100 - 600);
    expect(await idsOf(SHARD_B)).toBe(100);
    const oldest = await session.execute(`SELECT (extract(epoch FROM min(arrival)) * 1000)::bigint FROM ${TABLES.eventIds} WHERE shard_id = '${SHARD_A}'`);
    expect(fieldNumber(oldest[0]![0])).toBeGreaterThanOrEqual(start + 39 * 60_000 - 300_000);
    expect(await clickCount()).toBe(40 * 100 + 100);
  });

  it('catches a duplicate that landed on a child shard after a reshard, and the child\'s pruning leaves the parent\'s ids', async () => {
    const session = new DataApiSession(client, target);
    const config = validateConfig({ dedupHorizonSeconds: 900 });
    const events = clicks(30, 'reshard');
    const arrived = Date.now() - 3600_000;
    const parent = 'shardId-000000000007';
    const child = 'shardId-000000000012';

    const first = await applyBatch(session, decodeBatch(batch([record(events, { shard: parent, arrivalMs: arrived })])), config);
    const dup = await applyBatch(session, decodeBatch(batch([record(events, { shard: child, arrivalMs: arrived + 20_000 })])), config);
    // The child moves on, far past the horizon: its prune is its own.
    await applyBatch(session, decodeBatch(batch([record(clicks(5, 'later'), { shard: child, arrivalMs: arrived + 3000_000 })])), config);

    expect(first).toMatchObject({ eventsApplied: 30, eventsDuplicate: 0 });
    expect(dup).toMatchObject({ eventsApplied: 0, eventsDuplicate: 30 });
    expect(await idsOf(parent)).toBe(30);
    expect(await clickCount()).toBe(35);
  });

  it('counts an id once when concurrent batches of one shard (ParallelizationFactor > 1) both carry it', async () => {
    const config = validateConfig({ dedupHorizonSeconds: 900 });
    const events = clicks(200, 'parallel');
    const arrived = Date.now();
    const batches = ['lane-0', 'lane-1', 'lane-2', 'lane-3'].map((partitionKey, i) =>
      decodeBatch(batch([record(events, { partitionKey, arrivalMs: arrived + i * 1000 })])));

    const outcomes = await Promise.all(batches.map((b) => applyBatch(new DataApiSession(client, target), b, config)));

    expect(outcomes.reduce((n, o) => n + o.eventsApplied, 0)).toBe(200);
    expect(outcomes.reduce((n, o) => n + o.eventsDuplicate, 0)).toBe(600);
    expect(await clickCount()).toBe(200);
  });

  it('runs as many statements for a batch of 20,000 events as for one of 100', async () => {
    const session = new DataApiSession(client, target);
    const config = validateConfig({ dedupHorizonSeconds: 900 });
    const arrived = Date.now();
    const small = await applyBatch(session, decodeBatch(batch([record(clicks(100, 'small'), { arrivalMs: arrived })])), config);
    const bigRecords = Array.from({ length: 40 }, (_, i) => record(clicks(500, `big${i}`), { partitionKey: `lane-${i % 16}`, arrivalMs: arrived + i }));

    const big = await applyBatch(session, decodeBatch(batch(bigRecords)), config);

    expect(big.eventsApplied).toBe(20_000);
    expect(big.calls).toBe(small.calls);
  });

  it('stores each id with its record\'s shard and arrival time', async () => {
    const session = new DataApiSession(client, target);
    const arrivalMs = Date.UTC(2026, 10, 28, 9, 30, 15, 123);

    await applyBatch(session, decodeBatch(batch([record(clicks(1, 'stamp'), { shard: SHARD_B, arrivalMs })])), validateConfig({}));

    const rows = await session.execute(`SELECT shard_id, (extract(epoch FROM arrival) * 1000)::bigint FROM ${TABLES.eventIds} WHERE id = 'stamp-0'`);
    expect(fieldText(rows[0]![0])).toBe(SHARD_B);
    expect(fieldNumber(rows[0]![1])).toBe(arrivalMs);
  });
});
