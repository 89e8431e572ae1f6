// A Lambda Kinesis batch as a subscriber sees it: per record, its valid events with
// their positions and its poison records (what cannot be read or validated). Records
// are read by core's readRecordEvents, as the aggregator and the archiver read them:
// every producer format, ids and ts derived where a producer left them out.
import type { KinesisStreamRecord } from 'aws-lambda';
import { readRecordEvents, readStreamEvent, type EntryReader, type StreamEvent } from '../../core/index.ts';
import { shardIdOf, type PoisonRecord } from '../aggregator/index.ts';
import type { SubscriberEvent } from './types.ts';

export interface SubscriberRecord {
  events: SubscriberEvent[];
  poison: PoisonRecord[];
}

/** The event of one entry and its sub-sequence number. */
const readPositionedEvent: EntryReader<{ event: StreamEvent; subSequenceNumber: number }> = (buf, start, end, entry) => ({
  event: readStreamEvent(buf, start, end, entry), subSequenceNumber: entry.subSequenceNumber,
});

/** One Kinesis record, decoded: never throws for bad data. */
export function readSubscriberRecord(record: KinesisStreamRecord): SubscriberRecord {
  const k = record.kinesis;
  const position = {
    streamArn: record.eventSourceARN ?? '', shardId: shardIdOf(record), partitionKey: k.partitionKey,
    sequenceNumber: k.sequenceNumber, approximateArrivalTimestamp: k.approximateArrivalTimestamp,
  };
  const arrivalMs = Math.round(k.approximateArrivalTimestamp * 1000);
  const { events, faults } = readRecordEvents(Buffer.from(k.data, 'base64'), position, readPositionedEvent);
  return {
    events: events.map(({ event, subSequenceNumber }) => ({
      event, shardId: position.shardId, sequenceNumber: k.sequenceNumber, subSequenceNumber, partitionKey: k.partitionKey, arrivalMs,
    })),
    poison: faults.map((f) => ({
      streamArn: position.streamArn, shardId: position.shardId, partitionKey: k.partitionKey, sequenceNumber: k.sequenceNumber,
      subSequenceNumber: f.subSequenceNumber, raw: f.raw, reason: f.reason,
    })),
  };
}
