// The producer: validates events, places each on its shard (ListShards map + MD5 of
// the partition key), packs same-shard events into KPL aggregates, collects them into
// PutRecords calls within the service limits, keeps each shard under its write rate,
// retries only failed entries with backoff, and bounds what it buffers. Packing,
// collection, rate and retry decisions live in pure modules; this class does the I/O.
import { performance } from 'node:perf_hooks';
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { KINESIS, MiB, awsErrorCode, backoffDelayMs, sleep, type Backoff, type EventInput } from '../core/index.ts';
import { AggregateBuilder, plainEntry, type PutEntry } from './AggregateBuilder.ts';
import {
  BufferFullError, CloseDeadlineError, NonRetryableSendError, ProducerClosedError, ProducerConfigError,
  RetriesExhaustedError, ShardMapError, type ProducerError,
} from './errors.ts';
import { ProducerMetrics, type ProducerMetricsSnapshot } from './ProducerMetrics.ts';
import { nextPutBatch } from './PutBatch.ts';
import { classifyFailure, type FailureKind } from './RetryPolicy.ts';
import { packingSettings, positive } from './PackingSettings.ts';
import { RecordEncoder, type EncodedRecord } from './RecordEncoder.ts';
import { BatchSend, SingleSend, type Settlement } from './Settlement.ts';
import { ShardMap, loadShardMap } from './ShardMap.ts';
import { ShardRateLimiter } from './TokenBucket.ts';
import type { BatchRecord, CloseOptions, CloseReport, ProducerOptions, SendOptions, SendResult, ShardRateLimit } from './types.ts';

/** Queue for events whose hash key no open shard holds (only while the map is stale). */
const UNMAPPED = '(unmapped)';

interface PendingEvent extends EncodedRecord {
  /** performance.now() when send() was called. */
  acceptedAt: number;
  /** Order of acceptance: flush() and close() wait for every event up to a point. */
  seq: number;
  expiresAt: number;
  attempts: number;
  lastCode: string | undefined;
  lastMessage: string | undefined;
  state: 'queued' | 'inflight' | 'settled';
  /** Who hears how it ended, and where: a send()'s promise, or a batch's slot. */
  done: Settlement;
  slot: number;
}

class ShardQueue {
  pending: PendingEvent[] = [];
  /**
   * How many of `pending`, from the front, `builder` holds: events are packed as they
   * arrive, once each, and the aggregate is cut when full or due. Anything that
   * changes the front of `pending` empties the builder (`unpack`).
   */
  packed = 0;
  /** A built record waiting for rate-limit tokens. */
  held: PutEntry<PendingEvent> | undefined;
  /**
   * Records sent whose outcome is unknown (no answer, a dropped connection, a failed
   * call): sent again as they are, byte for byte, before anything else of the shard,
   * so a copy that did land carries the same record identity and the consumer counts
   * it once. Only records Kinesis refused (an ErrorCode in its answer) are repacked.
   */
  resend: PutEntry<PendingEvent>[] = [];
  inFlight = 0;
  failures = 0;
  backoffUntil = 0;
  constructor(readonly shardId: string, readonly limiter: ShardRateLimiter | undefined, readonly builder: AggregateBuilder<PendingEvent>) {}

  unpack(): void {
    if (this.packed > 0) this.builder.reset();
    this.packed = 0;
  }
}

interface ReadyEntry {
  entry: PutEntry<PendingEvent>;
  queue: ShardQueue;
  oldest: number;
  size: number;
}

const now = () => performance.now();
/** What an event counts against `maxBufferedBytes`: its data and partition key. */
const bufferBytes = (item: PendingEvent) => item.dataBytes + item.partitionKeyBytes;
const NO_DATA = Buffer.alloc(0);

