// Turns one Kinesis record of a Lambda batch into archive lines: each event's raw
// JSON inside its envelope (shard, sequence and sub-sequence numbers, partition key,
// arrival; core/archiveLine.ts), newline-terminated, read by core's readRecordEvents
// like every subscriber (KPL, plain, newline-separated, gzip). What cannot be a line
// (a corrupt aggregate, data that is not JSON, gzip that does not inflate) becomes an
// error line carrying the raw bytes, so nothing is dropped silently.
import type { KinesisStreamRecord } from 'aws-lambda';
import {
  ARCHIVE_ERROR_KEY, ArchiveLineEncoder, EventValidationError, FIREHOSE, parseEntryJson, parseStreamEvent, readRecordEvents, scanEvent,
} from '../../core/index.ts';
import type { EntryReader, RecordFaultKind, StreamEvent } from '../../core/index.ts';
import type { ArchiveLine } from './types.ts';

const NEWLINE = 0x0a;

export interface ArchiveLinesOfRecord {
  /** Event lines, in sub-record order. */
  events: ArchiveLine[];
  /** Error lines for what could not be archived as an event line. */
  errors: ArchiveLine[];
}

/** Why a user record is not an event line. */
export type ArchiveErrorReason = 'corrupt-aggregate' | 'unreadable-record' | 'not-json' | 'not-utf8' | 'invalid-event' | 'line-too-large';

/** The error line written for data that cannot be archived as an event line. */
export function errorLine(record: KinesisStreamRecord, reason: ArchiveErrorReason, message: string, data: Buffer, subSequenceNumber?: number): Buffer {
  // A line over the record limit cannot be carried whole: keep its coordinates so it
  // can be re-read from the stream while retained.
  const keepData = data.length * 4 / 3 + 1024 < FIREHOSE.maxRecordBytes;
  const body = {
    [ARCHIVE_ERROR_KEY]: {
      reason,
      message,
      eventSourceARN: record.eventSourceARN,
      shardId: record.eventID.slice(0, record.eventID.indexOf(':')),
      sequenceNumber: record.kinesis.sequenceNumber,
      ...(subSequenceNumber !== undefined ? { subSequenceNumber } : {}),
      partitionKey: record.kinesis.partitionKey,
      approximateArrivalTimestamp: record.kinesis.approximateArrivalTimestamp,
      bytes: data.length,
      ...(keepData ? { data: data.toString('base64') } : {}),
    },
  };
  return Buffer.from(JSON.stringify(body) + '\n', 'utf8');
}

/** The event's JSON as one line: the raw bytes when they are single-line JSON, else the compact re-serialization. */
function eventJson(data: Buffer, parsed: unknown): Buffer {
  if (data.indexOf(NEWLINE) >= 0 || data.indexOf(0x0d) >= 0) return Buffer.from(JSON.stringify(parsed), 'utf8');
  return data;
}

/** One event's JSON (one line, UTF-8), where it sits in the record, and the bytes it was read from. */
interface EventLine {
  json: Buffer;
  subSequenceNumber: number;
  data: Buffer;
}

/** scanEvent validates every dimension either way; building none saves a string per value. */
const NO_DIMS: ReadonlySet<string> = new Set();

/**
 * The archive keeps events as their producer wrote them. An event that leaves `id`,
 * `ts` or `value` out is written with the values every subscriber derives (the same
 * id the aggregator counts it under) and `derived` naming them. JSON that is not a
 * valid event is still archived as it is (the archive holds what was in the stream);
 * only bytes that are not JSON become error lines.
 */
const readEventLine: EntryReader<EventLine> = (buf, start, end, entry) => {
  const data = buf.subarray(start, end);
  // sluice's own layout (core's scanEvent) is one line of valid UTF-8 JSON with id, ts
  // and value: its bytes go into the line as they are, without a JSON.parse.
  if (scanEvent(buf, start, end, NO_DIMS) !== undefined) return { json: data, subSequenceNumber: entry.subSequenceNumber, data };
  const json = parseEntryJson(buf, start, end);
  const asWritten = (): EventLine => ({ json: eventJson(data, json), subSequenceNumber: entry.subSequenceNumber, data });
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return asWritten();
  const o = json as Record<string, unknown>;
  if (o.id !== undefined && o.ts !== undefined && o.value !== undefined) return asWritten();
  let event: StreamEvent;
  try {
    event = parseStreamEvent(json, entry);
  } catch (err) {
    if (err instanceof EventValidationError) return asWritten();
    throw err;
  }
  const settled = { id: event.id, ...o, ts: o.ts ?? event.ts, value: o.value ?? event.value, derived: event.derived };
  return { json: Buffer.from(JSON.stringify(settled), 'utf8'), subSequenceNumber: entry.subSequenceNumber, data };
};

/** Kinesis approximateArrivalTimestamp (seconds, millisecond fraction) as ISO-8601. */
function arrivalIso(record: KinesisStreamRecord): string {
  const ms = Math.round(record.kinesis.approximateArrivalTimestamp * 1000);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : new Date().toISOString();
}

const ERROR_REASON: Record<RecordFaultKind, ArchiveErrorReason> = {
  'corrupt-record': 'corrupt-aggregate',
  'unreadable-record': 'unreadable-record',
  'not-json': 'not-json',
  // Decoding would store U+FFFD in place of the bytes: they are kept, base64, on the error line.
  'not-utf8': 'not-utf8',
  'invalid-event': 'invalid-event',
};

export function archiveLinesOf(record: KinesisStreamRecord, recordIndex: number): ArchiveLinesOfRecord {
  const out: ArchiveLinesOfRecord = { events: [], errors: [] };
  const k = record.kinesis;
  const position = {
    streamArn: record.eventSourceARN ?? '', shardId: record.eventID.slice(0, record.eventID.indexOf(':')),
    partitionKey: k.partitionKey, sequenceNumber: k.sequenceNumber, approximateArrivalTimestamp: k.approximateArrivalTimestamp,
  };
  const { events, faults } = readRecordEvents(Buffer.from(k.data, 'base64'), position, readEventLine);
  for (const f of faults) {
    const message = f.kind === 'not-json' ? 'user record is not JSON' : f.kind === 'not-utf8' ? 'user record is not valid UTF-8' : f.reason;
    out.errors.push({ line: errorLine(record, ERROR_REASON[f.kind], message, f.raw, f.subSequenceNumber >= 0 ? f.subSequenceNumber : undefined), recordIndex });
  }
  const lines = new ArchiveLineEncoder({
    shardId: position.shardId, sequenceNumber: k.sequenceNumber, partitionKey: k.partitionKey, arrival: arrivalIso(record),
  });
  for (const { json, subSequenceNumber, data } of events) {
    const line = lines.line(subSequenceNumber, json);
    if (line.length > FIREHOSE.maxRecordBytes) {
      out.errors.push({ line: errorLine(record, 'line-too-large', `event line of ${line.length} bytes exceeds the Firehose record limit of ${FIREHOSE.maxRecordBytes} bytes`, data, subSequenceNumber), recordIndex });
    } else {
      out.events.push({ line, recordIndex });
    }
  }
  return out;
}
