import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DescribeStreamSummaryCommand, KinesisClient, ListShardsCommand, MergeShardsCommand, PutRecordsCommand, SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { compareSequenceNumbers } from '../core/index.ts';
import { KinesisServer } from '../local/index.ts';
import {
  CheckpointFileError, EventSourceRunner, OnFailureDestination, RunnerConfigError, RunnerNotIdleError, type EventSourceRunnerOptions,
  type OnFailureRecord,
} from '../local/runner/index.ts';

const STREAM = 'events';
/** Explicit hash keys that land in shard 0 and shard 1 of a two-shard stream. */
const SHARD_KEY = ['0', String(2n ** 127n + 1n)];

const servers: KinesisServer[] = [];
const runners: EventSourceRunner[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sluice-runner-'));
  dirs.push(d);
  return d;
}

async function stream(shardCount = 2) {
  const server = await KinesisServer.start({ streams: [{ name: STREAM, shardCount }], shardWriteLimits: false });
  servers.push(server);
  const kinesis = new KinesisClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  return kinesis;
}

/** The server behind the last stream() call, for fault injection. */
const lastServer = () => servers[servers.length - 1]!;

interface Put { data: string; pk?: string; shard?: number }

/** Puts records in order; returns their sequence numbers. */
async function put(kinesis: KinesisClient, records: Put[]): Promise<string[]> {
  const seqs: string[] = [];
  for (let i = 0; i < records.length; i += 500) {
    const res = await kinesis.send(new PutRecordsCommand({
      StreamName: STREAM,
      Records: records.slice(i, i + 500).map((r) => ({
        Data: Buffer.from(r.data), PartitionKey: r.pk ?? 'pk', ...(r.shard !== undefined ? { ExplicitHashKey: SHARD_KEY[r.shard] } : {}),
      })),
    }));
    expect(res.FailedRecordCount).toBe(0);
    seqs.push(...res.Records!.map((r) => r.SequenceNumber!));
  }
  return seqs;
}

const dataOf = (r: KinesisStreamRecord) => Buffer.from(r.kinesis.data, 'base64').toString();

type Handler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse | void>;

function runner(kinesis: KinesisClient, handler: Handler, options: Partial<EventSourceRunnerOptions> = {}) {
  const r = new EventSourceRunner({
    kinesis, streamName: STREAM, functionName: 'fn', handler, pollIntervalMs: 200, retryBaseDelayMs: 10, retryMaxDelayMs: 50,
    log: () => {}, ...options,
  });
  runners.push(r);
  r.start();
  return r;
}

/** A handler that records every invocation and succeeds. */
function recorder() {
  const calls: { records: KinesisStreamRecord[]; context: Context }[] = [];
  const handler: Handler = async (event, context) => {
    calls.push({ records: event.Records, context });
  };
  return { calls, handler, data: () => calls.flatMap((c) => c.records.map(dataOf)) };
}

