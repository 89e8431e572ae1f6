// Pure producer logic without a network: packing within the record limit, collection
// within the PutRecords limits, token buckets, and the retry policy.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { KINESIS, deaggregate, effectiveHashHex, effectiveHashKey, partitionKeyHash, recordFormat, shardForHash } from '../core/index.ts';
import {
  AggregateBuilder, KinesisProducer, RecordTooLargeError, ShardPacker, LANE_KEY_BYTES, aggregateOfOneSize, laneKey, LatencyHistogram, ProducerConfigError, ShardMap, ShardRateLimiter, TokenBucket, classifyFailure, nextPutBatch, splitPutBatches,
  type PackableRecord,
} from '../producers/index.ts';

function rec(partitionKey: string, dataBytes: number, explicitHashKey?: string): PackableRecord {
  return {
    partitionKey, partitionKeyBytes: Buffer.byteLength(partitionKey, 'utf8'), explicitHashKey,
    hashKeyHex: effectiveHashHex(partitionKey, explicitHashKey), data: Buffer.alloc(dataBytes, 0x61),
  };
}

describe('AggregateBuilder', () => {
  it('predicts the exact size of the record it builds', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ pk: fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }), len: fc.nat(3000), ehk: fc.option(fc.bigInt({ min: 0n, max: KINESIS.maxHashKey })) }), { minLength: 2, maxLength: 60 }),
      (inputs) => {
        const b = new AggregateBuilder<PackableRecord>(KINESIS.maxRecordBytes);
        for (const i of inputs) expect(b.tryAdd(rec(i.pk, i.len, i.ehk === null ? undefined : i.ehk.toString()))).toBe(true);
        const predicted = b.size;
        const entry = b.build();
        expect(entry.size).toBe(predicted);
        expect(entry.size).toBe(entry.Data.length + Buffer.byteLength(entry.PartitionKey, 'utf8'));
      },
    ), { numRuns: 200 });
  });

  it('stops before the limit, counting multi-byte partition keys in UTF-8', () => {
    const b = new AggregateBuilder<PackableRecord>(10_000);
    const key = 'clé-€-🙂'.repeat(10); // 60 characters, more bytes
    let added = 0;
    while (b.tryAdd(rec(`${key}${added}`, 300))) added++;

    const entry = b.build();

    expect(entry.size).toBeLessThanOrEqual(10_000);
    expect(entry.size).toBe(entry.Data.length + Buffer.byteLength(entry.PartitionKey, 'utf8'));
    expect(deaggregate(entry.Data, entry.PartitionKey)).toHaveLength(added);
    expect(added).toBeGreaterThan(20);
  });

  it('sets the outer explicit hash key to the first record\'s hash key and the outer key to its lane, even for a lone record', () => {
    const b = new AggregateBuilder<PackableRecord>(50_000);
    b.tryAdd(rec('a', 10));
    b.tryAdd(rec('b', 10));
    const agg = b.build();
    b.tryAdd(rec('c', 10, '42'));
    const single = b.build();

    expect(agg.ExplicitHashKey).toBe(partitionKeyHash('a').toString());
    expect(recordFormat(agg.Data)).toBe('kpl');
    expect(agg.PartitionKey).toBe(laneKey(partitionKeyHash('a').toString(16).padStart(32, '0')));
    expect(single).toMatchObject({ PartitionKey: 'sluice-lane-a', ExplicitHashKey: '42', aggregated: true });
    expect(single.size).toBe(single.Data.length + LANE_KEY_BYTES);
    expect(single.size).toBe(aggregateOfOneSize(1, '42', 10));
    expect(deaggregate(single.Data, single.PartitionKey)).toMatchObject([{ partitionKey: 'c', explicitHashKey: '42' }]);
  });

  it('always takes the first record, even one larger than the aggregate limit', () => {
    const b = new AggregateBuilder<PackableRecord>(1_000);

    expect(b.tryAdd(rec('k', 5_000))).toBe(true);
    expect(b.tryAdd(rec('k', 1))).toBe(false);
    expect(deaggregate(b.build().Data, 'x')).toHaveLength(1);
  });
});

describe('shard placement', () => {
  it('computes the hash key and the shard exactly as core does (MD5 or explicit hash key)', () => {
    const ranges = [0n, 3n << 120n, 1n << 127n, 0xf0n << 120n].map((start, i, all) => ({
      shardId: `shardId-${i}`, startingHashKey: start, endingHashKey: i + 1 < all.length ? all[i + 1]! - 1n : KINESIS.maxHashKey,
    }));
    const map = new ShardMap(ranges);
    fc.assert(fc.property(
      fc.string({ minLength: 1, maxLength: 256, unit: 'grapheme' }),
      fc.option(fc.bigInt({ min: 0n, max: KINESIS.maxHashKey }).map(String), { nil: undefined }),
      (pk, ehk) => {
        const hex = effectiveHashHex(pk, ehk);
        expect(BigInt(`0x${hex}`)).toBe(effectiveHashKey(pk, ehk));
        expect(map.shardFor(hex)).toBe(shardForHash(ranges, effectiveHashKey(pk, ehk))!.shardId);
      },
    ), { numRuns: 500 });
    for (const edge of [0n, (3n << 120n) - 1n, 3n << 120n, KINESIS.maxHashKey]) {
      expect(map.shardFor(edge.toString(16).padStart(32, '0'))).toBe(shardForHash(ranges, edge)!.shardId);
    }
  });
});

