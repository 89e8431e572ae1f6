// The producer: validates events, places each on its shard (ListShards map + MD5 of
// the partition key), packs same-shard events into KPL aggregates, collects them into
// PutRecords calls within the service limits, keeps each shard under its write rate,
// retries only failed entries with backoff, and bounds what it buffers. This class is
// the flow and its I/O: the budget (BufferBudget), the shard queues (ShardRouter,
// ShardQueue), the flush/close waiters (OutstandingEvents) and the packing, collection,
// rate and retry decisions each live in their own module.
import { performance } from 'node:perf_hooks';
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { awsErrorCode, backoffDelayMs, type EventInput } from '../core/index.ts';
import { plainEntry, type PutEntry } from './AggregateBuilder.ts';
import { BufferBudget } from './BufferBudget.ts';
import {
  CloseDeadlineError, NonRetryableSendError, ProducerClosedError, RetriesExhaustedError, type ProducerError, type ShardMapError,
} from './errors.ts';
import { OutstandingEvents } from './OutstandingEvents.ts';
import { blankPendingEvent, bufferBytes, lastExpiry, type PendingEvent } from './PendingEvent.ts';
import { ProducerMetrics, type ProducerMetricsSnapshot } from './ProducerMetrics.ts';
import { producerSettings, type ProducerSettings } from './ProducerSettings.ts';
import { nextPutBatch } from './PutBatch.ts';
import { classifyFailure, type FailureKind } from './RetryPolicy.ts';
import { RecordEncoder } from './RecordEncoder.ts';
import { BatchSend, SingleSend, type Settlement } from './Settlement.ts';
import { UNMAPPED, type ShardQueue } from './ShardQueue.ts';
import { ShardRouter } from './ShardRouter.ts';
import type { BatchRecord, CloseOptions, CloseReport, ProducerOptions, SendOptions, SendResult } from './types.ts';

/** A record cut from its shard's queue, waiting for a PutRecords call. */
interface ReadyEntry {
  entry: PutEntry<PendingEvent>;
  queue: ShardQueue;
  oldest: number;
  size: number;
}

const now = () => performance.now();