describe('local event source runner', () => {
  it('delivers every record once, in order per shard, in the Lambda event shape and batch size', async () => {
    const kinesis = await stream();
    const sent = Array.from({ length: 250 }, (_, i) => ({ data: `r${i}`, pk: `k${i % 5}`, shard: i % 2 }));
    const before = Date.now();
    const seqs = await put(kinesis, sent);
    const after = Date.now();
    const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
    const rec = recorder();

    const r = runner(kinesis, rec.handler, { batchSize: 40, functionTimeoutMs: 30_000 });
    await r.waitIdle();

    expect(rec.data().sort()).toEqual(sent.map((s) => s.data).sort());
    expect(Math.max(...rec.calls.map((c) => c.records.length))).toBeLessThanOrEqual(40);
    for (const shard of ['shardId-000000000000', 'shardId-000000000001']) {
      const got = rec.calls.flatMap((c) => c.records).filter((x) => x.eventID.startsWith(shard + ':')).map(dataOf);
      expect(got).toEqual(sent.filter((s) => s.shard === (shard.endsWith('0') ? 0 : 1)).map((s) => s.data));
    }
    expect(rec.calls.every((c) => new Set(c.records.map((x) => x.eventID.split(':')[0])).size === 1)).toBe(true);
    const first = rec.calls.flatMap((c) => c.records).find((x) => dataOf(x) === 'r0')!;
    expect(first).toEqual({
      kinesis: {
        kinesisSchemaVersion: '1.0', partitionKey: 'k0', sequenceNumber: seqs[0], data: Buffer.from('r0').toString('base64'),
        approximateArrivalTimestamp: first.kinesis.approximateArrivalTimestamp,
      },
      eventSource: 'aws:kinesis', eventVersion: '1.0', eventID: `shardId-000000000000:${seqs[0]}`, eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/fn-role', awsRegion: 'us-east-1', eventSourceARN: StreamDescriptionSummary!.StreamARN,
    });
    expect(first.kinesis.approximateArrivalTimestamp).toBeGreaterThanOrEqual(Math.floor(before / 1000) - 1);
    expect(first.kinesis.approximateArrivalTimestamp).toBeLessThanOrEqual(after / 1000 + 1);
    const ctx = rec.calls[0]!.context;
    expect(ctx).toMatchObject({ functionName: 'fn', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', logGroupName: '/aws/lambda/fn' });
    expect(ctx.getRemainingTimeInMillis()).toBeLessThanOrEqual(30_000);
    expect(Number.isInteger(ctx.getRemainingTimeInMillis())).toBe(true);
    expect(new Set(rec.calls.map((c) => c.context.awsRequestId)).size).toBe(rec.calls.length);
    expect(r.stats).toMatchObject({ records: 250, errors: 0, batches: rec.calls.length, invocations: rec.calls.length });
  });

  it('re-delivers from the lowest sequence number a partial batch response reports, and only from there', async () => {
    const kinesis = await stream();
    const seqs = await put(kinesis, Array.from({ length: 10 }, (_, i) => ({ data: `r${i}`, shard: 0 })));
    const calls: string[][] = [];
    const handler: Handler = async (event) => {
      calls.push(event.Records.map(dataOf));
      if (calls.length === 1) return { batchItemFailures: [{ itemIdentifier: seqs[7]! }, { itemIdentifier: seqs[4]! }] };
      return { batchItemFailures: [] };
    };

    const r = runner(kinesis, handler, { batchSize: 100 });
    await r.waitIdle();

    expect(calls).toEqual([
      ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9'],
      ['r4', 'r5', 'r6', 'r7', 'r8', 'r9'],
    ]);
    expect(r.stats).toMatchObject({ partialFailures: 1, records: 10 });
    expect(r.stats.shards['shardId-000000000000']!.checkpoint).toBe(seqs[9]);
  });

  it.each([
    ['an empty itemIdentifier', async () => ({ batchItemFailures: [{ itemIdentifier: '' }] })],
    ['a thrown error', async () => { throw new Error('boom'); }],
  ])('re-delivers the whole batch after %s', async (_, fail) => {
    const kinesis = await stream();
    await put(kinesis, Array.from({ length: 4 }, (_, i) => ({ data: `r${i}`, shard: 1 })));
    const calls: string[][] = [];
    const handler: Handler = async (event) => {
      calls.push(event.Records.map(dataOf));
      if (calls.length === 1) return fail();
    };

    const r = runner(kinesis, handler);
    await r.waitIdle();

    expect(calls).toEqual([['r0', 'r1', 'r2', 'r3'], ['r0', 'r1', 'r2', 'r3']]);
    expect(r.stats.errors).toBe(1);
  });

  it('bisects a failing batch down to the poison record and sends only that one to the on-failure destination', async () => {
    const kinesis = await stream();
    const seqs = await put(kinesis, Array.from({ length: 8 }, (_, i) => ({ data: `r${i}`, shard: 0 })));
    const sizes: number[] = [];
    const processed: string[] = [];
    const failures: OnFailureRecord[] = [];
    const handler: Handler = async (event) => {
      sizes.push(event.Records.length);
      if (event.Records.some((x) => dataOf(x) === 'r5')) throw new Error('poison');
      processed.push(...event.Records.map(dataOf));
    };

    const r = runner(kinesis, handler, { batchSize: 8, bisectBatchOnFunctionError: true, maximumRetryAttempts: 0, onFailure: (f) => { failures.push(f); } });
    await r.waitIdle();

    expect(sizes).toEqual([8, 4, 4, 2, 1, 1, 2]);
    expect(processed).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r6', 'r7']);
    expect(failures).toHaveLength(1);
    expect(failures[0]!.KinesisBatchInfo).toMatchObject({ startSequenceNumber: seqs[5], endSequenceNumber: seqs[5], batchSize: 1 });
    expect(r.stats.shards['shardId-000000000000']!.checkpoint).toBe(seqs[7]);
  });

  it('gives up after MaximumRetryAttempts, writes the Lambda on-failure record, and goes on with the shard', async () => {
    const kinesis = await stream();
    const dir = tempDir();
    const seqs = await put(kinesis, [{ data: 'bad0', shard: 1 }, { data: 'bad1', shard: 1 }, { data: 'bad2', shard: 1 }]);
    const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }));
    const calls: string[][] = [];
    const handler: Handler = async (event) => {
      calls.push(event.Records.map(dataOf));
      if (event.Records.some((x) => dataOf(x).startsWith('bad'))) throw new Error('cannot process');
    };

    const r = runner(kinesis, handler, { maximumRetryAttempts: 2, onFailureDir: join(dir, 'failures') });
    await r.waitIdle();
    await put(kinesis, [{ data: 'good', shard: 1 }]);
    await r.waitIdle();

    expect(calls).toEqual([['bad0', 'bad1', 'bad2'], ['bad0', 'bad1', 'bad2'], ['bad0', 'bad1', 'bad2'], ['good']]);
    const records = OnFailureDestination.read(join(dir, 'failures'));
    expect(records).toHaveLength(1);
    const f = records[0]!;
    expect(Object.keys(f).sort()).toEqual(['KinesisBatchInfo', 'requestContext', 'responseContext', 'timestamp', 'version']);
    expect(f).toMatchObject({
      requestContext: { functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      KinesisBatchInfo: {
        shardId: 'shardId-000000000001', startSequenceNumber: seqs[0], endSequenceNumber: seqs[2], batchSize: 3,
        streamArn: StreamDescriptionSummary!.StreamARN,
      },
    });
    expect(f.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(Number.isNaN(Date.parse(f.timestamp))).toBe(false);
    expect(Date.parse(f.KinesisBatchInfo.approximateArrivalOfFirstRecord)).toBeLessThanOrEqual(Date.parse(f.KinesisBatchInfo.approximateArrivalOfLastRecord));
    expect(r.stats.recordsToOnFailure).toBe(3);
  });

  it('drops records older than MaximumRecordAgeInSeconds to the on-failure destination instead of retrying them', async () => {
    const kinesis = await stream();
    const seqs = await put(kinesis, [{ data: 'old0', shard: 0 }, { data: 'old1', shard: 0 }]);
    let clockOffset = 0;
    let firstCall!: () => void;
    const firstCallSeen = new Promise<void>((ok) => { firstCall = ok; });
    let aged!: (f: OnFailureRecord) => void;
    const agedOut = new Promise<OnFailureRecord>((ok) => { aged = ok; });
    const delivered: string[] = [];
    const handler: Handler = async (event) => {
      firstCall();
      if (event.Records.some((x) => dataOf(x).startsWith('old'))) throw new Error('failing until the records expire');
      delivered.push(...event.Records.map(dataOf));
    };

    const r = runner(kinesis, handler, { maximumRecordAgeInSeconds: 60, clock: () => Date.now() + clockOffset, onFailure: (f) => aged(f) });
    await firstCallSeen;
    clockOffset = 61_000;
    const f = await agedOut;
    clockOffset = 0;
    await put(kinesis, [{ data: 'new', shard: 0 }]);
    await r.waitIdle();

    expect(f.requestContext.condition).toBe('RecordAgeExceeded');
    expect(f.KinesisBatchInfo).toMatchObject({ startSequenceNumber: seqs[0], endSequenceNumber: seqs[1], batchSize: 2 });
    expect(delivered).toEqual(['new']);
  });

  it('runs ParallelizationFactor batches of one shard at once, keeping the order of each partition key', async () => {
    const kinesis = await stream(1);
    const sent = Array.from({ length: 400 }, (_, i) => ({ data: `${i % 16}:${i}`, pk: `key-${i % 16}` }));
    const seqs = await put(kinesis, sent);
    const perKey = new Map<string, number[]>();
    let running = 0;
    let maxRunning = 0;
    const handler: Handler = async (event) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((ok) => setTimeout(ok, 20));
      for (const x of event.Records) {
        const [k, n] = dataOf(x).split(':');
        perKey.set(k!, [...(perKey.get(k!) ?? []), Number(n)]);
      }
      running--;
    };

    const r = runner(kinesis, handler, { parallelizationFactor: 4, batchSize: 10 });
    await r.waitIdle();

    expect(maxRunning).toBeGreaterThan(1);
    expect(maxRunning).toBeLessThanOrEqual(4);
    for (let k = 0; k < 16; k++) {
      expect(perKey.get(String(k))).toEqual(sent.map((_, i) => i).filter((i) => i % 16 === k));
    }
    expect(r.stats.shards['shardId-000000000000']!.checkpoint).toBe(seqs[seqs.length - 1]);
  });

  it('gathers records for MaximumBatchingWindowInSeconds, and invokes at once when the batch is full', async () => {
    const kinesis = await stream();
    const gathered = recorder();
    const full = recorder();

    const windowed = runner(kinesis, gathered.handler, { maximumBatchingWindowInSeconds: 3, batchSize: 100, functionName: 'windowed' });
    await put(kinesis, Array.from({ length: 5 }, (_, i) => ({ data: `a${i}`, shard: 0 })));
    await new Promise((ok) => setTimeout(ok, 400));
    await put(kinesis, Array.from({ length: 5 }, (_, i) => ({ data: `b${i}`, shard: 0 })));
    await windowed.waitIdle();
    const fullBatches = runner(kinesis, full.handler, { maximumBatchingWindowInSeconds: 300, batchSize: 5, functionName: 'full' });
    await fullBatches.waitIdle({ timeoutMs: 60_000 });

    expect(gathered.calls.map((c) => c.records.map(dataOf))).toEqual([['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2', 'b3', 'b4']]);
    expect(full.calls.map((c) => c.records.length)).toEqual([5, 5]);
  });

  it('stops when asked while it is still listing the shards (a stack whose later part failed to start)', async () => {
    const kinesis = await stream();
    let stopping: Promise<void> | undefined;
    let invoked = 0;
    // stop() arrives while ListShards is on the wire: the shards it lists must not start polling after it.
    kinesis.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'ListShardsCommand' && !stopping) stopping = r.stop();
      return next(args);
    }, { step: 'initialize' });
    const r = runner(kinesis, async () => { invoked++; });
    while (!stopping) await new Promise((ok) => setTimeout(ok, 10));

    await stopping; // before the fix, pollers started after stop() ran forever and this never resolved
    await put(kinesis, [{ data: 'after stop', shard: 0 }]);
    await new Promise((ok) => setTimeout(ok, 500)); // a poller left running would read and invoke within its 200 ms poll interval

    expect(invoked).toBe(0);
  });

  it('goes on from its checkpoint file after a graceful stop, finishing the batch in flight, with nothing lost or repeated', async () => {
    const kinesis = await stream();
    const checkpointPath = join(tempDir(), 'fn.json');
    await put(kinesis, Array.from({ length: 30 }, (_, i) => ({ data: `r${i}`, shard: 0 })));
    const first: string[] = [];
    let stopping: Promise<void> | undefined;
    const handler1: Handler = async (event) => {
      if (first.length === 10) {
        stopping = r1.stop();
        await new Promise((ok) => setTimeout(ok, 100)); // still in flight while stop() waits
      }
      first.push(...event.Records.map(dataOf));
    };
    const r1 = runner(kinesis, handler1, { batchSize: 10, checkpointPath });
    while (!stopping) await new Promise((ok) => setTimeout(ok, 10));
    await stopping;
    const saved = JSON.parse(readFileSync(checkpointPath, 'utf8')) as { shards: Record<string, { sequenceNumber?: string; finished?: boolean }> };
    await put(kinesis, Array.from({ length: 5 }, (_, i) => ({ data: `s${i}`, shard: 0 })));
    const second = recorder();

    const r2 = runner(kinesis, second.handler, { batchSize: 10, checkpointPath });
    await r2.waitIdle();

    expect(first).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`));
    expect(saved.shards['shardId-000000000000'].sequenceNumber).toBeDefined();
    expect([...first, ...second.data()]).toEqual([...Array.from({ length: 30 }, (_, i) => `r${i}`), ...Array.from({ length: 5 }, (_, i) => `s${i}`)]);
    expect(existsSync(checkpointPath + '.tmp')).toBe(false);
  });

  it('drains a parent shard before its children after a split, and records it as finished', async () => {
    const kinesis = await stream(1);
    const checkpointPath = join(tempDir(), 'fn.json');
    await put(kinesis, Array.from({ length: 20 }, (_, i) => ({ data: `p${i}`, pk: `k${i}` })));
    const shards = await kinesis.send(new ListShardsCommand({ StreamName: STREAM }));
    await kinesis.send(new SplitShardCommand({ StreamName: STREAM, ShardToSplit: shards.Shards![0]!.ShardId!, NewStartingHashKey: String(2n ** 127n) }));
    while ((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }))).StreamDescriptionSummary!.StreamStatus !== 'ACTIVE') {
      await new Promise((ok) => setTimeout(ok, 20));
    }
    await put(kinesis, Array.from({ length: 20 }, (_, i) => ({ data: `c${i}`, pk: `k${i}` })));
    const rec = recorder();

    const r = runner(kinesis, rec.handler, { checkpointPath, batchSize: 7 });
    await r.waitIdle();

    const order = rec.data();
    expect(order.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}`));
    expect(order.slice(20).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `c${i}`).sort());
    const saved = JSON.parse(readFileSync(checkpointPath, 'utf8')) as { shards: Record<string, { sequenceNumber?: string; finished?: boolean }> };
    expect(saved.shards['shardId-000000000000'].finished).toBe(true);
    expect(Object.keys(r.stats.shards).sort()).toEqual(['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);
  });

  it('drains both parents before the child after a merge', async () => {
    const kinesis = await stream(2);
    await put(kinesis, Array.from({ length: 20 }, (_, i) => ({ data: `p${i}`, shard: i % 2 })));
    await kinesis.send(new MergeShardsCommand({ StreamName: STREAM, ShardToMerge: 'shardId-000000000000', AdjacentShardToMerge: 'shardId-000000000001' }));
    while ((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: STREAM }))).StreamDescriptionSummary!.StreamStatus !== 'ACTIVE') {
      await new Promise((ok) => setTimeout(ok, 20));
    }
    await put(kinesis, Array.from({ length: 10 }, (_, i) => ({ data: `c${i}` })));
    const rec = recorder();

    const r = runner(kinesis, rec.handler, { batchSize: 4 });
    await r.waitIdle();

    const order = rec.data();
    expect(order.slice(0, 20).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `p${i}`).sort());
    expect(order.slice(20)).toEqual(Array.from({ length: 10 }, (_, i) => `c${i}`));
    expect(r.stats.shards['shardId-000000000002']).toMatchObject({ ended: false, finished: false });
    expect(r.stats.shards['shardId-000000000000']!.finished && r.stats.shards['shardId-000000000001']!.finished).toBe(true);
  });

  it('fails an invocation that runs past the function timeout and retries it', async () => {
    const kinesis = await stream();
    await put(kinesis, [{ data: 'slow', shard: 0 }]);
    const remaining: number[] = [];
    const handler: Handler = async (_event, context) => {
      remaining.push(context.getRemainingTimeInMillis());
      if (remaining.length === 1) await new Promise((ok) => setTimeout(ok, 600));
    };

    const r = runner(kinesis, handler, { functionTimeoutMs: 300 });
    await r.waitIdle();

    expect(remaining).toHaveLength(2);
    expect(remaining.every((ms) => ms > 0 && ms <= 300)).toBe(true);
    expect(r.stats.errors).toBe(1);
  });

  it('rejects settings outside what Lambda accepts, naming the setting', () => {
    const base = { kinesis: new KinesisClient({ region: 'us-east-1' }), streamName: STREAM, functionName: 'fn', handler: async () => {} };
    const bad: [Partial<EventSourceRunnerOptions>, string][] = [
      [{ batchSize: 10_001 }, 'batchSize'],
      [{ batchSize: 0 }, 'batchSize'],
      [{ parallelizationFactor: 11 }, 'parallelizationFactor'],
      [{ maximumRecordAgeInSeconds: 30 }, 'maximumRecordAgeInSeconds'],
      [{ maximumRetryAttempts: -2 }, 'maximumRetryAttempts'],
      [{ maximumBatchingWindowInSeconds: 301 }, 'maximumBatchingWindowInSeconds'],
      [{ maxConcurrentInvocations: 0 }, 'maxConcurrentInvocations'],
      [{ maxConcurrentInvocations: 1.5 }, 'maxConcurrentInvocations'],
    ];
    for (const [opts, setting] of bad) {
      expect(() => new EventSourceRunner({ ...base, ...opts })).toThrow(RunnerConfigError);
      expect(() => new EventSourceRunner({ ...base, ...opts })).toThrow(new RegExp(`^${setting}:`));
    }
  });

  it('reports sequence numbers in numeric order within each shard', async () => {
    const kinesis = await stream();
    await put(kinesis, Array.from({ length: 60 }, (_, i) => ({ data: `r${i}`, shard: i % 2 })));
    const rec = recorder();

    const r = runner(kinesis, rec.handler, { batchSize: 7 });
    await r.waitIdle();

    for (const shard of ['shardId-000000000000', 'shardId-000000000001']) {
      const s = rec.calls.flatMap((c) => c.records).filter((x) => x.eventID.startsWith(shard)).map((x) => x.kinesis.sequenceNumber);
      expect(s).toHaveLength(30);
      for (let i = 1; i < s.length; i++) expect(compareSequenceNumbers(s[i - 1]!, s[i]!)).toBeLessThan(0);
    }
  });

  it('keeps every batch under the 6 MB invocation payload, whatever the batch size', async () => {
    const kinesis = await stream();
    for (let i = 0; i < 10; i += 5) await put(kinesis, Array.from({ length: 5 }, (_, j) => ({ data: String(i + j).repeat(900_000), shard: 0 })));
    const payloads: number[] = [];
    let records = 0;
    const handler: Handler = async (event) => {
      payloads.push(Buffer.byteLength(JSON.stringify(event)));
      records += event.Records.length;
    };

    const r = runner(kinesis, handler, { batchSize: 100 });
    await r.waitIdle();

    expect(records).toBe(10);
    expect(payloads.length).toBeGreaterThan(1);
    expect(Math.max(...payloads)).toBeLessThanOrEqual(6_000_000);
  });

  it('rides out throttled and failing GetRecords calls and expired iterators without losing or repeating a record', async () => {
    const kinesis = await stream(1);
    await put(kinesis, Array.from({ length: 30 }, (_, i) => ({ data: `r${i}` })));
    lastServer().faults.failNextCalls('GetRecords', 2, 'ProvisionedThroughputExceededException');
    lastServer().faults.failNextCalls('GetRecords', 1, 'InternalFailure', 500);
    const rec = recorder();

    const r = runner(kinesis, rec.handler, { batchSize: 10 });
    await r.waitIdle();
    lastServer().faults.failNextCalls('GetRecords', 1, 'ExpiredIteratorException');
    await put(kinesis, Array.from({ length: 5 }, (_, i) => ({ data: `s${i}` })));
    await r.waitIdle();

    expect(rec.data()).toEqual([...Array.from({ length: 30 }, (_, i) => `r${i}`), ...Array.from({ length: 5 }, (_, i) => `s${i}`)]);
  });

  it('starts at LATEST without a checkpoint: only records put after it started are delivered', async () => {
    const kinesis = await stream();
    await put(kinesis, [{ data: 'before', shard: 0 }]);
    const rec = recorder();

    const r = runner(kinesis, rec.handler, { startingPosition: 'LATEST' });
    await r.waitIdle();
    await put(kinesis, [{ data: 'after', shard: 0 }]);
    await r.waitIdle();

    expect(rec.data()).toEqual(['after']);
  });

  it('tells waitIdle callers that a shard is stuck on a failing batch instead of hanging when given a timeout', async () => {
    const kinesis = await stream();
    await put(kinesis, [{ data: 'poison', shard: 0 }]);

    const r = runner(kinesis, async () => { throw new Error('always'); });

    await expect(r.waitIdle({ timeoutMs: 1500 })).rejects.toThrow(RunnerNotIdleError);
    expect(r.stats.retries).toBeGreaterThan(0);
    expect(r.stats.shards['shardId-000000000000']!.checkpoint).toBeUndefined();
  });

  it('reads a shard at most 5 times a second, even when told to poll without pause', async () => {
    const kinesis = await stream(1);
    const calls: number[] = [];
    kinesis.middlewareStack.add((next, context) => async (args) => {
      if (context.commandName === 'GetRecordsCommand' || context.commandName === 'GetShardIteratorCommand') calls.push(performance.now());
      return next(args);
    }, { step: 'initialize', name: 'countReads' });
    await put(kinesis, Array.from({ length: 100 }, (_, i) => ({ data: `r${i}` })));
    const rec = recorder();

    const r = runner(kinesis, rec.handler, { pollIntervalMs: 0 });
    await r.waitIdle();
    await new Promise((ok) => setTimeout(ok, 2000));
    await r.stop();

    expect(calls.length).toBeGreaterThan(5);
    // Six calls within 900 ms would mean more than 5 a second (the slack absorbs when a call is observed after it was paced).
    for (const t of calls) expect(calls.filter((u) => u >= t && u < t + 900).length).toBeLessThanOrEqual(5);
    expect(rec.data()).toHaveLength(100);
  });

  it('refuses a checkpoint file that is corrupt or belongs to another function, instead of starting over', async () => {
    const kinesis = await stream();
    const dir = tempDir();
    writeFileSync(join(dir, 'corrupt.json'), '{"version":1,"shar');
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ version: 1, streamName: STREAM, functionName: 'other', shards: {} }));

    const corrupt = runner(kinesis, async () => {}, { checkpointPath: join(dir, 'corrupt.json') });
    const other = runner(kinesis, async () => {}, { checkpointPath: join(dir, 'other.json') });

    await expect(corrupt.waitIdle()).rejects.toThrow(CheckpointFileError);
    await expect(other.waitIdle()).rejects.toThrow(/belongs to other/);
  });
});
