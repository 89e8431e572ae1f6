// Shapes that flow through the aggregator: decoded Kinesis records and poison
// records (the rollup deltas a batch becomes are rollup/'s RollupDelta).
import type { ScannedEvent } from '../../core/index.ts';

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
   * from (`idOrigin`): only a 'client' id costs a dedup row; a 'producer' or 'derived'
   * one cannot repeat outside its record, whose redelivery the checkpoint and the
   * record identity cover.
   */
  events: ScannedEvent[];
  poison: PoisonRecord[];
  /**
   * The record's identity, 32 hex digits (core readRecordEvents' digest: the MD5 an
   * aggregate carries, or of the whole data): a producer's byte-for-byte resend has the same.
   */
  digest: string;
  /**
   * Whether any event's id was derived from the stream position (a foreign producer's
   * event without an id): such a record has no identity in its bytes (two clicks can
   * be the same bytes), so it takes no record identity. Set once, where it is decoded.
   */
  hasDerivedIds: boolean;
  /** Seconds since the epoch, from Lambda's approximateArrivalTimestamp. */
  approximateArrivalTimestamp: number;
}
