// The aggregator on the real local pipeline: events go through the producer SDK into
// the local Kinesis server, the event-source runner delivers Lambda batches to the
// handler, the handler writes through the local Data API into PostgreSQL. Each Data
// API fault is injected mid-stream; afterwards the rollups must equal the totals of
// the events sent, exactly.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { normalizeEvent } from '../core/index.ts';
import type { SluiceEvent } from '../core/index.ts';
import type { DataApiServer } from '../local/index.ts';
import type { DataApiFixture } from './support/dataApiFixture.ts';
import { pipelineInputs, startPipelineFixture, totalsOf, type PipelineFixture } from './support/pipelineFixture.ts';
import type { EventSourceRunner } from '../local/runner/index.ts';
import { KinesisProducer } from '../producers/index.ts';
import { DataApiSession, fieldNumber, fieldText, TABLES } from '../schema/index.ts';

let pipeline: PipelineFixture;
let fx: DataApiFixture;
let target: DataApiFixture['target'];
let dataApi: DataApiServer;
let kinesis: KinesisClient;
let rds: RDSDataClient;

beforeAll(async () => {
  // A short statement timeout keeps the "delayed past its timeout" fault quick; the
  // fixture's client makes no SDK retries: the handler's own policy is under test.
  pipeline = await startPipelineFixture('faults', { statementTimeoutMs: 1500 });
  ({ data: fx, kinesis } = pipeline);
  ({ target, server: dataApi, client: rds } = fx);
});

afterAll(async () => {
  await pipeline?.close();
});

beforeEach(async () => {
  await pipeline.reset();
});

const inputs = pipelineInputs((i) => ({ user: `u${i % 97}` }));
const makeEvents = (n: number): SluiceEvent[] => inputs(n).map((e) => normalizeEvent(e));
const rollupTotals = () => pipeline.rollupTotals();

interface Pipeline {
  streamName: string;
  producer: KinesisProducer;
  runner: EventSourceRunner;
  send(events: SluiceEvent[]): Promise<void>;
  settle(): Promise<void>;
  stop(): Promise<void>;
}

async function startPipeline(opts: { parallelizationFactor?: number; shards?: number; batchSize?: number; aggregation?: boolean } = {}): Promise<Pipeline> {
  const streamName = await pipeline.createStream(opts.shards ?? 2);
  const producer = new KinesisProducer({ client: kinesis, streamName, maxBufferTimeMs: 20, aggregation: opts.aggregation ?? true });
  const runner = pipeline.startAggregatorRunner(streamName, { batchSize: opts.batchSize ?? 200, ...(opts.parallelizationFactor ? { parallelizationFactor: opts.parallelizationFactor } : {}) });
  return {
    streamName, producer, runner,
    async send(events) {
      await Promise.all(events.map((e) => producer.send(e)));
      await producer.flush();
    },
    async settle() {
      await runner.waitIdle({ timeoutMs: 90_000 });
    },
    async stop() {
      await producer.close();
      await runner.stop();
    },
  };
}

describe.each([
  ['DatabaseResumingException on the next 3 calls', () => dataApi.faults.failNext(3, 'DatabaseResumingException')],
  ['a database resuming for 1.5 s', () => dataApi.faults.resumingFor(1500)],
  ['ServiceUnavailableError on 2 commits', () => dataApi.faults.failNext(2, 'ServiceUnavailableError', { operations: ['CommitTransaction'] })],
  ['a statement delayed past its timeout', () => dataApi.faults.delayNext(1, { operations: ['ExecuteStatement'] })],
  ['a commit whose connection drops after committing', () => dataApi.faults.dropResponseAfterCommit(1, { mode: 'hangup' })],
  ['a commit answered with InternalServerErrorException after committing', () => dataApi.faults.dropResponseAfterCommit(2, { mode: 'error' })],
  ['a permanent BadRequestException (batch reported failed, re-delivered)', () => dataApi.faults.failNext(1, 'BadRequestException', { operations: ['ExecuteStatement'] })],
])('with %s injected mid-stream', (_name, inject) => {
  it('ends with rollups equal to the totals of the events sent', async () => {
    const p = await startPipeline();
    try {
      const first = makeEvents(600);
      const second = makeEvents(600);
      await p.send(first);
      await p.settle();

      inject();
      await p.send(second);
      await p.settle();

      const pending = dataApi.faults.pending();
      expect(pending.failures + pending.delays + pending.drops).toBe(0);
      expect(await rollupTotals()).toEqual(totalsOf([...first, ...second]));
    } finally {
      await p.stop();
    }
  });
});

describe('parallel and repeated delivery', () => {
  it('stays exact with ParallelizationFactor 4 and faults in between', async () => {
    // Plain records, one partition key each: many small batches run side by side per shard.
    const p = await startPipeline({ parallelizationFactor: 4, shards: 2, batchSize: 50, aggregation: false });
    try {
      const events = makeEvents(3000);

      dataApi.faults.failNext(4, 'DatabaseResumingException');
      dataApi.faults.dropResponseAfterCommit(2, { mode: 'hangup' });
      await p.send(events);
      await p.settle();

      expect(p.runner.stats.invocations).toBeGreaterThanOrEqual(60);
      expect(await rollupTotals()).toEqual(totalsOf(events));
    } finally {
      await p.stop();
    }
  });

  it('counts an event written twice by a retrying producer once', async () => {
    const p = await startPipeline();
    try {
      const events = makeEvents(300);

      await p.send(events);
      await p.send(events.slice(0, 100));
      await p.settle();

      expect(await rollupTotals()).toEqual(totalsOf(events));
    } finally {
      await p.stop();
    }
  });

  it('quarantines a poison record in the middle of the stream and applies everything around it', async () => {
    const p = await startPipeline({ shards: 1 });
    try {
      const before = makeEvents(200);
      const after = makeEvents(200);
      await p.send(before);
      await kinesis.send(new PutRecordCommand({ StreamName: p.streamName, PartitionKey: 'poison', Data: Buffer.from('{"type":"click","value":"lots"}') }));
      await p.send(after);

      await p.settle();

      expect(await rollupTotals()).toEqual(totalsOf([...before, ...after]));
      const rows = await new DataApiSession(rds, target).execute(
        `SELECT shard_id, sequence_number::text, convert_from(raw, 'UTF8'), reason FROM ${TABLES.quarantine}`,
      );
      expect(rows).toHaveLength(1);
      expect(fieldText(rows[0]![0])).toBe('shardId-000000000000');
      expect(fieldText(rows[0]![1])).toMatch(/^\d+$/);
      expect(fieldText(rows[0]![2])).toBe('{"type":"click","value":"lots"}');
      expect(fieldText(rows[0]![3])).toMatch(/^invalid event: value:/); // the missing id is derived now; the value is still wrong
      const applied = await new DataApiSession(rds, target).execute(`SELECT count(*) FROM ${TABLES.eventIds}`);
      expect(fieldNumber(applied[0]![0])).toBe(400);
    } finally {
      await p.stop();
    }
  });
});