export class KinesisProducer {
  private readonly client: KinesisClient;
  private readonly stream: { StreamName?: string; StreamARN?: string };
  private readonly maxBufferTimeMs: number;
  private readonly aggregation: boolean;
  private readonly maxAggregateBytes: number;
  private readonly compressionLevel: number | undefined;
  private readonly rate: ShardRateLimit | false;
  private readonly recordTtlMs: number;
  private readonly backoff: Backoff;
  private readonly maxBufferedBytes: number;
  private readonly maxBufferedEvents: number;
  private readonly onBufferFull: 'wait' | 'reject';
  private readonly ordered: boolean;
  private readonly maxConcurrentPuts: number;
  private readonly maxRecordBytes: number;
  private readonly putTimeoutMs: number;

  private readonly stats = new ProducerMetrics();
  private readonly encoder: RecordEncoder;
  private map: ShardMap | undefined;
  private mapLoading: Promise<void> | undefined;
  private remapping: Promise<void> | undefined;
  private cuttingPaused = false;
  private queues = new Map<string, ShardQueue>();
  private unrouted: PendingEvent[] = [];
  private ready: ReadyEntry[] = [];
  /** Accepted, not settled. */
  private readonly outstanding = new Set<PendingEvent>();
  private acceptedSeq = 0;
  /** flush() and close() calls: each waits for the `left` events it saw outstanding (accepted up to `upTo`). */
  private settledWaiters: { upTo: number; left: number; resolve: () => void }[] = [];
  private bufferedBytes = 0;
  private bufferedEvents = 0;
  private readonly spaceWaiters: { bytes: number; resolve: () => void; reject: (e: ProducerError) => void }[] = [];
  private inFlightCalls = 0;
  private readonly calls = new Set<AbortController>();
  private idleWaiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private flushDepth = 0;
  private closing = false;
  private closed = false;
  private closePromise: Promise<CloseReport> | undefined;
  private closeReport: CloseReport = { sent: 0, unsent: [] };

  constructor(options: ProducerOptions) {
    const o = options;
    if (!o.client) throw new ProducerConfigError('client is required');
    if (!o.streamARN && !o.streamName) throw new ProducerConfigError('streamName or streamARN is required');
    this.client = o.client;
    this.stream = o.streamARN ? { StreamARN: o.streamARN } : { StreamName: o.streamName! };
    this.maxBufferTimeMs = positive('maxBufferTimeMs', o.maxBufferTimeMs ?? 100, true);
    ({ aggregation: this.aggregation, maxAggregateBytes: this.maxAggregateBytes, compressionLevel: this.compressionLevel, maxRecordBytes: this.maxRecordBytes } = packingSettings(o));
    if (o.shardRateLimit) {
      positive('shardRateLimit.recordsPerSec', o.shardRateLimit.recordsPerSec);
      positive('shardRateLimit.bytesPerSec', o.shardRateLimit.bytesPerSec);
    }
    this.rate = o.shardRateLimit === false ? false : (o.shardRateLimit ?? { recordsPerSec: KINESIS.shardWriteRecordsPerSec, bytesPerSec: KINESIS.shardWriteBytesPerSec });
    this.recordTtlMs = positive('recordTtlMs', o.recordTtlMs ?? 30_000);
    this.backoff = { baseMs: positive('backoff.baseMs', o.backoff?.baseMs ?? 100), maxMs: positive('backoff.maxMs', o.backoff?.maxMs ?? 5_000), jitter: 'equal' };
    this.maxBufferedBytes = positive('maxBufferedBytes', o.maxBufferedBytes ?? 64 * MiB);
    this.maxBufferedEvents = positive('maxBufferedEvents', o.maxBufferedEvents ?? 100_000);
    this.onBufferFull = oneOf('onBufferFull', o.onBufferFull ?? 'wait', ['wait', 'reject'] as const);
    this.ordered = oneOf('ordering', o.ordering ?? 'none', ['none', 'perPartitionKey'] as const) === 'perPartitionKey';
    this.maxConcurrentPuts = positive('maxConcurrentPuts', o.maxConcurrentPuts ?? 16);
    this.putTimeoutMs = positive('putTimeoutMs', o.putTimeoutMs ?? 30_000);
    this.encoder = new RecordEncoder(this.aggregation, this.maxRecordBytes);
  }

