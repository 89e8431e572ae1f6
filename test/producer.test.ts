// KinesisProducer against the local Kinesis server over the real SDK: where events
// land, partial failures, non-retryable errors, a reshard, back-pressure, ordering,
// compression and close with a deadline.
import { afterEach, describe, expect, it } from 'vitest';
import {
  GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand, MergeShardsCommand, PutRecordsCommand, SplitShardCommand, type Shard,
} from '@aws-sdk/client-kinesis';
import { KinesisServer, type KinesisServerOptions } from '../local/index.ts';
import { EventValidationError, deaggregate, effectiveHashKey, recordFormat, type EventInput } from '../core/index.ts';
import {
  BufferFullError, CloseDeadlineError, InvalidRoutingKeyError, KinesisProducer, NonRetryableSendError, ProducerClosedError,
  RetriesExhaustedError, ShardMapError, ShardPacker, loadShardMap, splitPutBatches,
  type ProducerOptions, type SendResult,
} from '../producers/index.ts';

const STREAM = 'events';
const servers: KinesisServer[] = [];
const producers: KinesisProducer[] = [];

afterEach(async () => {
  await Promise.all(producers.splice(0).map((p) => p.close({ deadline: Date.now() })));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(opts: { shards?: number; server?: Partial<KinesisServerOptions>; producer?: Partial<ProducerOptions> } = {}) {
  const server = await KinesisServer.start({ streams: [{ name: STREAM, shardCount: opts.shards ?? 4 }], ...opts.server });
  servers.push(server);
  const client = new KinesisClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const producer = new KinesisProducer({ client, streamName: STREAM, ...opts.producer });
  producers.push(producer);
  return { server, client, producer };
}

function events(n: number, from = 0): EventInput[] {
  return Array.from({ length: n }, (_, i) => ({
    type: `page.view.${(from + i) % 3}`, ts: 1_790_000_000_000 + from + i, value: from + i,
    dims: { page: `/p/${(from + i) % 40}`, country: ['fr', 'de', 'us'][(from + i) % 3]! }, payload: { seq: from + i },
  }));
}

interface StoredEvent { shardId: string; sequenceNumber: string; subSequenceNumber: number; partitionKey: string; format: string; event: { id: string; value: number } }

/** Every user record in the stream, every shard (open or closed), in shard order. */
async function readStream(client: KinesisClient): Promise<{ shards: Shard[]; records: StoredEvent[] }> {
  const shards = (await client.send(new ListShardsCommand({ StreamName: STREAM }))).Shards ?? [];
  const records: StoredEvent[] = [];
  for (const shard of shards) {
    let it = (await client.send(new GetShardIteratorCommand({ StreamName: STREAM, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    for (;;) {
      const r = await client.send(new GetRecordsCommand({ ShardIterator: it! }));
      for (const rec of r.Records ?? []) {
        const data = Buffer.from(rec.Data!);
        for (const u of deaggregate(data, rec.PartitionKey!)) {
          records.push({
            shardId: shard.ShardId!, sequenceNumber: rec.SequenceNumber!, subSequenceNumber: u.subSequenceNumber,
            partitionKey: u.partitionKey, format: recordFormat(data), event: JSON.parse(u.data.toString()) as StoredEvent['event'],
          });
        }
      }
      if (!r.Records?.length || !r.NextShardIterator) break;
      it = r.NextShardIterator;
    }
  }
  return { shards, records };
}

function shardOf(shards: Shard[], shardId: string) {
  const s = shards.find((x) => x.ShardId === shardId)!;
  return { start: BigInt(s.HashKeyRange!.StartingHashKey!), end: BigInt(s.HashKeyRange!.EndingHashKey!) };
}

describe('KinesisProducer', () => {
  it('resolves every send with the shard and sequence number it landed at, each event once, on its own shard', async () => {
    const { client, producer } = await setup();

    const results = await Promise.all(events(3000).map((e) => producer.send(e)));

    const { shards, records } = await readStream(client);
    expect(records).toHaveLength(3000);
    expect(new Set(records.map((r) => r.event.id)).size).toBe(3000);
    const byId = new Map(records.map((r) => [r.event.id, r]));
    for (const res of results) {
      const stored = byId.get(res.eventId)!;
      expect([stored.shardId, stored.sequenceNumber, stored.subSequenceNumber]).toEqual([res.shardId, res.sequenceNumber, res.subSequenceNumber]);
      const range = shardOf(shards, stored.shardId);
      const hash = effectiveHashKey(stored.partitionKey);
      expect(hash >= range.start && hash <= range.end).toBe(true);
      expect(stored.partitionKey).toBe(res.eventId); // the default partition key is the event id
    }
    // Every Kinesis record is an aggregate (a lone event too), under one of 16 lane keys per shard.
    expect(records.filter((r) => r.format === 'kpl').length).toBe(3000);
    expect(producer.metrics).toMatchObject({ eventsSent: 3000, eventsFailed: 0, bufferedEvents: 0 });
    expect(producer.metrics.latencyMs.count).toBe(3000);
    expect(producer.metrics.kinesisRecords).toBeLessThan(3000 / 10);
  });

  it('rejects an invalid event with the field named, and a bad partition key, without sending anything', async () => {
    const { client, producer } = await setup();

    const badType = producer.send({ type: '' });
    const badDim = producer.send({ type: 'ok', dims: { 'Bad Name': 'x' } });
    const badKey = producer.send({ type: 'ok' }, { partitionKey: 'k'.repeat(257) });
    const badHash = producer.send({ type: 'ok' }, { explicitHashKey: '01' });

    await expect(badType).rejects.toBeInstanceOf(EventValidationError);
    await expect(badType).rejects.toMatchObject({ field: 'type' });
    await expect(badDim).rejects.toMatchObject({ field: 'dims.Bad Name' });
    await expect(badKey).rejects.toBeInstanceOf(InvalidRoutingKeyError);
    await expect(badHash).rejects.toMatchObject({ field: 'explicitHashKey' });
    expect((await readStream(client)).records).toHaveLength(0);
    expect(producer.metrics.eventsRejected).toBe(4);
  });

  it('retries only the failed entries of a partial failure, so each event lands exactly once', async () => {
    const { server, client, producer } = await setup({ producer: { backoff: { baseMs: 5, maxMs: 20 } } });
    server.faults.failNextRecords(3, 'InternalFailure');
    server.faults.failNextRecords(2, 'ProvisionedThroughputExceededException', 'Rate exceeded for shard');

    const results = await Promise.all(events(2000).map((e) => producer.send(e)));

    expect(results.filter((r) => r.attempts > 1).length).toBeGreaterThan(0);
    const { records } = await readStream(client);
    expect(records).toHaveLength(2000);
    expect(new Set(records.map((r) => r.event.id)).size).toBe(2000);
    expect(producer.metrics.eventsRetried).toBeGreaterThan(0);
    expect(producer.metrics.eventsThrottled).toBeGreaterThan(0);
  });

  it.each([
    ['ResourceNotFoundException', 400],
    ['AccessDeniedException', 400],
    ['KMSAccessDeniedException', 400],
  ])('fails fast on %s without retrying', async (code, status) => {
    const { server, producer } = await setup({ producer: { backoff: { baseMs: 5, maxMs: 20 } } });
    await producer.send({ type: 'warm' }); // shard map loaded
    server.faults.failNextCalls('PutRecords', 1, code, status);

    const outcome = await producer.send({ type: 'x' }).then(() => undefined, (e: unknown) => e);

    expect(outcome).toBeInstanceOf(NonRetryableSendError);
    expect(outcome).toMatchObject({ code });
    expect(producer.metrics.eventsRetried).toBe(0);
  });

  // The SDK retries throttling and 5xx a few times itself; the producer goes on
  // where it stops, and retries KMS throttling, which the SDK does not.
  it.each([
    ['KMSThrottlingException', 400, 1],
    ['ProvisionedThroughputExceededException', 400, 4],
    ['InternalFailure', 500, 4],
    ['ServiceUnavailable', 503, 4],
  ])('retries whole-call %s until the put succeeds', async (code, status, times) => {
    const { server, producer } = await setup({ producer: { backoff: { baseMs: 5, maxMs: 20 } } });
    await producer.send({ type: 'warm' });
    server.faults.failNextCalls('PutRecords', times, code, status);

    const r = await producer.send({ type: 'x' });

    expect(r.attempts).toBeGreaterThanOrEqual(2);
    expect(r.sequenceNumber).toMatch(/^\d+$/);
    expect(producer.metrics.eventsRetried).toBeGreaterThanOrEqual(1);
  });

  it('gives up after the time-to-live when a retryable fault never clears, saying what failed', async () => {
    const { server, producer } = await setup({ producer: { recordTtlMs: 400, backoff: { baseMs: 5, maxMs: 50 } } });
    await producer.send({ type: 'warm' });
    server.faults.failNextRecords(10_000, 'InternalFailure');

    const outcome = await producer.send({ type: 'x' }).then(() => undefined, (e: unknown) => e);

    expect(outcome).toBeInstanceOf(RetriesExhaustedError);
    expect(outcome).toMatchObject({ lastCode: 'InternalFailure' });
    expect((outcome as RetriesExhaustedError).attempts).toBeGreaterThan(1);
    expect(producer.metrics.eventsFailed).toBe(1);
  });

  it('rejects sends to a stream that does not exist with ShardMapError', async () => {
    const { server } = await setup();
    const client = new KinesisClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const producer = new KinesisProducer({ client, streamName: 'no-such-stream' });
    producers.push(producer);

    await expect(producer.send({ type: 'x' })).rejects.toBeInstanceOf(ShardMapError);
  });

  it('follows a reshard during sending: nothing lost or sent twice, later aggregates only hold their shard\'s events', async () => {
    const { client, producer } = await setup({ shards: 2 });
    const first = Promise.all(events(1500).map((e) => producer.send(e)));
    const shards = (await client.send(new ListShardsCommand({ StreamName: STREAM }))).Shards!;
    const parent = shards[0]!;
    const mid = (BigInt(parent.HashKeyRange!.StartingHashKey!) + BigInt(parent.HashKeyRange!.EndingHashKey!)) / 2n;

    await client.send(new SplitShardCommand({ StreamName: STREAM, ShardToSplit: parent.ShardId!, NewStartingHashKey: mid.toString() }));
    const during = await Promise.all(events(1500, 1500).map((e) => producer.send(e)));
    await first;
    const after = await Promise.all(events(1500, 3000).map((e) => producer.send(e)));

    const read = await readStream(client);
    expect(read.shards).toHaveLength(4);
    expect(read.records).toHaveLength(4500);
    expect(new Set(read.records.map((r) => r.event.id)).size).toBe(4500);
    const afterIds = new Set(after.map((r) => r.eventId));
    for (const r of read.records.filter((x) => afterIds.has(x.event.id))) {
      expect(r.shardId).not.toBe(parent.ShardId);
      const range = shardOf(read.shards, r.shardId);
      const hash = effectiveHashKey(r.partitionKey);
      expect(hash >= range.start && hash <= range.end).toBe(true);
    }
    expect(new Set([...during, ...after].map((r) => r.shardId)).size).toBeGreaterThanOrEqual(3);
  });

  it('follows a merge of two shards: later events land on the merged shard, none lost', async () => {
    const { client, producer } = await setup({ shards: 2 });
    await Promise.all(events(500).map((e) => producer.send(e)));
    const [a, b] = (await client.send(new ListShardsCommand({ StreamName: STREAM }))).Shards!;

    await client.send(new MergeShardsCommand({ StreamName: STREAM, ShardToMerge: a!.ShardId!, AdjacentShardToMerge: b!.ShardId! }));
    await Promise.all(events(500, 500).map((e) => producer.send(e)));
    const after = await Promise.all(events(500, 1000).map((e) => producer.send(e)));

    const read = await readStream(client);
    expect(read.records).toHaveLength(1500);
    expect(new Set(read.records.map((r) => r.event.id)).size).toBe(1500);
    const merged = read.shards.find((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined)!.ShardId;
    expect(new Set(after.map((r) => r.shardId))).toEqual(new Set([merged]));
  });

  it('waits for buffer room on a slow stream, never holding more than its limit', async () => {
    const { producer } = await setup({
      shards: 1,
      server: { shardWriteLimits: { recordsPerSec: 1000, bytesPerSec: 40_000 } },
      producer: { maxBufferedEvents: 100, shardRateLimit: { recordsPerSec: 1000, bytesPerSec: 40_000 }, maxAggregateBytes: 8_000 },
    });
    let maxBuffered = 0;

    const sends: Promise<SendResult>[] = [];
    for (const e of events(400)) {
      sends.push(producer.send(e));
      maxBuffered = Math.max(maxBuffered, producer.metrics.bufferedEvents);
    }
    const watcher = setInterval(() => { maxBuffered = Math.max(maxBuffered, producer.metrics.bufferedEvents); }, 5);
    const results = await Promise.all(sends);
    clearInterval(watcher);

    expect(results).toHaveLength(400);
    expect(maxBuffered).toBe(100);
    expect(producer.metrics.bufferedEvents).toBe(0);
  });

  it('keeps a hot shard under its write limit, where an unlimited producer gets throttled', async () => {
    // The server meters records by their arrival second; a record the producer let go
    // at the end of one second may arrive in the next. The server's limit leaves that
    // jitter (10 records, about 250 ms at this rate) so only real overshoot is throttled.
    const limit = { recordsPerSec: 40, bytesPerSec: 1_000_000 };
    const server = { shardWriteLimits: { recordsPerSec: 50, bytesPerSec: 1_000_000 } };
    const limited = await setup({ shards: 1, server, producer: { aggregation: false, shardRateLimit: limit } });
    const unlimited = await setup({ shards: 1, server, producer: { aggregation: false, shardRateLimit: false, backoff: { baseMs: 50, maxMs: 200 } } });

    await Promise.all([
      ...events(100).map((e) => limited.producer.send(e)),
      ...events(100).map((e) => unlimited.producer.send(e)),
    ]);

    expect(limited.producer.metrics.eventsThrottled).toBe(0);
    expect(unlimited.producer.metrics.eventsThrottled).toBeGreaterThan(0);
  });

  it('rejects at once with BufferFullError when told to', async () => {
    const { producer } = await setup({ producer: { maxBufferedEvents: 10, onBufferFull: 'reject' } });

    const outcomes = await Promise.allSettled(events(25).map((e) => producer.send(e)));

    const rejected = outcomes.filter((o) => o.status === 'rejected');
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(10);
    expect(rejected).toHaveLength(15);
    for (const o of rejected) expect((o as PromiseRejectedResult).reason).toBeInstanceOf(BufferFullError);
  });

  it('keeps order per partition key across throttling and failures in ordering mode', async () => {
    const { server, client, producer } = await setup({
      shards: 2,
      server: { shardWriteLimits: { recordsPerSec: 30, bytesPerSec: 1_000_000 } },
      producer: { ordering: 'perPartitionKey', shardRateLimit: false, maxAggregateBytes: 2_000, backoff: { baseMs: 5, maxMs: 50 }, maxBufferTimeMs: 5 },
    });
    server.faults.failNextRecords(4, 'InternalFailure');
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];

    const sends = events(600).map((e, i) => producer.send(e, { partitionKey: keys[i % keys.length]! }));
    const results = await Promise.all(sends);

    expect(results.some((r) => r.attempts > 1)).toBe(true);
    const { records } = await readStream(client);
    expect(records).toHaveLength(600);
    for (const key of keys) {
      const values = records.filter((r) => r.partitionKey === key).map((r) => r.event.value);
      expect(values).toEqual([...values].sort((a, b) => a - b));
      expect(values).toHaveLength(120);
    }
  });

  it('close with a deadline reports what could not be sent and refuses new events', async () => {
    const { producer } = await setup({
      shards: 1,
      server: { shardWriteLimits: { recordsPerSec: 1000, bytesPerSec: 5_000 } },
      producer: { shardRateLimit: { recordsPerSec: 1000, bytesPerSec: 5_000 }, maxAggregateBytes: 4_000 },
    });
    const sends = events(300).map((e) => producer.send(e));
    const settled = Promise.allSettled(sends);

    const report = await producer.close({ deadline: Date.now() + 300 });

    const outcomes = await settled;
    const failed = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason as CloseDeadlineError);
    expect(failed.length).toBeGreaterThan(0);
    for (const e of failed) expect(e).toBeInstanceOf(CloseDeadlineError);
    expect(report.unsent.map((u) => u.eventId).sort()).toEqual(failed.map((e) => e.eventId).sort());
    expect(report.sent).toBe(outcomes.filter((o) => o.status === 'fulfilled').length);
    await expect(producer.send({ type: 'late' })).rejects.toBeInstanceOf(ProducerClosedError);
  });

  it('flush() sends at once and resolves when the events before it are acknowledged', async () => {
    const { producer } = await setup({ producer: { maxBufferTimeMs: 60_000 } });
    const sends = events(50).map((e) => producer.send(e));

    await producer.flush();

    expect(producer.metrics.eventsSent).toBe(50);
    expect((await Promise.all(sends)).every((r) => /^\d+$/.test(r.sequenceNumber))).toBe(true);
  });

  it('sendBatch answers one outcome per event in input order: landed, invalid or bad key, none lost', async () => {
    const { client, producer } = await setup();
    const good = events(2000);
    const batch = good.map((event, i) => ({ event, partitionKey: `user-${i % 50}` }));
    batch.splice(700, 0, { event: { type: 'bad type!' } as EventInput, partitionKey: 'user-1' });
    batch.splice(1500, 0, { event: good[0]!, partitionKey: '' });

    const outcomes = await producer.sendBatch(batch);

    expect(outcomes).toHaveLength(2002);
    expect(outcomes[700]).toMatchObject({ status: 'rejected', reason: { name: 'EventValidationError', field: 'type' } });
    expect(outcomes[1500]).toMatchObject({ status: 'rejected', reason: { name: 'InvalidRoutingKeyError' } });
    const landed = outcomes.filter((o): o is PromiseFulfilledResult<SendResult> => o.status === 'fulfilled');
    expect(landed).toHaveLength(2000);
    const { shards, records } = await readStream(client);
    expect(records).toHaveLength(2000);
    const byId = new Map(records.map((r) => [r.event.id, r]));
    outcomes.forEach((o, i) => {
      if (o.status !== 'fulfilled') return;
      const stored = byId.get(o.value.eventId)!;
      expect(stored.event.value).toBe(batch[i]!.event.value);
      expect([stored.shardId, stored.sequenceNumber, stored.subSequenceNumber]).toEqual([o.value.shardId, o.value.sequenceNumber, o.value.subSequenceNumber]);
      const { start, end } = shardOf(shards, stored.shardId);
      const hash = effectiveHashKey(batch[i]!.partitionKey!);
      expect(hash >= start && hash <= end).toBe(true);
    });
  });

  it('sendBatch waits for buffer room event by event, or refuses what does not fit when told to', async () => {
    const slow = { shardWriteLimits: { recordsPerSec: 1000, bytesPerSec: 40_000 } };
    const waiting = await setup({ shards: 1, server: slow, producer: { maxBufferedEvents: 50, shardRateLimit: slow.shardWriteLimits, maxAggregateBytes: 8_000 } });
    const refusing = await setup({ shards: 1, producer: { maxBufferedEvents: 50, onBufferFull: 'reject' } });
    let maxBuffered = 0;
    const watcher = setInterval(() => { maxBuffered = Math.max(maxBuffered, waiting.producer.metrics.bufferedEvents); }, 2);

    const [waited, refused] = await Promise.all([
      waiting.producer.sendBatch(events(300).map((event) => ({ event }))),
      refusing.producer.sendBatch(events(120).map((event) => ({ event }))),
    ]);
    clearInterval(watcher);

    expect(waited.every((o) => o.status === 'fulfilled')).toBe(true);
    expect(maxBuffered).toBeLessThanOrEqual(50);
    expect(refused.slice(0, 50).every((o) => o.status === 'fulfilled')).toBe(true);
    expect(refused.slice(50).every((o) => o.status === 'rejected' && o.reason instanceof BufferFullError)).toBe(true);
  });

  it('sendBatch after close refuses every event with ProducerClosedError', async () => {
    const { producer } = await setup();
    await producer.close();

    const outcomes = await producer.sendBatch(events(3).map((event) => ({ event })));

    expect(outcomes.map((o) => o.status === 'rejected' && o.reason instanceof ProducerClosedError)).toEqual([true, true, true]);
  });

  it('ShardPacker records put as they are land every event on the shard it was packed for', async () => {
    const { client } = await setup();
    const packer = new ShardPacker(await loadShardMap(client, { StreamName: STREAM }), { maxAggregateBytes: 8_000 });

    const ids = events(1500).map((e, i) => packer.add(e, { partitionKey: `user-${i % 61}` }));
    for (const call of splitPutBatches(packer.takeAll())) {
      const out = await client.send(new PutRecordsCommand({ StreamName: STREAM, Records: call }));
      expect(out.FailedRecordCount).toBe(0);
    }

    const { shards, records } = await readStream(client);
    expect(records.map((r) => r.event.id).sort()).toEqual([...ids].sort());
    for (const r of records) {
      const { start, end } = shardOf(shards, r.shardId);
      const hash = effectiveHashKey(r.partitionKey);
      expect(hash >= start && hash <= end).toBe(true);
    }
  });

  it('packs compressed aggregates when asked, read back by deaggregate', async () => {
    const { client, producer } = await setup({ producer: { compression: true } });

    await Promise.all(events(1000).map((e) => producer.send(e)));

    const { records } = await readStream(client);
    expect(records.map((r) => r.event.value).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(records.some((r) => r.format === 'compressed')).toBe(true);
  });

  it('sends plain records when aggregation is off', async () => {
    const { client, producer } = await setup({ producer: { aggregation: false } });

    const results = await Promise.all(events(600).map((e) => producer.send(e, { partitionKey: `user-${e.value}` })));

    const { records } = await readStream(client);
    expect(records).toHaveLength(600);
    expect(new Set(records.map((r) => r.format))).toEqual(new Set(['plain']));
    expect(results.every((r) => r.subSequenceNumber === 0)).toBe(true);
    expect(producer.metrics.putCalls).toBeGreaterThanOrEqual(2);
  });
});
