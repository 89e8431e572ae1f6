// Turns one Kinesis record of a Lambda batch into archive lines: each user record's
// raw event JSON inside its envelope (shard, sequence and sub-sequence numbers,
// partition key, arrival; core/archiveLine.ts), newline-terminated. What cannot be a
// line (a corrupt aggregate, data that is not JSON) becomes an error line carrying
// the raw bytes, so nothing is dropped silently.
import type { KinesisStreamRecord } from 'aws-lambda';
import { isUtf8 } from 'node:buffer';
import { ARCHIVE_ERROR_KEY, CorruptRecordError, FIREHOSE, archiveLineText, deaggregate, type ArchiveEnvelope } from '../../core/index.ts';
import type { ArchiveLine } from './types.ts';

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export interface ArchiveLinesOfRecord {
  /** Event lines, in sub-record order. */
  events: ArchiveLine[];
  /** Error lines for what could not be archived as an event line. */
  errors: ArchiveLine[];
}

/** Why a user record is not an event line. */
export type ArchiveErrorReason = 'corrupt-aggregate' | 'not-json' | 'not-utf8' | 'line-too-large';

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

/**
 * The archive line of one event: its JSON as given when that is one line, compacted
 * when the JSON spans lines, inside the envelope; undefined when it is not JSON.
 */
function eventLine(data: Buffer, envelope: ArchiveEnvelope): Buffer | undefined {
  const text = data.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const oneLine = data.indexOf(NEWLINE) >= 0 || data.indexOf(CARRIAGE_RETURN) >= 0 ? JSON.stringify(parsed) : text;
  return Buffer.from(archiveLineText(envelope, oneLine), 'utf8');
}

/** Kinesis approximateArrivalTimestamp (seconds, millisecond fraction) as ISO-8601. */
function arrivalIso(record: KinesisStreamRecord): string {
  const ms = Math.round(record.kinesis.approximateArrivalTimestamp * 1000);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : new Date().toISOString();
}

export function archiveLinesOf(record: KinesisStreamRecord, recordIndex: number): ArchiveLinesOfRecord {
  const out: ArchiveLinesOfRecord = { events: [], errors: [] };
  const data = Buffer.from(record.kinesis.data, 'base64');
  let users;
  try {
    users = deaggregate(data, record.kinesis.partitionKey);
  } catch (err) {
    if (!(err instanceof CorruptRecordError)) throw err;
    out.errors.push({ line: errorLine(record, 'corrupt-aggregate', err.message, data), recordIndex });
    return out;
  }
  const shardId = record.eventID.slice(0, record.eventID.indexOf(':'));
  const arrival = arrivalIso(record);
  for (const u of users) {
    // Decoding would store U+FFFD in place of the bytes: keep them, base64, on an error line.
    if (!isUtf8(u.data)) {
      out.errors.push({ line: errorLine(record, 'not-utf8', 'user record is not valid UTF-8', u.data, u.subSequenceNumber), recordIndex });
      continue;
    }
    const line = eventLine(u.data, {
      shardId, sequenceNumber: record.kinesis.sequenceNumber, subSequenceNumber: u.subSequenceNumber,
      partitionKey: record.kinesis.partitionKey, arrival,
    });
    if (!line) {
      out.errors.push({ line: errorLine(record, 'not-json', 'user record is not JSON', u.data, u.subSequenceNumber), recordIndex });
    } else if (line.length > FIREHOSE.maxRecordBytes) {
      out.errors.push({ line: errorLine(record, 'line-too-large', `event line of ${line.length} bytes exceeds the Firehose record limit of ${FIREHOSE.maxRecordBytes} bytes`, u.data, u.subSequenceNumber), recordIndex });
    } else {
      out.events.push({ line, recordIndex });
    }
  }
  return out;
}
