// Shapes that flow through the aggregator: decoded Kinesis records, poison records
// and the rollup deltas a batch becomes.
import type { ScannedEvent } from '../../core/index.ts';
import type { HyperLogLog } from './HyperLogLog.ts';

/** Where a Kinesis record sits: the checkpoint key is (stream, shard, partition key). */
export interface RecordPosition {
  streamArn: string;
  shardId: string;
  partitionKey: string;
  sequenceNumber: string;
}

/** A user record that could not be decoded or validated. */
export interface PoisonRecord extends RecordPosition {
  /**
   * Position inside the record: the KPL sub-sequence number, the line index of a
   * newline-separated record (or log event index of a CloudWatch Logs message);
   * -1 for the whole Kinesis record.
   */
  subSequenceNumber: number;
  raw: Buffer;
  reason: string;
}

/** One Kinesis record of the batch, decoded. */
export interface DecodedRecord extends RecordPosition {
  /**
   * The valid events, in order; without payload (the aggregator never reads it), and
   * with only the dimensions asked for (see decodeRecord). Each says where its id came
   * from (`idOrigin`: an id derived from the stream position needs no dedup row, the
   * checkpoint covers a redelivery of its record).
   */
  events: ScannedEvent[];
  poison: PoisonRecord[];
  /** Seconds since the epoch, from Lambda's approximateArrivalTimestamp. */
  approximateArrivalTimestamp: number;
}

/** The change one batch makes to one rollup row. */
export interface RollupDelta {
  rollup: string;
  windowS: number;
  eventType: string;
  /** Bucket start, seconds since the epoch. */
  bucketS: number;
  /** JSON array of the group-by values, in the rollup's groupBy order. */
  dimKey: string;
  dims: Record<string, string | null>;
  count: number;
  /** Exact decimal text. */
  sum: string;
  min: number;
  max: number;
  /** The distinct-value sketch, when the rollup counts distinct values. */
  hll: HyperLogLog | null;
}
