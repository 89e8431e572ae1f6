import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import {
  ArchiveLineEncoder, FIREHOSE, archiveLineText, derivedEventId, encodeAggregatedRecord, encodeCompressedRecord, normalizeEvent, serializeEvent, type SluiceEvent,
  type ArchiveEnvelope,
} from '../core/index.ts';
import { createArchiverHandler, type ArchiverDeps } from '../consumers/index.ts';
import { chunkRecords, packLines } from '../consumers/archiver/index.ts';
import { KinesisServer } from '../local/index.ts';
import { FirehoseServer } from '../local/firehose/index.ts';
import { EventSourceRunner, createLambdaContext } from '../local/runner/index.ts';
import { kinesisRecord as lambdaKinesisRecord } from './support/kinesisRecords.ts';
import { findEmf } from './support/emf.ts';

/** An archived line as JSON: an event and where it sat in the stream, or the archiver's error record. */
type ArchivedLine = ArchiveEnvelope & { event: SluiceEvent; sluiceArchiveError?: Record<string, unknown> };
const parseArchived = (line: string) => JSON.parse(line) as ArchivedLine;

beforeAll(() => {
  // EMF lines on stdout would drown the test output.
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

const closers: (() => Promise<void>)[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function firehose(): Promise<{ server: FirehoseServer; client: FirehoseClient }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-archiver-'));
  dirs.push(dataDir);
  const server = await FirehoseServer.start({
    dataDir,
    deliveryStreams: [{ name: 'archive', bucket: 'sluice-archive' }, { name: 'archive-errors', bucket: 'sluice-archive', prefix: 'errors/' }],
  });
  const client = new FirehoseClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
  closers.push(async () => { client.destroy(); await server.close(); });
  return { server, client };
}

function handlerFor(client: FirehoseClient, extra: Partial<ArchiverDeps> = {}) {
  return createArchiverHandler({ firehose: client, deliveryStreamName: 'archive', retry: { baseDelayMs: 1, maxDelayMs: 5, maxAttempts: 4, reserveMs: 0 }, ...extra });
}

const context = (): Context => createLambdaContext({ functionName: 'archiver', region: 'us-east-1', accountId: '000000000000', timeoutMs: 60_000, memoryLimitInMB: 128 });

function events(n: number, payloadBytes = 0): SluiceEvent[] {
  return Array.from({ length: n }, (_, i) => normalizeEvent({ type: 'click', dims: { page: `p${i % 3}` }, ...(payloadBytes ? { payload: 'x'.repeat(payloadBytes) } : {}) }));
}

/** A Lambda Kinesis record holding `data`, at sequence number 1000 + i. */
function kinesisRecord(data: Buffer, i: number): KinesisStreamRecord {
  return lambdaKinesisRecord({ data, sequenceNumber: String(1000 + i), partitionKey: `pk${i}` });
}

async function archivedLines(server: FirehoseServer): Promise<string[]> {
  await server.flush();
  const text = server.listObjects('sluice-archive').map((o) => FirehoseServer.readObject(o).toString()).join('');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  return text.split('\n').filter(Boolean);
}

describe('archiver consumer', () => {
  it('archives every event of KPL, compressed and plain records exactly once through the runner and Firehose', async () => {
    const kinesisServer = await KinesisServer.start({ streams: [{ name: 'events', shardCount: 2 }], shardWriteLimits: false });
    const kinesis = new KinesisClient({ endpoint: kinesisServer.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    closers.push(() => kinesisServer.close());
    const { server, client } = await firehose();
    const sent = events(3000);
    const records = [];
    for (let i = 0; i < sent.length; i += 100) {
      const group = sent.slice(i, i + 100);
      const agg = { partitionKeyTable: ['k'], explicitHashKeyTable: [], records: group.map((e) => ({ partitionKeyIndex: 0, data: serializeEvent(e) })) };
      const format = (i / 100) % 3;
      if (format === 0) records.push(encodeAggregatedRecord(agg));
      else if (format === 1) records.push(encodeCompressedRecord(agg));
      else records.push(...group.map((e) => serializeEvent(e)));
    }
    for (let i = 0; i < records.length; i += 500) {
      await kinesis.send(new PutRecordsCommand({ StreamName: 'events', Records: records.slice(i, i + 500).map((d, j) => ({ Data: d, PartitionKey: `pk${i + j}` })) }));
    }
    server.faults.failNextRecords(3);
    const runner = new EventSourceRunner({ kinesis, streamName: 'events', functionName: 'archiver', handler: handlerFor(client), batchSize: 50, pollIntervalMs: 200, log: () => {} });
    closers.push(() => runner.stop());

    runner.start();
    await runner.waitIdle();
    const lines = await archivedLines(server);

    const ids = lines.map((l) => (JSON.parse(l) as { event: SluiceEvent }).event.id);
    expect(ids).toHaveLength(sent.length);
    expect(new Set(ids)).toEqual(new Set(sent.map((e) => e.id)));
    expect(runner.stats.errors).toBe(0);
  });

  it('writes each event as its raw JSON inside its Kinesis envelope, one line each, packing lines into records of at most 1,000 KiB', async () => {
    const { server, client } = await firehose();
    const sent = events(12, 200_000);
    const event: KinesisStreamEvent = { Records: sent.map((e, i) => kinesisRecord(serializeEvent(e), i)) };

    const res = await handlerFor(client)(event, context());
    const lines = await archivedLines(server);

    expect(res).toEqual({ batchItemFailures: [] });
    expect(lines).toEqual(event.Records.map((r, i) => archiveLineText({
      shardId: 'shardId-000000000000', sequenceNumber: String(1000 + i), subSequenceNumber: 0, partitionKey: `pk${i}`,
      arrival: new Date(Math.round(r.kinesis.approximateArrivalTimestamp * 1000)).toISOString(),
    }, serializeEvent(sent[i]!).toString()).trimEnd()));
    expect(JSON.parse(lines[3]!)).toMatchObject({ shardId: 'shardId-000000000000', sequenceNumber: '1003', subSequenceNumber: 0, partitionKey: 'pk3', event: sent[3] });
  });

  it('writes every event byte for byte as the producer wrote it, in sluice\'s layout or any other JSON layout', async () => {
    const { server, client } = await firehose();
    const own = [
      normalizeEvent({ type: 'click', dims: { page: 'Zürich', city: '東京' }, payload: { note: 'ü€😀 "quoted" \\ back\tslash', n: [1, 2.5e-7, null] } }),
      normalizeEvent({ type: 'order', value: -0.1, payload: '\u2028' }),
    ].map((e) => serializeEvent(e));
    const foreign = [
      '{"type":"click", "id":"f-1", "ts":1700000000000, "value":3, "dims":{"page":"p"}}',
      '{"id":"f-2","type":"click","ts":"2024-01-01T00:00:00Z","value":1,"payload":{"é":"\\u00e9"}}',
    ].map((t) => Buffer.from(t, 'utf8'));
    const data = [...own, ...foreign];
    const agg = encodeCompressedRecord({ partitionKeyTable: ['k'], explicitHashKeyTable: [], records: data.map((d) => ({ partitionKeyIndex: 0, data: d })) });
    const record = kinesisRecord(agg, 3);

    await handlerFor(client)({ Records: [record] }, context());
    const lines = await archivedLines(server);

    const arrival = new Date(Math.round(record.kinesis.approximateArrivalTimestamp * 1000)).toISOString();
    expect(lines).toEqual(data.map((d, i) => archiveLineText({ shardId: 'shardId-000000000000', sequenceNumber: '1003', subSequenceNumber: i, partitionKey: 'pk3', arrival }, d.toString('utf8')).trimEnd()));
  });

  it('numbers the events of a KPL aggregate by their sub-sequence number', async () => {
    const { server, client } = await firehose();
    const sent = events(3);
    const agg = encodeAggregatedRecord({ partitionKeyTable: ['k'], explicitHashKeyTable: [], records: sent.map((e) => ({ partitionKeyIndex: 0, data: serializeEvent(e) })) });

    await handlerFor(client)({ Records: [kinesisRecord(agg, 7)] }, context());
    const lines = (await archivedLines(server)).map(parseArchived);

    expect(lines.map((l) => [l.sequenceNumber, l.subSequenceNumber, l.partitionKey, l.event.id])).toEqual(sent.map((e, i) => ['1007', i, 'pk7', e.id]));
  });

  it('retries only the entries Firehose failed, so nothing is lost or duplicated', async () => {
    const { server, client } = await firehose();
    const sent = events(10, 250_000); // 4 events per Firehose record: 3 records in one call
    server.faults.failRecordsContaining(sent[4]!.id, 2);
    const event: KinesisStreamEvent = { Records: sent.map((e, i) => kinesisRecord(serializeEvent(e), i)) };

    const res = await handlerFor(client)(event, context());
    const lines = await archivedLines(server);

    expect(res).toEqual({ batchItemFailures: [] });
    expect(lines.map((l) => parseArchived(l).event.id).sort()).toEqual(sent.map((e) => e.id).sort());
    expect(server.listObjects()).toHaveLength(1);
  });

  it('reports the lowest Kinesis record of a Firehose record that keeps failing, and archives everything on re-delivery', async () => {
    const { server, client } = await firehose();
    const sent = events(10, 250_000); // Firehose records: [e0..e3] [e4..e7] [e8 e9]
    server.faults.failRecordsContaining(sent[5]!.id);
    const records = sent.map((e, i) => kinesisRecord(serializeEvent(e), i));
    const handler = handlerFor(client);

    const first = await handler({ Records: records }, context());
    const afterFailure = (await archivedLines(server)).map((l) => parseArchived(l).event.id);
    server.faults.clear();
    const from = records.findIndex((r) => r.kinesis.sequenceNumber === first.batchItemFailures[0]!.itemIdentifier);
    const second = await handler({ Records: records.slice(from) }, context());
    const all = (await archivedLines(server)).map((l) => parseArchived(l).event.id);

    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: '1004' }] });
    expect(afterFailure.slice(0, 4)).toEqual(sent.slice(0, 4).map((e) => e.id));
    expect(afterFailure).not.toContain(sent[5]!.id);
    expect(second).toEqual({ batchItemFailures: [] });
    // At least once, as Firehose itself: only records from the reported one on may repeat.
    expect(new Set(all)).toEqual(new Set(sent.map((e) => e.id)));
    const repeated = all.filter((id, i) => all.indexOf(id) !== i);
    expect(repeated.every((id) => sent.slice(4).some((e) => e.id === id))).toBe(true);
  });

  it('reports the whole batch when Firehose rejects every call', async () => {
    const { server, client } = await firehose();
    server.faults.failNextCalls('PutRecordBatch', 100, 'ServiceUnavailableException', 503);
    const records = events(3).map((e, i) => kinesisRecord(serializeEvent(e), i));

    const res = await handlerFor(client)({ Records: records }, context());

    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: '1000' }] });
    expect(await archivedLines(server)).toEqual([]);
  });

  it('archives a corrupt aggregate and non-JSON data as error lines with their raw bytes, and compacts multi-line JSON', async () => {
    const { server, client } = await firehose();
    const [a, b] = events(2);
    const corrupt = encodeAggregatedRecord({ partitionKeyTable: ['k'], explicitHashKeyTable: [], records: [{ partitionKeyIndex: 0, data: serializeEvent(a!) }] });
    corrupt[corrupt.length - 1]! ^= 0xff;
    const records = [
      kinesisRecord(corrupt, 0),
      kinesisRecord(Buffer.from('not json at all'), 1),
      kinesisRecord(Buffer.from(JSON.stringify(b, null, 2)), 2),
    ];

    const res = await handlerFor(client)({ Records: records }, context());
    const lines = (await archivedLines(server)).map(parseArchived);

    expect(res).toEqual({ batchItemFailures: [] });
    expect(lines).toHaveLength(3);
    expect(lines[0].sluiceArchiveError).toMatchObject({ reason: 'corrupt-aggregate', shardId: 'shardId-000000000000', sequenceNumber: '1000', data: corrupt.toString('base64') });
    expect(lines[1].sluiceArchiveError).toMatchObject({ reason: 'not-json', sequenceNumber: '1001', data: Buffer.from('not json at all').toString('base64') });
    expect(lines[2]).toMatchObject({ sequenceNumber: '1002', event: b });
  });
});

