// Turns one Kinesis record of a Lambda batch into archive lines: each event's raw
// JSON, newline-terminated, read by core's readRecordEvents like every subscriber
// (KPL, plain, newline-separated, gzip). What cannot be a line (a corrupt aggregate,
// data that is not JSON, gzip that does not inflate) becomes an error line carrying
// the raw bytes, so nothing is dropped silently.
import type { KinesisStreamRecord } from 'aws-lambda';
import { EventValidationError, FIREHOSE, parseEntryJson, parseStreamEvent, readRecordEvents } from '../../core/index.ts';
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
    sluiceArchiveError: {
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

/** Event JSON as one line: the raw bytes when they are single-line JSON, else the compact re-serialization. */
function rawLine(buf: Buffer, start: number, end: number, parsed: unknown): Buffer {
  const data = buf.subarray(start, end);
  if (data.indexOf(NEWLINE) >= 0 || data.indexOf(0x0d) >= 0) return Buffer.from(JSON.stringify(parsed) + '\n', 'utf8');
  const line = Buffer.allocUnsafe(data.length + 1);
  data.copy(line);
  line[data.length] = NEWLINE;
  return line;
}

/** One event's archive line, and the bytes it was read from. */
interface EventLine {
  line: Buffer;
  data: Buffer;
}

/**
 * The archive keeps events as their producer wrote them. An event that leaves `id`,
 * `ts` or `value` out is written with the values every subscriber derives (the same
 * id the aggregator counts it under) and `derived` naming them. JSON that is not a
 * valid event is still archived as it is (the archive holds what was in the stream);
 * only bytes that are not JSON become error lines.
 */
const readEventLine: EntryReader<EventLine> = (buf, start, end, defaults) => {
  const json = parseEntryJson(buf, start, end);
  const data = buf.subarray(start, end);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { line: rawLine(buf, start, end, json), data };
  const o = json as Record<string, unknown>;
  if (o.id !== undefined && o.ts !== undefined && o.value !== undefined) return { line: rawLine(buf, start, end, json), data };
  let event: StreamEvent;
  try {
    event = parseStreamEvent(json, defaults);
  } catch (err) {
    if (err instanceof EventValidationError) return { line: rawLine(buf, start, end, json), data };
    throw err;
  }
  const settled = { id: event.id, ...o, ts: o.ts ?? event.ts, value: o.value ?? event.value, derived: event.derived };
  return { line: Buffer.from(JSON.stringify(settled) + '\n', 'utf8'), data };
};

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
  for (const { line, data } of events) {
    if (line.length > FIREHOSE.maxRecordBytes) {
      out.errors.push({ line: errorLine(record, 'line-too-large', `event line of ${line.length} bytes exceeds the Firehose record limit of ${FIREHOSE.maxRecordBytes} bytes`, data), recordIndex });
    } else {
      out.events.push({ line, recordIndex });
    }
  }
  return out;
}
