// One shard's side of the producer: events waiting for it, the aggregate being packed
// from them, a record waiting for the shard's rate limit, records to send again
// unchanged, and its retry state. The shard router owns the queues; the producer's
// send loop cuts records from them.
import type { AggregateBuilder, PutEntry } from './AggregateBuilder.ts';
import type { PendingEvent } from './PendingEvent.ts';
import type { ShardRateLimiter } from './TokenBucket.ts';

/** Queue for events whose hash key no open shard holds (only while the map is stale): its events go out plain. */
export const UNMAPPED = '(unmapped)';

export class ShardQueue {
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
  /** Records of this shard in PutRecords calls (or waiting for one). */
  inFlight = 0;
  /** Failed puts in a row: the backoff grows with them. */
  failures = 0;
  /** performance.now() before which the shard sends nothing (backoff after a failure). */
  backoffUntil = 0;
  constructor(readonly shardId: string, readonly limiter: ShardRateLimiter | undefined, readonly builder: AggregateBuilder<PendingEvent>) {}

  unpack(): void {
    if (this.packed > 0) this.builder.reset();
    this.packed = 0;
  }

  /** Empties the queue of everything not yet in a call (close at its deadline). */
  clear(): void {
    this.pending = [];
    this.unpack();
    this.held = undefined;
  }
}
