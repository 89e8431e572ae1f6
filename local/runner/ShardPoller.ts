// One shard of the event source mapping: a reader that polls GetRecords (at most 5
// calls/s, once a pollInterval at the tip) into per-lane queues, and one worker per
// lane (ParallelizationFactor; a partition key always maps to the same lane, so its
// order holds) that batches, invokes, retries, bisects and ages out records. The
// checkpoint only advances over records that are settled without a gap.
import { randomUUID } from 'node:crypto';
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, type _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import { KINESIS, LAMBDA_ESM, backoffDelayMs, fnv1a } from '../../core/index.ts';
import type { BatchResponseOutcome } from './BatchResponse.ts';
import type { CheckpointFile } from './CheckpointFile.ts';
import { toEventRecord, type EventRecordSource } from './KinesisEventRecord.ts';
import { MIN_POLL_GAP_MS, type MappingSettings } from './MappingSettings.ts';
import type { OnFailureDestination } from './OnFailureDestination.ts';
import type { OnFailureRecord } from './types.ts';
import type { RunnerClock } from './RunnerClock.ts';
import { Wakeup } from './Wakeup.ts';

export type ShardStart =
  | { type: 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string }
  | { type: 'TRIM_HORIZON' }
  | { type: 'LATEST' }
  | { type: 'AT_TIMESTAMP'; timestamp: Date };

export interface InvocationResult {
  outcome: BatchResponseOutcome;
  requestId: string;
  /** 'Unhandled' when the function threw or timed out. */
  functionError: string | undefined;
}

/** What a shard poller shares with its runner. */
export interface ShardPollerContext {
  kinesis: KinesisClient;
  streamName: string;
  settings: MappingSettings;
  checkpoints: CheckpointFile;
  destination: OnFailureDestination;
  source: Omit<EventRecordSource, 'shardId'>;
  functionArn: string;
  clock: RunnerClock;
  log: (line: string) => void;
  invoke(shardId: string, records: KinesisStreamRecord[]): Promise<InvocationResult>;
  /** Counters the runner reports in its stats. */
  counters: { batches: number; records: number; errors: number; partialFailures: number; retries: number; bisections: number; recordsToOnFailure: number };
}

interface Pending {
  record: KinesisStreamRecord;
  seq: string;
  arrivalMs: number;
  /** Bytes this record adds to the invocation payload. */
  bytes: number;
  enqueuedAt: number;
  done: boolean;
}

interface Work {
  items: Pending[];
  attempts: number;
  invokes: number;
}

/** `{"Records":[` ... `]}` */
const PAYLOAD_OVERHEAD = 14;

export class ShardPoller {
  private readonly order: Pending[] = [];
  private head = 0;
  private readonly lanes: Pending[][];
  private readonly laneBytes: number[];
  private inFlight = 0;
  private stopping = false;
  private ended = false;
  private finished = false;
  /** clock.elapsed() when the latest read that found the shard at its tip began; -Infinity after a read with records. */
  private tipReadAt = -Infinity;
  private lastCallAt = -Infinity;
  private lastReadSeq: string | undefined;
  private millisBehindLatest: number | undefined;
  private checkpoint: string | undefined;
  private readonly wake = new Wakeup();
  private readonly stopWake = new Wakeup();
  private readonly maxBuffered: number;
  private readonly source: EventRecordSource;

  constructor(
    readonly shardId: string,
    private readonly start: ShardStart,
    private readonly ctx: ShardPollerContext,
    private readonly onFinished: () => void,
  ) {
    const pf = ctx.settings.parallelizationFactor;
    this.lanes = Array.from({ length: pf }, () => []);
    this.laneBytes = new Array<number>(pf).fill(0);
    this.maxBuffered = ctx.settings.batchSize * pf + KINESIS.maxGetRecordsLimit;
    this.source = { ...ctx.source, shardId };
    if (start.type === 'AFTER_SEQUENCE_NUMBER') this.checkpoint = start.sequenceNumber;
  }

