// Turns a Lambda Kinesis batch into decoded records: base64, then KPL / compressed /
// plain deaggregation (checksums verified), then event validation. Nothing here
// throws for bad data: an unreadable record or event becomes a poison record.
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { CorruptRecordError, deaggregate, EventValidationError, parseEvent } from '../../core/index.ts';
import type { SluiceEvent } from '../../core/index.ts';
import type { DecodedRecord, PoisonRecord } from './types.ts';

/** The shard id from a Lambda eventID (`shardId-000000000006:4959...`). */
export function shardIdOf(record: KinesisStreamRecord): string {
  const id = record.eventID ?? '';
  const colon = id.indexOf(':');
  return colon > 0 ? id.slice(0, colon) : 'shardId-unknown';
}

/**
 * core's deserializeEvent, minus a Buffer copy per event: the user record's data is
 * already a Buffer view, and this runs once per event on the hot path.
 */
function eventOf(data: Buffer): SluiceEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(data.toString('utf8'));
  } catch (err) {
    throw new EventValidationError('event', `not valid JSON (${(err as Error).message})`);
  }
  return parseEvent(raw);
}

export function decodeRecord(record: KinesisStreamRecord): DecodedRecord {
  const k = record.kinesis;
  const out: DecodedRecord = {
    streamArn: record.eventSourceARN ?? '',
    shardId: shardIdOf(record),
    partitionKey: k.partitionKey,
    sequenceNumber: k.sequenceNumber,
    approximateArrivalTimestamp: k.approximateArrivalTimestamp,
    events: [],
    poison: [],
  };
  const data = Buffer.from(k.data, 'base64');
  const poison = (subSequenceNumber: number, raw: Buffer, reason: string): PoisonRecord => ({
    streamArn: out.streamArn, shardId: out.shardId, partitionKey: out.partitionKey,
    sequenceNumber: out.sequenceNumber, subSequenceNumber, raw, reason,
  });
  let users;
  try {
    users = deaggregate(data, k.partitionKey);
  } catch (err) {
    // Any failure to read the record is the record's fault, never a reason to stop the shard.
    const kind = err instanceof CorruptRecordError ? 'corrupt record' : 'unreadable record';
    out.poison.push(poison(-1, data, `${kind}: ${(err as Error).message}`));
    return out;
  }
  for (const user of users) {
    try {
      out.events.push(eventOf(user.data));
    } catch (err) {
      const kind = err instanceof EventValidationError ? 'invalid event' : 'unreadable event';
      out.poison.push(poison(user.aggregated ? user.subSequenceNumber : -1, user.data, `${kind}: ${(err as Error).message}`));
    }
  }
  return out;
}

/** Every record of the batch, decoded, in delivery order. */
export function decodeBatch(event: KinesisStreamEvent): DecodedRecord[] {
  return event.Records.map(decodeRecord);
}