  /** Counters and the send-to-acknowledgement latency histogram, as of now. */
  get metrics(): ProducerMetricsSnapshot {
    return this.stats.snapshot(this.bufferedEvents, this.bufferedBytes);
  }

  /**
   * Validates and queues one event. Resolves once Kinesis has acknowledged it, with
   * its shard and sequence number; rejects with EventValidationError (bad event),
   * InvalidRoutingKeyError, RecordTooLargeError, BufferFullError, ProducerClosedError,
   * ShardMapError, NonRetryableSendError, RetriesExhaustedError or CloseDeadlineError.
   */
  send(input: EventInput, opts?: SendOptions): Promise<SendResult> {
    const one = new SingleSend();
    void this.submit(input, opts, one, 0);
    return one.promise;
  }

  /**
   * Sends many events with one promise: for each record what send() does, in order.
   * Resolves once every event has settled, with one outcome per record in input
   * order (the shape Promise.allSettled gives); never rejects. When the buffer is
   * full and `onBufferFull` is 'wait', it waits for room event by event.
   */
  async sendBatch(records: readonly BatchRecord[]): Promise<PromiseSettledResult<SendResult>[]> {
    const batch = new BatchSend(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const waiting = this.submit(r.event, r, batch, i);
      if (waiting) await waiting;
    }
    return batch.promise;
  }

  /**
   * Validates and queues one event, telling `done` at `slot` how it ends. Returns a
   * promise only when the event waits for buffer room.
   */
  private submit(input: EventInput, opts: SendOptions | undefined, done: Settlement, slot: number): Promise<void> | undefined {
    const t0 = now();
    if (this.closing) {
      done.rejected(slot, new ProducerClosedError('producer is closed'));
      return undefined;
    }
    let item: PendingEvent;
    try {
      item = this.prepare(input, opts, t0, done, slot);
    } catch (err) {
      this.stats.eventsRejected++;
      done.rejected(slot, err as Error);
      return undefined;
    }
    const bytes = bufferBytes(item);
    if (this.spaceWaiters.length > 0 || !this.fits(bytes)) {
      if (this.onBufferFull === 'reject') {
        this.stats.eventsRejected++;
        done.rejected(slot, this.bufferedEvents + 1 > this.maxBufferedEvents
          ? new BufferFullError('events', this.maxBufferedEvents)
          : new BufferFullError('bytes', this.maxBufferedBytes));
        return undefined;
      }
      return new Promise<void>((resolve, reject) => this.spaceWaiters.push({ bytes, resolve, reject }))
        .then(() => this.accept(item, now()), (err: Error) => done.rejected(slot, err));
    }
    this.bufferedBytes += bytes;
    this.bufferedEvents++;
    this.accept(item, t0);
    return undefined;
  }

  /** Takes an event whose buffer space is reserved. */
  private accept(item: PendingEvent, t: number): void {
    item.expiresAt = t + this.recordTtlMs;
    item.seq = ++this.acceptedSeq;
    this.outstanding.add(item);
    this.route(item);
  }

  /** Sends everything buffered now; resolves when every event sent before the call has settled. */
  async flush(): Promise<void> {
    if (this.outstanding.size === 0) return;
    const settled = this.whenSettled();
    this.flushDepth++;
    try {
      this.drain();
      await settled;
    } finally {
      this.flushDepth--;
    }
  }

  /**
   * Stops accepting events, sends what is buffered and waits for it, up to
   * `deadline`. What is not acknowledged by then rejects with CloseDeadlineError;
   * the report lists every event that failed during close.
   */
  close(options: CloseOptions = {}): Promise<CloseReport> {
    this.closePromise ??= this.doClose(options);
    return this.closePromise;
  }

