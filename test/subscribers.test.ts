// Subscribers added by configuration, against the whole local stack: every event sent
// reaches them with its position, a failure they return is re-delivered from its
// record, a poison record reaches the quarantine, a restart resumes where it was,
// and a subscriber that crashes (throws, times out, cannot load) leaves the aggregator exact.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KinesisClient, PutRecordCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { ENV, awsClientConfig } from '../core/index.ts';
import { KinesisProducer } from '../producers/index.ts';
import { QuarantineStore, queryRollups } from '../query/index.ts';
import { defineSubscriber, validateConfig, type SubscriberEvent } from '../consumers/index.ts';
import { startStack, type LocalStack, type OnFailureRecord } from '../local/index.ts';
import { expectedMinuteRollups, makeEvents } from './support/events.ts';
import { scratchDatabaseUrl, type ScratchDatabase } from './support/database.ts';
import { until } from './support/processes.ts';

/** An event as any producer writes it: its JSON. */
const json = (e: object) => Buffer.from(JSON.stringify(e));

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/subscribers/${name}`, import.meta.url));

interface Delivery { batch: number; threw: boolean; events: { id: string; type: string; shardId: string; sequenceNumber: string; subSequenceNumber: number }[] }

describe('subscribers registered in the configuration, on the local stack', () => {
  let stack: LocalStack;
  let scratch: ScratchDatabase | undefined;
  let dataDir: string;
  let recordDir: string;
  let kinesis: KinesisClient;
  let rdsData: RDSDataClient;
  const target = () => ({ resourceArn: stack.env[ENV.dbClusterArn]!, secretArn: stack.env[ENV.dbSecretArn]!, database: stack.env[ENV.dbName]! });
  const config = () => validateConfig({
    subscribers: [
      { name: 'recorder', handler: fixture('recorder.ts'), environment: { RECORD_DIR: recordDir }, batchSize: 200 },
      { name: 'crasher', handler: fixture('crasher.ts'), functionTimeoutSeconds: 2 },
      // The same file under another name: bisects, retries once, then gives up to its on-failure destination.
      { name: 'bisector', handler: fixture('recorder.ts'), environment: { RECORD_DIR: recordDir, THROW_ON_REQUEST: 'true' }, maximumRetryAttempts: 1, bisectBatchOnFunctionError: true },
      { name: 'broken', handler: fixture('broken.ts') },
      { name: 'exiter', handler: fixture('exiter.ts') },
    ],
  });
  const start = async () => {
    stack = await startStack({ dataDir, config: config(), ...(scratch ? { databaseUrl: scratch.url } : {}), runnerOverrides: { retryBaseDelayMs: 20, retryMaxDelayMs: 500 } });
    kinesis = new KinesisClient(awsClientConfig(stack.env, 'kinesis'));
    rdsData = new RDSDataClient(awsClientConfig(stack.env, 'rdsData'));
  };
  const stop = async () => {
    kinesis.destroy();
    rdsData.destroy();
    await stack.stop();
  };
  const deliveries = (name = 'recorder'): Delivery[] => {
    const file = join(recordDir, `${name}.ndjson`);
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Delivery) : [];
  };
  const plainRecord = (e: object, partitionKey: string) => ({ Data: json(e), PartitionKey: partitionKey });

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    // The crasher fails on purpose, thousands of times: its error logs would bury the output.
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-subscribers-'));
    recordDir = mkdtempSync(join(tmpdir(), 'sluice-subscribers-records-'));
    scratch = await scratchDatabaseUrl();
    await start();
  });
  afterAll(async () => {
    await stop();
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(recordDir, { recursive: true, force: true });
  });

  it('runs every registered subscriber but the one that cannot load, and says why', () => {
    expect(Object.keys(stack.runners).sort()).toEqual(['aggregator', 'archiver', 'bisector', 'crasher', 'exiter', 'recorder']);
    expect(stack.subscriberErrors.broken).toMatch(/subscriber broken: loading .*broken\.ts failed: broken: this module cannot load/);
  });

  it('delivers every event sent to a configured subscriber, each with its shard, sequence and sub-sequence number', async () => {
    const events = makeEvents(600, { seed: 11 });
    const producer = new KinesisProducer({ client: kinesis, streamName: stack.env[ENV.streamName]! });
    const sent = await Promise.all(events.map((e) => producer.send(e)));
    await producer.close();

    await stack.runners.recorder!.waitIdle();

    const got = new Map(deliveries().flatMap((d) => d.events).map((e) => [e.id, e]));
    for (const s of sent) {
      expect(got.get(s.eventId), s.eventId).toMatchObject({ shardId: s.shardId, sequenceNumber: s.sequenceNumber, subSequenceNumber: s.subSequenceNumber });
    }
    expect(new Set(sent.map((s) => s.shardId)).size).toBe(4);
  });

  it('re-delivers from the record of the first event the subscriber returns as not handled', async () => {
    const ts = Date.UTC(2026, 10, 30, 12, 0, 0);
    const events = Array.from({ length: 10 }, (_, i) => ({
      id: `retry-${i}`, type: 'retry.test', ts, value: 1, payload: i === 4 ? { failTimes: 2 } : {},
    }));
    // Ten plain records on one partition key: one shard, in this order.
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: stack.env[ENV.streamName]!, Records: events.map((e) => plainRecord(e, 'retry-key')) }));
    expect(out.FailedRecordCount ?? 0).toBe(0);

    await stack.runners.recorder!.waitIdle();

    const batches = deliveries().map((d) => d.events.map((e) => e.id).filter((id) => id.startsWith('retry-'))).filter((ids) => ids.length > 0);
    const times = (id: string) => batches.flat().filter((x) => x === id).length;
    for (let i = 0; i < 4; i++) expect(times(`retry-${i}`), `retry-${i} was handled: never sent again`).toBe(1);
    expect(times('retry-4')).toBe(3);
    // The two re-deliveries start at the failed event's record.
    const redeliveries = batches.filter((ids) => ids.includes('retry-4')).slice(1);
    expect(redeliveries.map((ids) => ids[0])).toEqual(['retry-4', 'retry-4']);
    for (let i = 5; i < 10; i++) expect(times(`retry-${i}`)).toBeGreaterThanOrEqual(1);
    expect(batches.flat().filter((id) => id === 'retry-9').length).toBeGreaterThanOrEqual(1);
  });

  it('bisects a batch the subscriber throws on, retries, and gives the failing record up to the on-failure destination', async () => {
    const ts = Date.UTC(2026, 10, 30, 12, 0, 0);
    const events = Array.from({ length: 6 }, (_, i) => ({ id: `bisect-${i}`, type: 'bisect.test', ts, value: 1, payload: { throw: i === 3 } }));
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: stack.env[ENV.streamName]!, Records: events.map((e) => plainRecord(e, 'bisect-key')) }));
    const bad = out.Records![3]!;

    await stack.runners.bisector!.waitIdle();

    const failures = readdirSync(join(dataDir, 'runner', 'sluice-bisector-failures')).map((f) => JSON.parse(readFileSync(join(dataDir, 'runner', 'sluice-bisector-failures', f), 'utf8')) as OnFailureRecord);
    expect(failures.filter((f) => f.KinesisBatchInfo.startSequenceNumber === bad.SequenceNumber)).toMatchObject([
      { requestContext: { condition: 'RetryAttemptsExhausted' }, responseContext: { functionError: 'Unhandled' }, KinesisBatchInfo: { endSequenceNumber: bad.SequenceNumber, batchSize: 1, shardId: bad.ShardId } },
    ]);
    const handled = new Set(deliveries('bisector').filter((d) => !d.threw).flatMap((d) => d.events.map((e) => e.id)));
    expect(['bisect-0', 'bisect-1', 'bisect-2', 'bisect-4', 'bisect-5'].filter((id) => !handled.has(id))).toEqual([]);
    expect(handled.has('bisect-3')).toBe(false);
  });

  it('quarantines a poison record and hands the subscriber the valid events around it', async () => {
    const stream = stack.env[ENV.streamName]!;
    const before = await kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'poison-key', Data: json({ id: 'poison-before', type: 'poison.test', ts: Date.now(), value: 1 }) }));
    const bad = await kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'poison-key', Data: Buffer.from('{"type": not json') }));
    await kinesis.send(new PutRecordCommand({ StreamName: stream, PartitionKey: 'poison-key', Data: json({ id: 'poison-after', type: 'poison.test', ts: Date.now(), value: 1 }) }));

    await stack.runners.recorder!.waitIdle();

    const ids = deliveries().flatMap((d) => d.events.map((e) => e.id));
    expect(ids).toContain('poison-before');
    expect(ids).toContain('poison-after');
    const entries = await new QuarantineStore(rdsData, target()).list({ status: 'all' });
    expect(entries.filter((q) => q.sequenceNumber === bad.SequenceNumber && q.shardId === before.ShardId)).toHaveLength(1);
  });

  it('quarantines poison records through the Data API itself (a record no other consumer saw)', async () => {
    const seen: SubscriberEvent[][] = [];
    const sub = defineSubscriber(async (events) => { seen.push(events); });
    const instance = sub.instantiate({
      name: 'direct', env: stack.env, logger: new Logger({ serviceName: 'sluice-direct' }), metrics: new Metrics({ namespace: 'sluice', serviceName: 'sluice-direct' }),
    });
    const arn = `arn:aws:kinesis:us-east-1:000000000000:stream/direct-${Date.now()}`;
    const record = (seq: string, data: Buffer) => ({
      eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: `shardId-000000000009:${seq}`, eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/x', awsRegion: 'us-east-1', eventSourceARN: arn,
      kinesis: { kinesisSchemaVersion: '1.0', partitionKey: 'k', sequenceNumber: seq, data: data.toString('base64'), approximateArrivalTimestamp: Date.now() / 1000 },
    });
    const good = json({ id: 'direct-1', type: 'direct.test', ts: Date.now(), value: 2 });

    const out = await instance.handler({ Records: [record('100', good), record('101', Buffer.from([0xff, 0x00, 0x12]))] }, { getRemainingTimeInMillis: () => 30_000 } as never);
    await instance.close?.();

    expect(out).toEqual({ batchItemFailures: [] });
    expect(seen.flat().map((e) => e.event.id)).toEqual(['direct-1']);
    const entries = (await new QuarantineStore(rdsData, target()).list({ status: 'all' })).filter((q) => q.streamArn === arn);
    expect(entries.map((q) => [q.sequenceNumber, q.reason.split(':')[0]])).toEqual([['101', 'invalid event']]);
  });

  it('keeps the aggregator exact while other subscribers throw, time out, and take their process down', async () => {
    const events = makeEvents(2000, { seed: 12, types: ['crash.a', 'crash.b'] });
    const producer = new KinesisProducer({ client: kinesis, streamName: stack.env[ENV.streamName]! });
    await Promise.all(events.map((e) => producer.send(e)));
    await producer.close();

    await stack.runners.aggregator.waitIdle();
    await stack.runners.recorder!.waitIdle();

    for (const [type, byBucket] of expectedMinuteRollups(events)) {
      const got = await queryRollups(rdsData, target(), { type });
      expect(got.rows.map((r) => [r.bucket, r.count])).toEqual([...byBucket].sort(([a], [b]) => a.localeCompare(b)).map(([bucket, w]) => [bucket, w.count]));
    }
    const ids = new Set(deliveries().flatMap((d) => d.events.map((e) => e.id)));
    expect(events.filter((e) => !ids.has(e.id))).toEqual([]);
    // The exiter's process dies on its first batch, each time it is restarted: given up
    // after the fourth exit in a minute, reported, and nothing else stopped.
    await until(() => stack.subscriberErrors.exiter !== undefined, 'the exiter given up');
    expect(stack.subscriberErrors.exiter).toMatch(/^sluice-exiter \(pid \d+\) exited \(code \d+\), 4 times in 60 s: given up, not restarted$/);
    expect(stack.runners.exiter!.restarts).toBe(3);
    expect(stack.runners.exiter!.running).toBe(false);
    expect(stack.runners.aggregator.running).toBe(true);
    const crasher = stack.runners.crasher!.stats!;
    expect(crasher.errors).toBeGreaterThan(0);
    expect(crasher.records).toBe(0);
  });

  it('resumes where it was after a restart: nothing delivered again, everything new delivered', async () => {
    const before = new Set(deliveries().flatMap((d) => d.events.map((e) => e.id)));
    const lines = deliveries().length;
    await stop();
    await start();

    const events = makeEvents(300, { seed: 13 });
    const producer = new KinesisProducer({ client: kinesis, streamName: stack.env[ENV.streamName]! });
    await Promise.all(events.map((e) => producer.send(e)));
    await producer.close();
    await stack.runners.recorder!.waitIdle();

    const after = deliveries().slice(lines).flatMap((d) => d.events.map((e) => e.id));
    expect(after.filter((id) => before.has(id))).toEqual([]);
    expect(new Set(after)).toEqual(new Set(events.map((e) => e.id)));
  });
});
