// Which shard queue each event goes to: the shard map (ListShards, retried with
// backoff), a queue per open shard, the events that wait for the first map, and the
// remap after a reshard, which moves every queued event to its new shard in order.
// The producer's send loop reads the queues; the router tells it when to run again.
import { performance } from 'node:perf_hooks';
import { awsErrorCode, backoffDelayMs, sleep } from '../core/index.ts';
import { AggregateBuilder, type PutEntry } from './AggregateBuilder.ts';
import { ShardMapError } from './errors.ts';
import type { PendingEvent } from './PendingEvent.ts';
import type { ProducerSettings } from './ProducerSettings.ts';
import { classifyFailure } from './RetryPolicy.ts';
import { ShardMap, loadShardMap } from './ShardMap.ts';
import { ShardQueue, UNMAPPED } from './ShardQueue.ts';
import { ShardRateLimiter } from './TokenBucket.ts';

/** What the router needs from the producer it routes for. */
export interface RouterHost {
  /** Whether the producer has closed (a map load then gives up at once). */
  isClosed(): boolean;
  /** Resolves when no PutRecords call is in flight or waiting (ordering mode remaps only then). */
  whenIdle(): Promise<void>;
  /** The first map could not be loaded: these events fail with `error`. */
  mapFailed(items: readonly PendingEvent[], error: ShardMapError): void;
  /** A map was installed or a remap ended: the send loop should run. */
  resume(): void;
}

type RouterSettings = Pick<ProducerSettings, 'client' | 'stream' | 'recordTtlMs' | 'backoff' | 'rate' | 'maxAggregateBytes' | 'ordered'>;

export class ShardRouter {
  private map: ShardMap | undefined;
  private mapLoading: Promise<void> | undefined;
  private remapping: Promise<void> | undefined;
  private byShard = new Map<string, ShardQueue>();
  /** Events accepted before the first map arrived. */
  private unrouted: PendingEvent[] = [];
  /**
   * True while a remap is in progress: nothing is cut from the queues then, since
   * their events are about to move to other shards.
   */
  paused = false;

  constructor(private readonly settings: RouterSettings, private readonly host: RouterHost) {}

  /** Every shard queue, the unmapped one included once it exists. */
  get queues(): ReadonlyMap<string, ShardQueue> {
    return this.byShard;
  }

  /**
   * Puts an accepted event at the back of its shard's queue and returns the queue; or
   * undefined before the first map, when the event waits for it (loading it if needed).
   */
  route(item: PendingEvent): ShardQueue | undefined {
    if (!this.map) {
      this.unrouted.push(item);
      this.mapLoading ??= this.loadInitialMap();
      return undefined;
    }
    const q = this.queueFor(item);
    q.pending.push(item);
    return q;
  }

  /** Puts an event back in its shard's queue: at the front (a retry, ahead of newer events) or the back. */
  requeue(item: PendingEvent, front: boolean): ShardQueue {
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

  /** Re-learns the shard map after a put landed on an unexpected shard (a reshard). */
  requestRemap(): void {
    if (this.remapping || !this.map) return;
    this.paused = true;
    this.remapping = (async () => {
      try {
        const map = await this.fetchMap();
        // In ordering mode nothing may be in flight while events move to new shards,
        // or a retried event could land behind a later one of the same key.
        if (this.settings.ordered) await this.host.whenIdle();
        this.applyMap(map);
      } catch {
        // Keep the old map: puts still land (Kinesis routes by hash key), and the next
        // unexpected shard asks again.
      } finally {
        this.paused = false;
        this.remapping = undefined;
        this.host.resume();
      }
    })();
  }

  /** Empties every queue of what is not in a call, and forgets the events waiting for a map (close at its deadline). */
  clear(): void {
    this.unrouted = [];
    for (const q of this.byShard.values()) q.clear();
  }

  private queueFor(item: PendingEvent): ShardQueue {
    const shardId = this.map!.shardFor(item.hashKeyHex) ?? UNMAPPED;
    if (shardId === UNMAPPED) this.requestRemap();
    let q = this.byShard.get(shardId);
    if (!q) {
      q = this.newQueue(shardId);
      this.byShard.set(shardId, q);
    }
    return q;
  }

  private newQueue(shardId: string): ShardQueue {
    const rate = this.settings.rate;
    const limiter = rate ? new ShardRateLimiter(rate.recordsPerSec, rate.bytesPerSec, performance.now()) : undefined;
    return new ShardQueue(shardId, limiter, new AggregateBuilder<PendingEvent>(this.settings.maxAggregateBytes));
  }

  private async loadInitialMap(): Promise<void> {
    try {
      this.applyMap(await this.fetchMap());
    } catch (err) {
      const error = err instanceof ShardMapError ? err : new ShardMapError(`cannot list the shards of the stream: ${(err as Error).message}`, { cause: err });
      this.host.mapFailed(this.unrouted.splice(0), error);
    } finally {
      this.mapLoading = undefined;
    }
    this.host.resume();
  }

  /** ListShards, retrying retryable failures with backoff for up to the record TTL. */
  private async fetchMap(): Promise<ShardMap> {
    const { client, stream, backoff, recordTtlMs } = this.settings;
    const giveUpAt = performance.now() + recordTtlMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const map = await loadShardMap(client, stream);
        if (map.ranges.length === 0) throw new ShardMapError('the stream has no open shards');
        return map;
      } catch (err) {
        const { code, status } = awsErrorCode(err);
        const delay = backoffDelayMs(backoff, attempt);
        if (err instanceof ShardMapError || classifyFailure(code, status) === 'fatal' || performance.now() + delay > giveUpAt || this.host.isClosed()) {
          throw err instanceof ShardMapError ? err : new ShardMapError(`ListShards failed: ${code}: ${(err as Error).message}`, { cause: err });
        }
        await sleep(delay);
      }
    }
  }

  /** Installs a new map and moves every queued event to its shard's queue, keeping their order. */
  private applyMap(map: ShardMap): void {
    this.map = map;
    const moving: PendingEvent[] = [];
    const resending: PutEntry<PendingEvent>[] = [];
    for (const q of this.byShard.values()) {
      resending.push(...q.resend.splice(0));
      if (q.held) moving.push(...q.held.items);
      moving.push(...q.pending);
      q.held = undefined;
      q.pending = [];
      q.unpack();
    }
    const old = this.byShard;
    this.byShard = new Map();
    for (const id of map.shardIds) this.byShard.set(id, old.get(id) ?? this.newQueue(id));
    // Kinesis routes a resent record by its explicit hash key (its first event's), wherever that shard is now.
    for (const entry of resending) this.queueFor(entry.items[0]!).resend.push(entry);
    for (const item of moving) this.requeue(item, false);
    for (const item of this.unrouted.splice(0)) this.requeue(item, false);
  }
}
