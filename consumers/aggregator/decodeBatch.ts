// Turns a Lambda Kinesis batch into decoded records. Reading a record's events
// (KPL / compressed / plain / newline-separated / gzip, checksums, ids and ts derived
// from the stream position, validation) is core's readRecordEvents, shared by every
// subscriber, as is the record's identity (its digest); this file adds the
// aggregator's shape. Nothing here throws for bad data: what cannot be read becomes
// a poison record.
// Events in the producer's own layout are read by core's scanEvent (fields only, the
// payload validated but not built, dimensions built only when a rollup reads them);
// anything else by core's eventJsonFromBytes (UTF-8 checked) + parseStreamEvent.
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { readRecordEvents, scannedEventReader } from '../../core/index.ts';
import type { EntryReader, ScannedEvent } from '../../core/index.ts';
import type { DecodedRecord, PoisonRecord } from './types.ts';

/** The shard id from a Lambda eventID (`shardId-000000000006:4959...`). */
export function shardIdOf(record: KinesisStreamRecord): string {
  const id = record.eventID ?? '';
  const colon = id.indexOf(':');
  return colon > 0 ? id.slice(0, colon) : 'shardId-unknown';
}

/**
 * One Kinesis record, decoded. `keepDims` names the dimensions to keep on each event
 * (default all; the handler passes `RollupAccumulator.dimensionsRead(config)`): every
 * dimension is validated, the others are not built.
 */
export function decodeRecord(record: KinesisStreamRecord, keepDims?: ReadonlySet<string>): DecodedRecord {
  return decodeWith(record, scannedEventReader(keepDims));
}

function decodeWith(record: KinesisStreamRecord, read: EntryReader<ScannedEvent>): DecodedRecord {
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
    hasDerivedIds: false,
  };
  const { events, faults, digest } = readRecordEvents(Buffer.from(k.data, 'base64'), out, read);
  out.events = events;
  out.digest = digest;
  out.hasDerivedIds = events.some((e) => e.idOrigin === 'derived');
  for (const f of faults) {
    const p: PoisonRecord = {
      streamArn: out.streamArn, shardId: out.shardId, partitionKey: out.partitionKey,
      sequenceNumber: out.sequenceNumber, subSequenceNumber: f.subSequenceNumber, raw: f.raw, reason: f.reason,
    };
    out.poison.push(p);
  }
  return out;
}

/** Every record of the batch, decoded, in delivery order (`keepDims` as in decodeRecord). */
export function decodeBatch(event: KinesisStreamEvent, keepDims?: ReadonlySet<string>): DecodedRecord[] {
  const read = scannedEventReader(keepDims);
  return event.Records.map((record) => decodeWith(record, read));
}