  private async doClose(options: CloseOptions): Promise<CloseReport> {
    this.closing = true;
    for (const w of this.spaceWaiters.splice(0)) w.reject(new ProducerClosedError('producer closed while send() waited for buffer space'));
    const all = this.whenSettled();
    this.flushDepth++;
    this.drain();
    const deadline = options.deadline instanceof Date ? options.deadline.getTime() : options.deadline;
    let deadlineTimer: NodeJS.Timeout | undefined;
    const timedOut = deadline === undefined
      ? await all.then(() => false)
      : await Promise.race([
        all.then(() => false),
        new Promise<boolean>((resolve) => { deadlineTimer = setTimeout(() => resolve(true), Math.max(0, deadline - Date.now())); }),
      ]);
    clearTimeout(deadlineTimer);
    if (timedOut) {
      for (const q of this.queues.values()) {
        for (const entry of q.resend.splice(0)) for (const item of entry.items) this.fail(item, new CloseDeadlineError(true, { eventId: item.id }));
      }
      for (const item of [...this.outstanding]) if (item.state === 'queued') this.fail(item, new CloseDeadlineError(false, { eventId: item.id }));
      this.unrouted = [];
      this.ready = [];
      for (const q of this.queues.values()) {
        q.pending = [];
        q.unpack();
        q.held = undefined;
      }
      for (const c of this.calls) c.abort();
      await all;
    }
    this.closed = true;
    this.clearTimer();
    this.flushDepth--;
    return this.closeReport;
  }

  // ---- accepting ---------------------------------------------------------------

  private prepare(input: EventInput, opts: SendOptions | undefined, t0: number, done: Settlement, slot: number): PendingEvent {
    const item: PendingEvent = {
      id: '', partitionKey: '', partitionKeyBytes: 0, explicitHashKey: undefined, hashKeyHex: '', data: NO_DATA, dataOffset: 0, dataBytes: 0,
      acceptedAt: t0, seq: 0, expiresAt: 0, attempts: 0, lastCode: undefined, lastMessage: undefined,
      state: 'queued', done, slot,
    };
    return this.encoder.encodeInto(input, opts, item);
  }

  private fits(bytes: number): boolean {
    if (this.bufferedEvents === 0) return true; // one oversized event must still get through
    return this.bufferedEvents + 1 <= this.maxBufferedEvents && this.bufferedBytes + bytes <= this.maxBufferedBytes;
  }

  private release(item: PendingEvent): void {
    this.bufferedBytes -= bufferBytes(item);
    this.bufferedEvents--;
    while (this.spaceWaiters.length > 0 && this.fits(this.spaceWaiters[0]!.bytes)) {
      const w = this.spaceWaiters.shift()!;
      this.bufferedBytes += w.bytes;
      this.bufferedEvents++;
      w.resolve();
    }
  }

  // ---- routing -------------------------------------------------------------------

  private route(item: PendingEvent): void {
    if (!this.map) {
      this.unrouted.push(item);
      this.mapLoading ??= this.loadInitialMap();
      return;
    }
    const q = this.queueFor(item);
    q.pending.push(item);
    if (!this.cuttingPaused && !this.closed) {
      const t = now();
      this.cutShard(q, false, t);
      if (this.ready.length > 0) this.emit(false, t);
      this.ensureTimer(item.acceptedAt + this.maxBufferTimeMs);
    }
  }

  private queueFor(item: PendingEvent): ShardQueue {
    const shardId = this.map!.shardFor(item.hashKeyHex) ?? UNMAPPED;
    if (shardId === UNMAPPED) this.requestRemap();
    let q = this.queues.get(shardId);
    if (!q) {
      q = this.newQueue(shardId);
      this.queues.set(shardId, q);
    }
    return q;
  }

  private newQueue(shardId: string): ShardQueue {
    const limiter = this.rate ? new ShardRateLimiter(this.rate.recordsPerSec, this.rate.bytesPerSec, now()) : undefined;
    return new ShardQueue(shardId, limiter, new AggregateBuilder<PendingEvent>(this.maxAggregateBytes));
  }

