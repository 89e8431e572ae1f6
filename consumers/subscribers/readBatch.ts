// A Lambda Kinesis batch as a subscriber sees it: per record, its valid events with
// their positions and its poison records (what cannot be read or validated).
import type { KinesisStreamRecord } from 'aws-lambda';
import { CorruptRecordError, EventValidationError, deaggregate, deserializeEvent } from '../../core/index.ts';
import { shardIdOf, type PoisonRecord } from '../aggregator/index.ts';
import type { SubscriberEvent } from './types.ts';

export interface SubscriberRecord {
  events: SubscriberEvent[];
  poison: PoisonRecord[];
}

/** One Kinesis record, decoded: never throws for bad data. */
export function readSubscriberRecord(record: KinesisStreamRecord): SubscriberRecord {
  const k = record.kinesis;
  const at = { streamArn: record.eventSourceARN ?? '', shardId: shardIdOf(record), partitionKey: k.partitionKey, sequenceNumber: k.sequenceNumber };
  const arrivalMs = Math.round(k.approximateArrivalTimestamp * 1000);
  const out: SubscriberRecord = { events: [], poison: [] };
  const data = Buffer.from(k.data, 'base64');
  let users;
  try {
    users = deaggregate(data, k.partitionKey);
  } catch (err) {
    const kind = err instanceof CorruptRecordError ? 'corrupt record' : 'unreadable record';
    out.poison.push({ ...at, subSequenceNumber: -1, raw: data, reason: `${kind}: ${(err as Error).message}` });
    return out;
  }
  for (const user of users) {
    try {
      out.events.push({
        event: deserializeEvent(user.data), shardId: at.shardId, sequenceNumber: at.sequenceNumber,
        subSequenceNumber: user.subSequenceNumber, partitionKey: at.partitionKey, arrivalMs,
      });
    } catch (err) {
      const kind = err instanceof EventValidationError ? 'invalid event' : 'unreadable event';
      out.poison.push({ ...at, subSequenceNumber: user.aggregated ? user.subSequenceNumber : -1, raw: user.data, reason: `${kind}: ${(err as Error).message}` });
    }
  }
  return out;
}