describe('archiver: events from any producer', () => {
  it('writes an event that left id, ts or value out with the values every subscriber derives, naming them in `derived`', async () => {
    const { server, client } = await firehose();
    const [sluiceEvent] = events(1);
    const records = [
      kinesisRecord(Buffer.from('{"type":"cli_event","extra":{"kept":true}}'), 0),
      kinesisRecord(gzipSync('{"type":"gz","id":"g-1","value":2}\n{"type":"gz","id":"g-2","value":3}'), 1),
      kinesisRecord(serializeEvent(sluiceEvent!), 2),
    ];

    const res = await handlerFor(client)({ Records: records }, context());
    const lines = (await archivedLines(server)).map((l) => JSON.parse(l) as { event: unknown });

    expect(res).toEqual({ batchItemFailures: [] });
    const position = (i: number) => ({
      streamArn: records[i]!.eventSourceARN!, shardId: 'shardId-000000000000', partitionKey: `pk${i}`,
      sequenceNumber: records[i]!.kinesis.sequenceNumber, approximateArrivalTimestamp: records[i]!.kinesis.approximateArrivalTimestamp,
    });
    const arrivalMs = (i: number) => Math.round(records[i]!.kinesis.approximateArrivalTimestamp * 1000);
    expect(lines.map((l) => l.event)).toEqual([
      { id: derivedEventId(position(0), 0, 0), type: 'cli_event', extra: { kept: true }, ts: arrivalMs(0), value: 1, derived: ['id', 'ts', 'value'] },
      { id: 'g-1', type: 'gz', ts: arrivalMs(1), value: 2, derived: ['ts'] },
      { id: 'g-2', type: 'gz', ts: arrivalMs(1), value: 3, derived: ['ts'] },
      sluiceEvent,
    ]);
  });
});