  private async loadInitialMap(): Promise<void> {
    try {
      this.applyMap(await this.fetchMap());
    } catch (err) {
      const error = err instanceof ShardMapError ? err : new ShardMapError(`cannot list the shards of the stream: ${(err as Error).message}`, { cause: err });
      for (const item of this.unrouted.splice(0)) this.fail(item, error);
    } finally {
      this.mapLoading = undefined;
    }
    this.drain();
  }

  /** ListShards, retrying retryable failures with backoff for up to the record TTL. */
  private async fetchMap(): Promise<ShardMap> {
    const giveUpAt = now() + this.recordTtlMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const map = await loadShardMap(this.client, this.stream);
        if (map.ranges.length === 0) throw new ShardMapError('the stream has no open shards');
        return map;
      } catch (err) {
        const { code, status } = awsErrorCode(err);
        const delay = backoffDelayMs(this.backoff, attempt);
        if (err instanceof ShardMapError || classifyFailure(code, status) === 'fatal' || now() + delay > giveUpAt || this.closed) {
          throw err instanceof ShardMapError ? err : new ShardMapError(`ListShards failed: ${code}: ${(err as Error).message}`, { cause: err });
        }
        await sleep(delay);
      }
    }
  }

  /** Re-learns the shard map after a put landed on an unexpected shard (a reshard). */
  private requestRemap(): void {
    if (this.remapping || !this.map) return;
    this.cuttingPaused = true;
    this.remapping = (async () => {
      try {
        const map = await this.fetchMap();
        // In ordering mode nothing may be in flight while events move to new shards,
        // or a retried event could land behind a later one of the same key.
        if (this.ordered) await this.whenIdle();
        this.applyMap(map);
      } catch {
        // Keep the old map: puts still land (Kinesis routes by hash key), and the next
        // unexpected shard asks again.
      } finally {
        this.cuttingPaused = false;
        this.remapping = undefined;
        this.drain();
      }
    })();
  }

  private whenIdle(): Promise<void> {
    if (this.inFlightCalls === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Installs a new map and moves every queued event to its shard's queue, keeping their order. */
  private applyMap(map: ShardMap): void {
    this.map = map;
    const moving: PendingEvent[] = [];
    const resending: PutEntry<PendingEvent>[] = [];
    for (const q of this.queues.values()) {
      resending.push(...q.resend.splice(0));
      if (q.held) moving.push(...q.held.items);
      moving.push(...q.pending);
      q.held = undefined;
      q.pending = [];
      q.unpack();
    }
    const old = this.queues;
    this.queues = new Map();
    for (const id of map.shardIds) this.queues.set(id, old.get(id) ?? this.newQueue(id));
    // Kinesis routes a resent record by its explicit hash key (its first event's), wherever that shard is now.
    for (const entry of resending) this.queueFor(entry.items[0]!).resend.push(entry);
    for (const item of moving) this.requeue(item, false);
    for (const item of this.unrouted.splice(0)) this.requeue(item, false);
  }

  private requeue(item: PendingEvent, front: boolean): ShardQueue {
    item.state = 'queued';
    const q = this.queueFor(item);
    if (front) {
      q.pending.unshift(item);
      q.unpack();
    } else {
      q.pending.push(item);
    }
    return q;
  }

  // ---- packing and collection -----------------------------------------------------

  /**
   * Runs the send loop once: cuts aggregates from every shard that may send,
   * emits PutRecords calls, and sets the timer for the next moment something is due.
   */
  private drain(): void {
    if (this.closed) return;
    const t = now();
    const force = this.flushDepth > 0;
    if (!this.cuttingPaused) {
      // When any shard is due, shards half-way due go along, so one call carries them.
      let anyDue = force;
      if (!anyDue) {
        for (const q of this.queues.values()) {
          if (q.pending.length && t - q.pending[0]!.acceptedAt >= this.maxBufferTimeMs) { anyDue = true; break; }
        }
      }
      const dueAge = anyDue ? this.maxBufferTimeMs / 2 : this.maxBufferTimeMs;
      for (const q of this.queues.values()) {
        if (q.pending.length || q.held || q.resend.length) this.cutShard(q, force || (q.pending.length > 0 && t - q.pending[0]!.acceptedAt >= dueAge), t);
      }
    }
    this.emit(force, t);
    this.scheduleNext(t);
  }

  /** Cuts records from one shard's queue: all of it when `due`, else only full aggregates. */
  private cutShard(q: ShardQueue, due: boolean, t: number): void {
    for (;;) {
      if (this.ordered && q.inFlight > 0) return;
      if (t < q.backoffUntil) return;
      if (q.resend.length > 0) {
        const entry = q.resend[0]!;
        if (lastExpiry(entry) <= t || this.closed) {
          q.resend.shift();
          for (const item of entry.items) this.fail(item, this.expiredError(item));
          continue;
        }
        if (q.limiter && !q.limiter.tryTake(entry.size, t)) return;
        q.resend.shift();
        this.dispatch(q, entry);
        continue;
      }
      if (q.held) {
        if (q.limiter && !q.limiter.tryTake(q.held.size, t)) return;
        const held = q.held;
        q.held = undefined;
        this.dispatch(q, held);
        continue;
      }
      while (q.pending.length && q.pending[0]!.expiresAt <= t) {
        q.unpack();
        const item = q.pending.shift()!;
        this.fail(item, this.expiredError(item));
      }
      if (q.pending.length === 0) return;
      let entry: PutEntry<PendingEvent>;
      let taken: number;
      if (!this.aggregation || q.shardId === UNMAPPED) {
        taken = 1;
        entry = plainEntry(q.pending[0]!);
      } else {
        // Pack what arrived since the last cut; send when full, or when due.
        const b = q.builder;
        const pending = q.pending;
        let full = false;
        while (q.packed < pending.length) {
          if (!b.tryAdd(pending[q.packed]!)) { full = true; break; }
          q.packed++;
        }
        if (!full && !due) return;
        entry = b.build(this.compressionLevel);
        taken = q.packed;
        q.packed = 0;
      }
      q.pending.splice(0, taken);
      if (q.limiter && !q.limiter.tryTake(entry.size, t)) {
        q.held = entry;
        return;
      }
      this.dispatch(q, entry);
    }
  }

  private dispatch(q: ShardQueue, entry: PutEntry<PendingEvent>): void {
    q.inFlight++;
    let oldest = Infinity;
    for (const item of entry.items) if (item.acceptedAt < oldest) oldest = item.acceptedAt;
    this.ready.push({ entry, queue: q, oldest, size: entry.size });
  }

  /** Sends ready records in calls: full calls at once, partial ones when due or forced. */
  private emit(force: boolean, t: number): void {
    while (this.ready.length > 0 && this.inFlightCalls < this.maxConcurrentPuts) {
      const { count, full } = nextPutBatch(this.ready);
      if (!full && !force && t - this.ready[0]!.oldest < this.maxBufferTimeMs / 2) {
        let due = false;
        for (let i = 0; i < count && !due; i++) due = t - this.ready[i]!.oldest >= this.maxBufferTimeMs;
        if (!due) break;
      }
      void this.put(this.ready.splice(0, count));
    }
  }

  private scheduleNext(t: number): void {
    let next = Infinity;
    const force = this.flushDepth > 0;
    if (!this.cuttingPaused) {
      for (const q of this.queues.values()) {
        if (this.ordered && q.inFlight > 0) continue;
        const waiting = q.resend[0] ?? q.held;
        if (waiting) {
          next = Math.min(next, Math.max(q.backoffUntil, t + (q.limiter ? q.limiter.waitMs(waiting.size, t) : 0)));
        } else if (q.pending.length) {
          next = Math.min(next, Math.max(q.backoffUntil, force ? t : q.pending[0]!.acceptedAt + this.maxBufferTimeMs));
        }
      }
    }
    if (this.ready.length && this.inFlightCalls < this.maxConcurrentPuts) next = Math.min(next, this.ready[0]!.oldest + this.maxBufferTimeMs);
    if (next === Infinity) return;
    this.ensureTimer(Math.max(next, t + 1));
  }

  private ensureTimer(at: number): void {
    if (this.timer && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.drain();
    }, Math.max(0, at - now()));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  // ---- putting -------------------------------------------------------------------

  private async put(batch: ReadyEntry[]): Promise<void> {
    this.inFlightCalls++;
    this.stats.putCalls++;
    const abort = new AbortController();
    this.calls.add(abort);
    // A call with no answer may or may not have written its records; after the
    // timeout it is retried like a network fault (the event ids tell duplicates).
    let timedOut = false;
    const timeout = setTimeout(() => { timedOut = true; abort.abort(); }, this.putTimeoutMs);
    for (const r of batch) for (const item of r.entry.items) { item.state = 'inflight'; item.attempts++; }
    try {
      const out = await this.client.send(new PutRecordsCommand({
        ...this.stream,
        Records: batch.map(({ entry }) => (entry.ExplicitHashKey === undefined
          ? { Data: entry.Data, PartitionKey: entry.PartitionKey }
          : { Data: entry.Data, PartitionKey: entry.PartitionKey, ExplicitHashKey: entry.ExplicitHashKey })),
      }), { abortSignal: abort.signal });
      const results = out.Records ?? [];
      for (let i = 0; i < batch.length; i++) {
        const r = results[i];
        const ready = batch[i]!;
        if (r?.SequenceNumber && r.ShardId) this.acknowledged(ready, r.ShardId, r.SequenceNumber);
        else if (r?.ErrorCode) this.failed(ready, r.ErrorCode, r.ErrorMessage ?? '', classifyFailure(r.ErrorCode, 200), undefined, 'refused');
        else this.failed(ready, 'InternalFailure', 'no result for this record', 'retryable', undefined, 'unknown');
      }
    } catch (err) {
      if (timedOut) {
        for (const r of batch) this.failed(r, 'TimeoutError', `PutRecords gave no answer within ${this.putTimeoutMs} ms`, 'retryable', err, 'unknown');
      } else if (abort.signal.aborted) {
        for (const r of batch) {
          r.queue.inFlight--;
          for (const item of r.entry.items) this.fail(item, new CloseDeadlineError(true, { eventId: item.id }));
        }
      } else {
        // A whole call that failed may still have written its records (a 5xx, a dropped
        // connection): what it carried goes again unchanged.
        const { code, status } = awsErrorCode(err);
        const kind = classifyFailure(code, status);
        for (const r of batch) this.failed(r, code, (err as Error).message, kind, err, 'unknown');
      }
    } finally {
      clearTimeout(timeout);
      this.calls.delete(abort);
      this.inFlightCalls--;
      if (this.inFlightCalls === 0 && this.ready.length === 0) for (const w of this.idleWaiters.splice(0)) w();
      this.drain();
    }
  }

  private acknowledged(ready: ReadyEntry, shardId: string, sequenceNumber: string): void {
    const q = ready.queue;
    q.inFlight--;
    q.failures = 0;
    if (shardId !== q.shardId) this.requestRemap();
    const { entry } = ready;
    this.stats.kinesisRecords++;
    this.stats.kinesisBytes += entry.size;
    const t = now();
    for (let i = 0; i < entry.items.length; i++) {
      const item = entry.items[i]!;
      if (item.state === 'settled') continue;
      this.settle(item);
      this.stats.eventsSent++;
      this.stats.latency.record(t - item.acceptedAt);
      if (this.closing) this.closeReport.sent++;
      item.done.fulfilled(item.slot, { eventId: item.id, shardId, sequenceNumber, subSequenceNumber: entry.aggregated ? i : 0, attempts: item.attempts });
    }
  }

  /**
   * A record that did not land for sure. `outcome` 'refused': Kinesis answered with an
   * ErrorCode for it, so it was not written and its events may be repacked. 'unknown':
   * it may have been written, so it is sent again byte for byte (queue `resend`) until
   * its last event's time-to-live.
   */
  private failed(ready: ReadyEntry, code: string, message: string, kind: FailureKind, cause: unknown, outcome: 'refused' | 'unknown'): void {
    const q = ready.queue;
    q.inFlight--;
    const items = ready.entry.items;
    if (kind === 'fatal') {
      for (const item of items) this.fail(item, new NonRetryableSendError(code, message, { cause, eventId: item.id }));
      return;
    }
    const t = now();
    q.failures++;
    q.backoffUntil = Math.max(q.backoffUntil, t + backoffDelayMs(this.backoff, q.failures));
    if (kind === 'throttled') this.stats.eventsThrottled += items.length;
    if (outcome === 'unknown') {
      for (const item of items) {
        item.state = 'queued';
        item.lastCode = code;
        item.lastMessage = message;
      }
      if (lastExpiry(ready.entry) <= t || this.closed) {
        for (const item of items) this.fail(item, this.expiredError(item));
        return;
      }
      this.stats.eventsRetried += items.length;
      this.stats.recordsResent++;
      q.resend.push(ready.entry);
      return;
    }
    const retry: PendingEvent[] = [];
    for (const item of items) {
      if (item.state === 'settled') continue;
      item.lastCode = code;
      item.lastMessage = message;
      if (item.expiresAt <= t || this.closed) this.fail(item, this.expiredError(item));
      else retry.push(item);
    }
    this.stats.eventsRetried += retry.length;
    // Back to the front of their queues in their original order, ahead of newer events.
    for (let i = retry.length - 1; i >= 0; i--) this.requeue(retry[i]!, true);
  }

  private expiredError(item: PendingEvent): RetriesExhaustedError {
    const code = item.lastCode ?? 'NotSent';
    const why = item.lastCode ? `last error ${item.lastCode}: ${item.lastMessage}` : 'it could not be sent within the shard rate limit';
    return new RetriesExhaustedError(code, item.attempts, `event ${item.id} not acknowledged within its ${this.recordTtlMs} ms time-to-live after ${item.attempts} attempt(s); ${why}`, { eventId: item.id });
  }

  private settle(item: PendingEvent): void {
    item.state = 'settled';
    this.outstanding.delete(item);
    this.release(item);
    if (this.settledWaiters.length > 0) this.countSettled(item);
  }

  /** Resolves once every event accepted so far has settled. */
  private whenSettled(): Promise<void> {
    if (this.outstanding.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push({ upTo: this.acceptedSeq, left: this.outstanding.size, resolve }));
  }

  private countSettled(item: PendingEvent): void {
    const waiters = this.settledWaiters;
    for (let i = 0; i < waiters.length; i++) {
      const w = waiters[i]!;
      // Every outstanding event was accepted at or before a later waiter's point.
      if (item.seq <= w.upTo && --w.left === 0) {
        w.resolve();
        waiters.splice(i--, 1);
      }
    }
  }

  private fail(item: PendingEvent, error: ProducerError): void {
    if (item.state === 'settled') return;
    this.settle(item);
    this.stats.eventsFailed++;
    if (this.closing) this.closeReport.unsent.push({ eventId: item.id, partitionKey: item.partitionKey, error });
    item.done.rejected(item.slot, error);
  }
}

/** When the last event of a record runs out of time-to-live: a record resent unchanged lives as long as its longest-lived event. */
function lastExpiry(entry: PutEntry<PendingEvent>): number {
  let last = 0;
  for (const item of entry.items) if (item.expiresAt > last) last = item.expiresAt;
  return last;
}

function oneOf<T extends string>(name: string, v: T, allowed: readonly T[]): T {
  if (!allowed.includes(v)) throw new ProducerConfigError(`${name} must be one of ${allowed.join(', ')}, got ${String(v)}`);
  return v;
}
