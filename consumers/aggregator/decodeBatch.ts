// Turns a Lambda Kinesis batch into decoded records: base64, then KPL / compressed /
// plain deaggregation (checksums verified), then event validation. Nothing here
// throws for bad data: an unreadable record or event becomes a poison record.
// Events in the producer's own layout are read by core's scanEvent (fields only, the
// payload validated but not built, dimensions built only when a rollup reads them);
// anything else by JSON.parse + parseEvent.
import { createHash } from 'node:crypto';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { CorruptRecordError, deaggregate, deserializeEvent, EventValidationError, recordDigest, scanEvent } from '../../core/index.ts';
import type { ScannedEvent } from '../../core/index.ts';
import type { DecodedRecord, PoisonRecord } from './types.ts';

/** The shard id from a Lambda eventID (`shardId-000000000006:4959...`). */
export function shardIdOf(record: KinesisStreamRecord): string {
  const id = record.eventID ?? '';
  const colon = id.indexOf(':');
  return colon > 0 ? id.slice(0, colon) : 'shardId-unknown';
}

/**
 * The event in a user record's bytes. scanEvent reads the layout sluice's producer
 * writes and returns exactly the fields parseEvent(JSON.parse(...)) would (dims cut
 * to `keepDims`), or undefined; then core's deserializeEvent reads any JSON and
 * throws parseEvent's error for a bad event (bytes that are not UTF-8 included).
 * Plain records take the same path: the scan accepts only what the full
 * path accepts, payload included, so it needs no checksum to lean on.
 */
function eventOf(data: Buffer, keepDims: ReadonlySet<string> | undefined): ScannedEvent {
  const scanned = scanEvent(data, 0, data.length, keepDims);
  if (scanned !== undefined) return scanned;
  return deserializeEvent(data);
}

/**
 * One Kinesis record, decoded. `keepDims` names the dimensions to keep on each event
 * (default all; the handler passes `RollupAccumulator.dimensionsRead(config)`): every
 * dimension is validated, the others are not built.
 */
export function decodeRecord(record: KinesisStreamRecord, keepDims?: ReadonlySet<string>): DecodedRecord {
  const k = record.kinesis;
  const out: DecodedRecord = {
    streamArn: record.eventSourceARN ?? '',
    shardId: shardIdOf(record),
    partitionKey: k.partitionKey,
    sequenceNumber: k.sequenceNumber,
    approximateArrivalTimestamp: k.approximateArrivalTimestamp,
    events: [],
    poison: [],
    digest: '',
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
    // Its trailer is not to be trusted: the identity of an unreadable record is all of it.
    out.digest = createHash('md5').update(data).digest('hex');
    return out;
  }
  out.digest = recordDigest(data).toString('hex');
  for (const user of users) {
    try {
      out.events.push(eventOf(user.data, keepDims));
    } catch (err) {
      const kind = err instanceof EventValidationError ? 'invalid event' : 'unreadable event';
      out.poison.push(poison(user.aggregated ? user.subSequenceNumber : -1, user.data, `${kind}: ${(err as Error).message}`));
    }
  }
  return out;
}

/** Every record of the batch, decoded, in delivery order (`keepDims` as in decodeRecord). */
export function decodeBatch(event: KinesisStreamEvent, keepDims?: ReadonlySet<string>): DecodedRecord[] {
  return event.Records.map((record) => decodeRecord(record, keepDims));
}