describe('archiver error stream', () => {
  it('sends error lines to their own delivery stream when one is given, keeping event lines clean', async () => {
    const { server, client } = await firehose();
    const [a] = events(1);
    const records = [kinesisRecord(Buffer.from('{broken'), 0), kinesisRecord(serializeEvent(a!), 1)];

    const res = await handlerFor(client, { errorDeliveryStreamName: 'archive-errors' })({ Records: records }, context());
    await server.flush();
    const read = (errors: boolean) => server.listObjects('sluice-archive')
      .filter((o) => o.key.startsWith('errors/') === errors)
      .flatMap((o) => FirehoseServer.readObject(o).toString().split('\n').filter(Boolean).map(parseArchived));

    expect(res).toEqual({ batchItemFailures: [] });
    expect(read(false)).toMatchObject([{ sequenceNumber: '1001', event: a }]);
    expect(read(true)).toMatchObject([{ sluiceArchiveError: { reason: 'not-json', sequenceNumber: '1000' } }]);
  });
});

describe('archiver entry and observability', () => {
  it('builds the Lambda handler from the environment the local stack writes', async () => {
    const { server } = await firehose();
    const envDir = mkdtempSync(join(tmpdir(), 'sluice-archiver-env-'));
    dirs.push(envDir);
    const vars: Record<string, string> = {
      AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y',
      AWS_ENDPOINT_URL_FIREHOSE: server.endpoint, SLUICE_DELIVERY_STREAM_NAME: 'archive', SLUICE_DATA_DIR: envDir,
    };
    for (const [k, v] of Object.entries(vars)) vi.stubEnv(k, v);
    closers.push(async () => { vi.unstubAllEnvs(); });
    const [e] = events(1);

    const { handler } = await import('../consumers/archiver/lambda.ts');
    const res = await handler({ Records: [kinesisRecord(serializeEvent(e!), 0)] }, context());

    expect(res).toEqual({ batchItemFailures: [] });
    expect((await archivedLines(server)).map((l) => parseArchived(l).event.id)).toEqual([e!.id]);
  });

  it('publishes EMF metrics for each batch', async () => {
    const { client } = await firehose();
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', undefined);
    const metrics = new Metrics({ namespace: 'sluice', serviceName: 'archiver' });
    vi.unstubAllEnvs();
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => { written.push(String(chunk)); return true; });
    closers.push(async () => { spy.mockRestore(); });

    await handlerFor(client, { metrics })({ Records: events(3).map((e, i) => kinesisRecord(serializeEvent(e), i)) }, context());
    spy.mockRestore();

    const emf = findEmf(written);
    expect(emf).toMatchObject({ RecordsIn: 3, EventsArchived: 3, ErrorLinesArchived: 0, BatchFailures: 0, service: 'archiver' });
    expect(emf!._aws.CloudWatchMetrics[0]!.Namespace).toBe('sluice');
  });
});