describe('ShardPacker', () => {
  const ranges = [0n, 1n << 126n, 1n << 127n, 3n << 126n].map((start, i, all) => ({
    shardId: `shardId-${i}`, startingHashKey: start, endingHashKey: i + 1 < all.length ? all[i + 1]! - 1n : KINESIS.maxHashKey,
  }));
  const events = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `e-${i}`, type: 'page.view', ts: 1_790_000_000_000 + i, dims: { page: `/p/${i % 7}` }, payload: { i } }));

  it.each([['KPL', false], ['compressed', true]] as const)('packs every event once (%s), each aggregate only with events of the shard its outer hash key lands on', (_name, compression) => {
    const packer = new ShardPacker(new ShardMap(ranges), { maxAggregateBytes: 4_000, compression });

    const ids = events(3000).map((e, i) => packer.add(e, { partitionKey: `user-${i % 97}` }));
    const entries = packer.takeAll();

    const seen: string[] = [];
    for (const entry of entries) {
      expect(entry.size).toBeLessThanOrEqual(4_000);
      const target = shardForHash(ranges, effectiveHashKey(entry.PartitionKey, entry.ExplicitHashKey))!.shardId;
      const inside: string[] = [];
      for (const u of deaggregate(entry.Data, entry.PartitionKey, entry.ExplicitHashKey)) {
        expect(shardForHash(ranges, effectiveHashKey(u.partitionKey))!.shardId).toBe(target);
        inside.push((JSON.parse(u.data.toString()) as { id: string }).id);
      }
      expect(entry.items).toEqual(inside);
      seen.push(...inside);
    }
    expect(seen.sort()).toEqual([...ids].sort());
    expect(packer.takeAll()).toEqual([]);
  });

  it('lists each entry\'s event ids, and refuses an event too big for a record only by its UTF-8 bytes', () => {
    const packer = new ShardPacker(new ShardMap(ranges), { maxRecordBytes: 1_000 });
    const plain = new ShardPacker(new ShardMap(ranges), { aggregation: false });

    const fits = packer.add({ type: 't', payload: 'a'.repeat(600) }, { partitionKey: 'k' });
    expect(() => packer.add({ type: 't', payload: '€'.repeat(400) }, { partitionKey: 'k' })).toThrow(RecordTooLargeError);
    const ids = events(5).map((e) => plain.add(e, { partitionKey: 'k' }));

    expect(packer.takeAll().map((e) => e.items)).toEqual([[fits]]);
    const plainEntries = plain.takeAll();
    expect(plainEntries.map((e) => [e.aggregated, ...e.items])).toEqual(ids.map((id) => [false, id]));
    expect(plainEntries.map((e) => (JSON.parse(e.Data.toString()) as { id: string }).id)).toEqual(ids);
  });

  it('hands out only full aggregates until told to take all, and refuses a bad event naming the field', () => {
    const packer = new ShardPacker(new ShardMap(ranges.slice(0, 1).map((r) => ({ ...r, endingHashKey: KINESIS.maxHashKey }))), { maxAggregateBytes: 2_000 });
    for (const e of events(40)) packer.add(e, { partitionKey: 'k' });

    const full = packer.takeFull();
    expect(() => packer.add({ type: 'page view' })).toThrow(expect.objectContaining({ name: 'EventValidationError', field: 'type' }));
    const rest = packer.takeAll();

    expect(full.length).toBeGreaterThan(0);
    expect(full.every((e) => e.size > 2_000 - 200)).toBe(true);
    expect([...full, ...rest].reduce((n, e) => n + deaggregate(e.Data, e.PartitionKey).length, 0)).toBe(40);
  });
});

describe('PutRecords collection', () => {
  it('never exceeds 500 records or 5 MiB per call, and keeps entry order', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1, max: KINESIS.maxRecordBytes }), { maxLength: 1200 }), (sizes) => {
      const entries = sizes.map((size, i) => ({ size, i }));
      const batches = splitPutBatches(entries);
      for (const batch of batches) {
        expect(batch.length).toBeGreaterThan(0);
        expect(batch.length).toBeLessThanOrEqual(KINESIS.maxRecordsPerPut);
        expect(batch.reduce((n, e) => n + e.size, 0)).toBeLessThanOrEqual(KINESIS.maxBytesPerPut);
      }
      expect(batches.flat().map((e) => e.i)).toEqual(entries.map((e) => e.i));
    }), { numRuns: 100 });
  });

  it('says a call is full when a limit stopped it, so it goes without waiting', () => {
    expect(nextPutBatch(Array.from({ length: 600 }, () => ({ size: 10 })))).toEqual({ count: 500, full: true });
    expect(nextPutBatch(Array.from({ length: 6 }, () => ({ size: KINESIS.maxRecordBytes })))).toEqual({ count: 5, full: true });
    expect(nextPutBatch([{ size: 10 }, { size: 10 }])).toEqual({ count: 2, full: false });
  });
});