  /** Runs until stopped or until the closed shard is drained; true when it finished (children may start). */
  async run(): Promise<boolean> {
    const lanes = this.lanes.map((_, i) => this.laneLoop(i));
    try {
      await this.readLoop();
    } catch (err) {
      this.stop();
      await Promise.allSettled(lanes);
      throw err;
    }
    await Promise.all(lanes);
    if (this.ended && !this.stopping && this.buffered() === 0) {
      this.ctx.checkpoints.finish(this.shardId);
      await this.ctx.checkpoints.save();
      this.finished = true;
      this.onFinished();
    }
    return this.finished;
  }

  /** Stops reading and starting batches; an invocation in flight completes. */
  stop(): void {
    this.stopping = true;
    this.wake.notify();
    this.stopWake.notify();
  }

  /** Read to the tip by a read that began at or after `since`, with nothing buffered or in flight. */
  isIdleSince(since: number): boolean {
    if (this.finished) return true;
    return !this.ended && this.tipReadAt >= since && this.buffered() === 0 && this.inFlight === 0;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  stats() {
    return {
      checkpoint: this.checkpoint, buffered: this.buffered(), inFlightBatches: this.inFlight,
      millisBehindLatest: this.millisBehindLatest, ended: this.ended, finished: this.finished,
    };
  }

  private buffered(): number {
    return this.order.length - this.head;
  }

  // ---- reading -------------------------------------------------------------------

  private sleep(ms: number): Promise<void> {
    return this.stopping ? Promise.resolve() : this.stopWake.wait(ms);
  }

  private backoff(attempt: number): number {
    const { retryBaseDelayMs, retryMaxDelayMs } = this.ctx.settings;
    return backoffDelayMs({ baseMs: retryBaseDelayMs, maxMs: retryMaxDelayMs, jitter: 'none' }, attempt + 1);
  }

  /** Waits so GetRecords and GetShardIterator together stay at 5 calls/s on this shard. */
  private async pace(): Promise<void> {
    const wait = this.lastCallAt + MIN_POLL_GAP_MS - this.ctx.clock.elapsed();
    if (wait > 0) await this.sleep(wait);
    this.lastCallAt = this.ctx.clock.elapsed();
  }

  private async iteratorFor(position: ShardStart): Promise<string | undefined> {
    for (let attempt = 0; !this.stopping; attempt++) {
      await this.pace();
      try {
        const res = await this.ctx.kinesis.send(new GetShardIteratorCommand({
          StreamName: this.ctx.streamName,
          ShardId: this.shardId,
          ShardIteratorType: position.type,
          ...(position.type === 'AFTER_SEQUENCE_NUMBER' ? { StartingSequenceNumber: position.sequenceNumber } : {}),
          ...(position.type === 'AT_TIMESTAMP' ? { Timestamp: position.timestamp } : {}),
        }));
        return res.ShardIterator;
      } catch (err) {
        const name = (err as Error).name;
        if (name === 'ResourceNotFoundException' || name === 'InvalidArgumentException') throw err;
        if (name !== 'ProvisionedThroughputExceededException') this.ctx.log(`${this.shardId}: GetShardIterator failed (${name}: ${(err as Error).message}); retrying`);
        await this.sleep(this.backoff(attempt));
      }
    }
    return undefined;
  }

  private async readLoop(): Promise<void> {
    let iterator = await this.iteratorFor(this.start);
    let failures = 0;
    while (!this.stopping) {
      if (iterator === undefined) {
        this.ended = true;
        this.wake.notify();
        return;
      }
      if (this.buffered() >= this.maxBuffered) {
        await this.wake.wait(100);
        continue;
      }
      await this.pace();
      if (this.stopping) return;
      const startedAt = this.lastCallAt;
      let res;
      try {
        res = await this.ctx.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: KINESIS.maxGetRecordsLimit }));
        failures = 0;
      } catch (err) {
        const name = (err as Error).name;
        if (name === 'ExpiredIteratorException') {
          const resume: ShardStart = this.lastReadSeq ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: this.lastReadSeq } : this.start;
          iterator = await this.iteratorFor(resume);
          continue;
        }
        if (name === 'ResourceNotFoundException') throw err;
        if (name !== 'ProvisionedThroughputExceededException') this.ctx.log(`${this.shardId}: GetRecords failed (${name}: ${(err as Error).message}); retrying`);
        await this.sleep(this.backoff(failures++));
        continue;
      }
      const records = res.Records ?? [];
      this.millisBehindLatest = res.MillisBehindLatest;
      if (records.length) {
        this.enqueue(records);
        this.tipReadAt = -Infinity;
        this.wake.notify();
      } else if (!res.MillisBehindLatest) {
        this.tipReadAt = startedAt;
      }
      iterator = res.NextShardIterator;
      if (!records.length && iterator !== undefined) await this.sleep(this.ctx.settings.pollIntervalMs);
    }
  }

  private enqueue(records: KinesisRecord[]): void {
    const now = this.ctx.clock.elapsed();
    const pf = this.lanes.length;
    for (const r of records) {
      const record = toEventRecord(r, this.source);
      const p: Pending = {
        record,
        seq: record.kinesis.sequenceNumber,
        arrivalMs: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
        bytes: Buffer.byteLength(JSON.stringify(record)) + 1,
        enqueuedAt: now,
        done: false,
      };
      this.order.push(p);
      const lane = pf === 1 ? 0 : laneOf(record.kinesis.partitionKey, pf);
      this.lanes[lane]!.push(p);
      this.laneBytes[lane]! += p.bytes;
    }
    this.lastReadSeq = records[records.length - 1]!.SequenceNumber;
  }

  // ---- invoking ------------------------------------------------------------------

  private async laneLoop(lane: number): Promise<void> {
    const q = this.lanes[lane]!;
    const { batchSize, batchingWindowMs } = this.ctx.settings;
    for (;;) {
      if (this.stopping) return;
      if (q.length === 0) {
        if (this.ended) return;
        await this.wake.wait();
        continue;
      }
      if (batchingWindowMs > 0 && !this.ended && q.length < batchSize && this.laneBytes[lane]! < LAMBDA_ESM.maxPayloadBytes) {
        const wait = q[0]!.enqueuedAt + batchingWindowMs - this.ctx.clock.elapsed();
        if (wait > 0) {
          await this.wake.wait(wait);
          continue;
        }
      }
      const batch = this.take(lane);
      this.inFlight++;
      try {
        if (await this.deliver(batch)) this.ctx.counters.batches++;
      } finally {
        this.inFlight--;
      }
      await this.advanceCheckpoint();
      this.wake.notify();
    }
  }

  /** The next batch of a lane: up to batchSize records within the 6 MB payload (at least one record). */
  private take(lane: number): Pending[] {
    const q = this.lanes[lane]!;
    let bytes = PAYLOAD_OVERHEAD;
    let n = 0;
    while (n < q.length && n < this.ctx.settings.batchSize) {
      const b = q[n]!.bytes;
      if (n > 0 && bytes + b > LAMBDA_ESM.maxPayloadBytes) break;
      bytes += b;
      n++;
    }
    const batch = q.splice(0, n);
    this.laneBytes[lane]! -= bytes - PAYLOAD_OVERHEAD;
    return batch;
  }

  /**
   * Invokes the function until every record of the batch is settled: processed,
   * or described to the on-failure destination. Returns early (leaving records
   * unsettled, so the checkpoint stays before them) when the runner stops.
   */
  private async deliver(batch: Pending[]): Promise<boolean> {
    const s = this.ctx.settings;
    const c = this.ctx.counters;
    const work: Work[] = [{ items: batch, attempts: 0, invokes: 0 }];
    let last: InvocationResult | undefined;
    while (work.length) {
      const w = work[0]!;
      if (s.maximumRecordAgeInSeconds >= 0) {
        const oldest = this.ctx.clock.now() - s.maximumRecordAgeInSeconds * 1000;
        let n = 0;
        while (n < w.items.length && w.items[n]!.arrivalMs < oldest) n++;
        if (n > 0) {
          await this.giveUp(w.items.slice(0, n), 'RecordAgeExceeded', w.invokes, last);
          w.items = w.items.slice(n);
          if (w.items.length === 0) {
            work.shift();
            continue;
          }
        }
      }
      last = await this.ctx.invoke(this.shardId, w.items.map((p) => p.record));
      w.invokes++;
      const outcome = last.outcome;
      if (outcome.kind === 'success') {
        this.settle(w.items);
        work.shift();
        continue;
      }
      c.errors++;
      let remaining = w.items;
      if (outcome.kind === 'partial') {
        c.partialFailures++;
        this.settle(w.items.slice(0, outcome.fromIndex));
        remaining = w.items.slice(outcome.fromIndex);
      }
      if (this.stopping) return false;
      if (outcome.kind === 'failure' && s.bisectBatchOnFunctionError && remaining.length > 1) {
        // Splits do not count as retries.
        const mid = Math.ceil(remaining.length / 2);
        c.bisections++;
        work.splice(0, 1, { items: remaining.slice(0, mid), attempts: w.attempts, invokes: 0 }, { items: remaining.slice(mid), attempts: w.attempts, invokes: 0 });
        continue;
      }
      if (s.maximumRetryAttempts >= 0 && w.attempts >= s.maximumRetryAttempts) {
        await this.giveUp(remaining, 'RetryAttemptsExhausted', w.invokes, last);
        work.shift();
        continue;
      }
      c.retries++;
      await this.sleep(this.backoff(w.attempts));
      if (this.stopping) return false;
      w.items = remaining;
      w.attempts++;
    }
    return true;
  }

  private settle(items: Pending[]): void {
    for (const p of items) p.done = true;
    this.ctx.counters.records += items.length;
  }

  private async giveUp(items: Pending[], condition: OnFailureRecord['requestContext']['condition'], invokes: number, last: InvocationResult | undefined): Promise<void> {
    const first = items[0]!;
    const end = items[items.length - 1]!;
    const record: OnFailureRecord = {
      requestContext: {
        requestId: last?.requestId ?? randomUUID(),
        functionArn: this.ctx.functionArn,
        condition,
        approximateInvokeCount: invokes,
      },
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        ...(last?.functionError ? { functionError: last.functionError } : {}),
      },
      version: '1.0',
      timestamp: new Date(this.ctx.clock.now()).toISOString(),
      KinesisBatchInfo: {
        shardId: this.shardId,
        startSequenceNumber: first.seq,
        endSequenceNumber: end.seq,
        approximateArrivalOfFirstRecord: new Date(first.arrivalMs).toISOString(),
        approximateArrivalOfLastRecord: new Date(end.arrivalMs).toISOString(),
        batchSize: items.length,
        streamArn: this.source.streamArn,
      },
    };
    await this.ctx.destination.send(record);
    this.ctx.counters.recordsToOnFailure += items.length;
    this.settle(items);
  }

  /** Moves the checkpoint over the settled records at the head of the shard and saves it. */
  private async advanceCheckpoint(): Promise<void> {
    let seq: string | undefined;
    while (this.head < this.order.length && this.order[this.head]!.done) seq = this.order[this.head++]!.seq;
    if (this.head > 4096) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
    if (seq === undefined) return;
    this.checkpoint = seq;
    this.ctx.checkpoints.set(this.shardId, seq);
    await this.ctx.checkpoints.save();
  }
}

/** A stable lane per partition key. */
function laneOf(partitionKey: string, lanes: number): number {
  return fnv1a(partitionKey) % lanes;
}