describe('archive line bytes', () => {
  const text = fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.string());

  it('ArchiveLineEncoder gives the bytes of archiveLineText for any envelope and one-line event JSON', () => {
    fc.assert(fc.property(
      text, fc.stringMatching(/^\d{1,40}$/), fc.nat(), text, text, fc.jsonValue(), fc.nat({ max: 8 }),
      (shardId, sequenceNumber, subSequenceNumber, partitionKey, arrival, event, pad) => {
        const json = JSON.stringify(event);
        const bytes = Buffer.concat([Buffer.alloc(pad, 0x20), Buffer.from(json, 'utf8'), Buffer.alloc(pad, 0x20)]);

        const line = new ArchiveLineEncoder({ shardId, sequenceNumber, partitionKey, arrival }).line(subSequenceNumber, bytes, pad, bytes.length - pad);

        expect(line).toEqual(Buffer.from(archiveLineText({ shardId, sequenceNumber, subSequenceNumber, partitionKey, arrival }, json), 'utf8'));
      },
    ), { numRuns: 500 });
  });
});

describe('archive packing', () => {
  const line = (n: number, recordIndex: number) => ({ line: Buffer.alloc(n, 0x61), recordIndex });

  it('fills Firehose records with whole lines up to the record limit, keeping the lowest batch position of each', () => {
    const lines = [line(600_000, 0), line(400_000, 1), line(600_000, 2), line(24_000, 3), line(10, 4)];

    const packed = packLines(lines);

    expect(packed.map((p) => p.data.length)).toEqual([1_000_000, 624_010]);
    expect(packed.map((p) => p.firstRecordIndex)).toEqual([0, 2]);
    expect(packed.every((p) => p.data.length <= FIREHOSE.maxRecordBytes)).toBe(true);
  });

  it('chunks records within 500 records and 4 MiB per PutRecordBatch', () => {
    const small = Array.from({ length: 1201 }, () => ({ data: Buffer.alloc(10) }));
    const big = Array.from({ length: 9 }, () => ({ data: Buffer.alloc(FIREHOSE.maxRecordBytes) }));

    expect(chunkRecords(small).map((c) => c.length)).toEqual([500, 500, 201]);
    expect(chunkRecords(big).map((c) => c.length)).toEqual([4, 4, 1]);
  });
});
