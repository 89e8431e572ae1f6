// Turns one Kinesis record of a Lambda batch into archive lines: each user record's
// raw event JSON, newline-terminated. What cannot be a line (a corrupt aggregate,
// data that is not JSON) becomes an error line carrying the raw bytes, so nothing
// is dropped silently.
import type { KinesisStreamRecord } from 'aws-lambda';
import { isUtf8 } from 'node:buffer';
import { CorruptRecordError, FIREHOSE, deaggregate } from '../../core/index.ts';
import type { ArchiveLine } from './types.ts';

const NEWLINE = 0x0a;

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

/**
 * Event JSON as one line: the raw bytes when they are single-line JSON, the compact
 * re-serialization when the JSON spans lines, undefined when it is not JSON.
 */
function eventLine(data: Buffer): Buffer | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  if (data.indexOf(NEWLINE) >= 0 || data.indexOf(0x0d) >= 0) return Buffer.from(JSON.stringify(parsed) + '\n', 'utf8');
  const line = Buffer.allocUnsafe(data.length + 1);
  data.copy(line);
  line[data.length] = NEWLINE;
  return line;
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
  for (const u of users) {
    // Decoding would store U+FFFD in place of the bytes: keep them, base64, on an error line.
    if (!isUtf8(u.data)) {
      out.errors.push({ line: errorLine(record, 'not-utf8', 'user record is not valid UTF-8', u.data, u.subSequenceNumber), recordIndex });
      continue;
    }
    const line = eventLine(u.data);
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