export class KinesisProducer {
  private readonly settings: ProducerSettings;
  private readonly stats = new ProducerMetrics();
  private readonly encoder: RecordEncoder;
  private readonly budget: BufferBudget;
  private readonly outstanding = new OutstandingEvents<PendingEvent>();
  private readonly router: ShardRouter;
  private ready: ReadyEntry[] = [];
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
    const s = producerSettings(options);
    this.settings = s;
    this.encoder = new RecordEncoder(s.aggregation, s.maxRecordBytes);
    this.budget = new BufferBudget(s.maxBufferedBytes, s.maxBufferedEvents);
    this.router = new ShardRouter(s, {
      isClosed: () => this.closed,
      whenIdle: () => this.whenIdle(),
      mapFailed: (items, error) => this.mapFailed(items, error),
      resume: () => this.drain(),
    });
  }

  /** Counters and the send-to-acknowledgement latency histogram, as of now. */
  get metrics(): ProducerMetricsSnapshot {
    return this.stats.snapshot(this.budget.bufferedEvents, this.budget.bufferedBytes);
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
      item = this.encoder.encodeInto(input, opts, blankPendingEvent(t0, done, slot));
    } catch (err) {
      this.stats.eventsRejected++;
      done.rejected(slot, err as Error);
      return undefined;
    }
    const bytes = bufferBytes(item);
    if (!this.budget.tryReserve(bytes)) {
      if (this.settings.onBufferFull === 'reject') {
        this.stats.eventsRejected++;
        done.rejected(slot, this.budget.fullError());
        return undefined;
      }
      return this.budget.whenRoom(bytes).then(() => this.accept(item, now()), (err: Error) => done.rejected(slot, err));
    }
    this.accept(item, t0);
    return undefined;
  }

  /** Takes an event whose buffer space is reserved, and puts it in its shard's queue. */
  private accept(item: PendingEvent, from: number): void {
    item.expiresAt = from + this.settings.recordTtlMs;
    this.outstanding.add(item);
    const q = this.router.route(item);
    // Pack it now, and send what that completes; its shard is due maxBufferTimeMs from now.
    if (q && !this.router.paused && !this.closed) {
      const t = now();
      this.cutShard(q, false, t);
      if (this.ready.length > 0) this.emit(false, t);
      this.ensureTimer(item.acceptedAt + this.settings.maxBufferTimeMs);
    }
  }

  /** Sends everything buffered now; resolves when every event sent before the call has settled. */
  async flush(): Promise<void> {
    if (this.outstanding.size === 0) return;
    const settled = this.outstanding.whenSettled();
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
    this.budget.rejectWaiters(new ProducerClosedError('producer closed while send() waited for buffer space'));
    const all = this.outstanding.whenSettled();
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
      for (const q of this.router.queues.values()) {
        for (const entry of q.resend.splice(0)) for (const item of entry.items) this.fail(item, new CloseDeadlineError(true, { eventId: item.id }));
      }
      for (const item of this.outstanding.snapshot()) if (item.state === 'queued') this.fail(item, new CloseDeadlineError(false, { eventId: item.id }));
      this.ready = [];
      this.router.clear();
      for (const c of this.calls) c.abort();
      await all;
    }
    this.closed = true;
    this.clearTimer();
    this.flushDepth--;
    return this.closeReport;
  }

  // ---- what the shard router asks of the flow -------------------------------------

  private whenIdle(): Promise<void> {
    if (this.inFlightCalls === 0 && this.ready.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private mapFailed(items: readonly PendingEvent[], error: ShardMapError): void {
    for (const item of items) this.fail(item, error);
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
    const { maxBufferTimeMs } = this.settings;
    if (!this.router.paused) {
      // When any shard is due, shards half-way due go along, so one call carries them.
      let anyDue = force;
      if (!anyDue) {
        for (const q of this.router.queues.values()) {
          if (q.pending.length && t - q.pending[0]!.acceptedAt >= maxBufferTimeMs) { anyDue = true; break; }
        }
      }
      const dueAge = anyDue ? maxBufferTimeMs / 2 : maxBufferTimeMs;
      for (const q of this.router.queues.values()) {
        if (q.pending.length || q.held || q.resend.length) this.cutShard(q, force || (q.pending.length > 0 && t - q.pending[0]!.acceptedAt >= dueAge), t);
      }
    }
    this.emit(force, t);
    this.scheduleNext(t);
  }

  /** Cuts records from one shard's queue: all of it when `due`, else only full aggregates. */
  private cutShard(q: ShardQueue, due: boolean, t: number): void {
    for (;;) {
      if (this.settings.ordered && q.inFlight > 0) return;
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
      if (!this.settings.aggregation || q.shardId === UNMAPPED) {
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
        entry = b.build(this.settings.compressionLevel);
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
    while (this.ready.length > 0 && this.inFlightCalls < this.settings.maxConcurrentPuts) {
      const { count, full } = nextPutBatch(this.ready);
      if (!full && !force && t - this.ready[0]!.oldest < this.settings.maxBufferTimeMs / 2) {
        let due = false;
        for (let i = 0; i < count && !due; i++) due = t - this.ready[i]!.oldest >= this.settings.maxBufferTimeMs;
        if (!due) break;
      }
      void this.put(this.ready.splice(0, count));
    }
  }

  private scheduleNext(t: number): void {
    let next = Infinity;
    const force = this.flushDepth > 0;
    if (!this.router.paused) {
      for (const q of this.router.queues.values()) {
        if (this.settings.ordered && q.inFlight > 0) continue;
        const waiting = q.resend[0] ?? q.held;
        if (waiting) {
          next = Math.min(next, Math.max(q.backoffUntil, t + (q.limiter ? q.limiter.waitMs(waiting.size, t) : 0)));
        } else if (q.pending.length) {
          next = Math.min(next, Math.max(q.backoffUntil, force ? t : q.pending[0]!.acceptedAt + this.settings.maxBufferTimeMs));
        }
      }
    }
    if (this.ready.length && this.inFlightCalls < this.settings.maxConcurrentPuts) next = Math.min(next, this.ready[0]!.oldest + this.settings.maxBufferTimeMs);
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
    const timeout = setTimeout(() => { timedOut = true; abort.abort(); }, this.settings.putTimeoutMs);
    for (const r of batch) for (const item of r.entry.items) { item.state = 'inflight'; item.attempts++; }
    try {
      const out = await this.settings.client.send(new PutRecordsCommand({
        ...this.settings.stream,
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
        for (const r of batch) this.failed(r, 'TimeoutError', `PutRecords gave no answer within ${this.settings.putTimeoutMs} ms`, 'retryable', err, 'unknown');
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
    if (shardId !== q.shardId) this.router.requestRemap();
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
    q.backoffUntil = Math.max(q.backoffUntil, t + backoffDelayMs(this.settings.backoff, q.failures));
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
    for (let i = retry.length - 1; i >= 0; i--) this.router.requeue(retry[i]!, true);
  }

  private expiredError(item: PendingEvent): RetriesExhaustedError {
    const code = item.lastCode ?? 'NotSent';
    const why = item.lastCode ? `last error ${item.lastCode}: ${item.lastMessage}` : 'it could not be sent within the shard rate limit';
    return new RetriesExhaustedError(code, item.attempts, `event ${item.id} not acknowledged within its ${this.settings.recordTtlMs} ms time-to-live after ${item.attempts} attempt(s); ${why}`, { eventId: item.id });
  }

  private settle(item: PendingEvent): void {
    item.state = 'settled';
    this.budget.release(bufferBytes(item));
    this.outstanding.settle(item);
  }

  private fail(item: PendingEvent, error: ProducerError): void {
    if (item.state === 'settled') return;
    this.settle(item);
    this.stats.eventsFailed++;
    if (this.closing) this.closeReport.unsent.push({ eventId: item.id, partitionKey: item.partitionKey, error });
    item.done.rejected(item.slot, error);
  }
}
