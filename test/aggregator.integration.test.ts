// The aggregator against the real local Data API and a real PostgreSQL (PGlite, or
// the server DATABASE_URL names): Lambda-shaped Kinesis batches in, exact rollups out,
// however often a batch is delivered or a Data API call fails.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import type { KinesisStreamEvent, KinesisStreamRecord, Context } from 'aws-lambda';
import { encodeAggregatedRecord, encodeCompressedRecord, serializeEvent, normalizeEvent } from '../core/index.ts';
import type { SluiceEvent } from '../core/index.ts';
import { openDatabase } from '../local/database/index.ts';
import type { SqlDatabase } from '../local/database/index.ts';
import { DataApiServer } from '../local/dataapi/index.ts';
import { migrate, TABLES, DataApiSession, fieldNumber, fieldText } from '../schema/index.ts';
import { createAggregatorHandler, validateConfig } from '../consumers/index.ts';
import { queryRollups } from '../query/index.ts';

const target = {
  resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:agg-test',
  secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:agg-test-AbCdEf',
  database: 'sluice',
};
const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/agg-test';
const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);

let dir: string;
let db: SqlDatabase;
let server: DataApiServer;
let client: RDSDataClient;

function context(remainingMs = 30_000): Context {
  return { getRemainingTimeInMillis: () => remainingMs } as unknown as Context;
}

let seq = 10n ** 55n;
function record(data: Buffer, partitionKey: string, shard = 'shardId-000000000000'): KinesisStreamRecord {
  seq += 1000n;
  const sequenceNumber = seq.toString();
  return {
    kinesis: { kinesisSchemaVersion: '1.0', partitionKey, sequenceNumber, data: data.toString('base64'), approximateArrivalTimestamp: Date.now() / 1000 },
    eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: `${shard}:${sequenceNumber}`, eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/agg', awsRegion: 'us-east-1', eventSourceARN: STREAM_ARN,
  };
}

function batch(records: KinesisStreamRecord[]): KinesisStreamEvent {
  return { Records: records };
}

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
  dir = mkdtempSync(join(tmpdir(), 'sluice-agg-'));
  db = await openDatabase({ dataDir: join(dir, 'pg'), databaseUrl: process.env.DATABASE_URL });
  server = await DataApiServer.start({ database: db, resourceArn: target.resourceArn, secretArn: target.secretArn, databaseName: target.database, statementTimeoutMs: 2000 });
  client = new RDSDataClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  await migrate(client, target);
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  server.faults.clear();
  const s = new DataApiSession(client, target);
  for (const t of [TABLES.rollups, TABLES.checkpoints, TABLES.eventIds, TABLES.quarantine]) await s.execute(`DELETE FROM ${t}`);
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
});