describe('TokenBucket', () => {
  it('allows a burst of one second, then refills at its rate', () => {
    const b = new TokenBucket(1000, 1000, 0);

    expect(b.canTake(1000, 0)).toBe(true);
    b.take(1000, 0);
    expect(b.canTake(1, 0)).toBe(false);
    expect(b.waitMs(100, 0)).toBe(100);
    expect(b.canTake(100, 100)).toBe(true);
  });

  it('lets a take larger than the bucket through when full, then waits out the debt', () => {
    const b = new TokenBucket(1000, 100, 0);

    expect(b.canTake(5000, 0)).toBe(true);
    b.take(5000, 0);
    expect(b.waitMs(100, 0)).toBe(5000);
    expect(b.canTake(1, 4_000)).toBe(false);
    expect(b.canTake(100, 5_000)).toBe(true);
  });

  it('never lets a shard exceed its limit in any one-second window, whatever the sizes', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ gapMs: fc.integer({ min: 0, max: 40 }), size: fc.integer({ min: 1, max: 60_000 }) }), { minLength: 1, maxLength: 400 }),
      (attempts) => {
        const limits = { records: 50, bytes: 200_000 };
        const limiter = new ShardRateLimiter(limits.records, limits.bytes, 0);
        const windows = new Map<number, { records: number; bytes: number }>();
        let t = 0;
        for (const a of attempts) {
          t += a.gapMs;
          if (!limiter.tryTake(a.size, t)) continue;
          const w = windows.get(Math.floor(t / 1000)) ?? { records: 0, bytes: 0 };
          w.records++;
          w.bytes += a.size;
          windows.set(Math.floor(t / 1000), w);
        }
        for (const w of windows.values()) {
          expect(w.records).toBeLessThanOrEqual(limits.records);
          expect(w.bytes).toBeLessThanOrEqual(limits.bytes + 60_000); // one oversized record may borrow ahead
        }
      },
    ), { numRuns: 300 });
  });
});

describe('retry policy', () => {
  it.each([
    ['ProvisionedThroughputExceededException', 400, 'throttled'],
    ['KMSThrottlingException', 400, 'throttled'],
    ['InternalFailure', 500, 'retryable'],
    ['SomethingNew', 503, 'retryable'],
    ['ECONNRESET', undefined, 'retryable'],
    ['ERR_HTTP2_STREAM_CANCEL', undefined, 'retryable'],
    ['TimeoutError', undefined, 'retryable'],
    ['InternalFailure', 200, 'retryable'],
    ['ProvisionedThroughputExceededException', 200, 'throttled'],
    ['CredentialsProviderError', undefined, 'fatal'],
    ['InvalidArgumentException', 400, 'fatal'],
    ['ResourceNotFoundException', 400, 'fatal'],
    ['AccessDeniedException', 400, 'fatal'],
    ['KMSDisabledException', 400, 'fatal'],
    ['KMSInvalidStateException', 400, 'fatal'],
    ['KMSNotFoundException', 400, 'fatal'],
    ['KMSOptInRequired', 400, 'fatal'],
    ['ValidationException', 400, 'fatal'],
  ] as const)('classifies %s (HTTP %s) as %s', (code, status, kind) => {
    expect(classifyFailure(code, status)).toBe(kind);
  });
});

describe('producer options', () => {
  const client = new KinesisClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

  it.each([
    ['no stream', {}],
    ['a negative buffer time', { streamName: 's', maxBufferTimeMs: -1 }],
    ['a zero TTL', { streamName: 's', recordTtlMs: 0 }],
    ['an unknown ordering mode', { streamName: 's', ordering: 'strict' }],
    ['an unknown buffer-full policy', { streamName: 's', onBufferFull: 'drop' }],
    ['a compression level out of range', { streamName: 's', compression: { level: 12 } }],
    ['a zero shard rate', { streamName: 's', shardRateLimit: { recordsPerSec: 0, bytesPerSec: 1 } }],
  ])('refuses %s with ProducerConfigError', (_what, opts) => {
    expect(() => new KinesisProducer({ client, ...(opts as object) })).toThrow(ProducerConfigError);
  });
});

describe('latency histogram', () => {
  it('reports percentiles within a bucket (19%) of the exact values', () => {
    const h = new LatencyHistogram();
    const samples = Array.from({ length: 10_000 }, (_, i) => 1 + (i % 1000) * 0.5);
    for (const ms of samples) h.record(ms);
    const sorted = [...samples].sort((x, y) => x - y);

    for (const p of [0.5, 0.9, 0.99]) {
      const exact = sorted[Math.ceil(p * sorted.length) - 1]!;
      expect(h.percentile(p)).toBeGreaterThanOrEqual(exact);
      expect(h.percentile(p)).toBeLessThanOrEqual(exact * 1.19);
    }
    expect(h.maxMs).toBe(500.5);
    expect(h.count).toBe(10_000);
  });
});
