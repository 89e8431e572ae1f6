// The archive's line format and layout, shared by the writer (the archiver Lambda and
// the Firehose delivery stream it feeds, local or on AWS) and every reader (`sluice
// replay`, downstream jobs). One JSON line per event: the Kinesis position it came
// from, which tells a re-delivered copy from a second event, then the event itself.

/** Where an archived event sat in the stream. */
export interface ArchiveEnvelope {
  /** Kinesis shard id (`shardId-000000000001`). */
  shardId: string;
  /** The Kinesis record's sequence number: decimal text, ordered within its shard only. */
  sequenceNumber: string;
  /** Position inside a KPL aggregate (0 for a plain record). */
  subSequenceNumber: number;
  /** The Kinesis record's partition key (the aggregator checkpoints per shard and partition key). */
  partitionKey: string;
  /** Kinesis approximateArrivalTimestamp, ISO-8601 UTC with milliseconds. */
  arrival: string;
}

/** Keys of the envelope in line order; the event follows under `event`. */
export const ARCHIVE_ENVELOPE_KEYS = ['shardId', 'sequenceNumber', 'subSequenceNumber', 'partitionKey', 'arrival'] as const;

/** The error line the archiver writes for data that cannot be an event line. */
export const ARCHIVE_ERROR_KEY = 'sluiceArchiveError';

/**
 * Where and how archive objects are written, on AWS (infra/lib/EventArchive.ts) and by
 * the local stack alike: GZIP objects under the hour of their oldest record's arrival,
 * and what Firehose could not deliver under `errors/<error-output-type>/`.
 */
export const ARCHIVE_LAYOUT = {
  compression: 'GZIP',
  dataPrefix: '!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/',
  errorPrefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/',
  /** The literal start of every error object key, before its first expression. */
  errorKeyStart: 'errors/',
} as const;

/**
 * One archive line: the envelope, then `"event":` and the event's JSON text exactly as
 * given (it must be one line of JSON), then a newline. Built as text so the event's
 * bytes are never re-serialized.
 */
export function archiveLineText(envelope: ArchiveEnvelope, eventJson: string): string {
  return `{"shardId":${JSON.stringify(envelope.shardId)},"sequenceNumber":${JSON.stringify(envelope.sequenceNumber)},`
    + `"subSequenceNumber":${envelope.subSequenceNumber},"partitionKey":${JSON.stringify(envelope.partitionKey)},`
    + `"arrival":${JSON.stringify(envelope.arrival)},"event":${eventJson}}\n`;
}

/**
 * The archive lines of the events of one Kinesis record, as bytes: the envelope's
 * parts, encoded once per record, and each event's JSON bytes as they are, copied into
 * one Buffer per line (no string per event, no re-encoding). Byte for byte what
 * `archiveLineText` gives for the same envelope and the event's text.
 */
export class ArchiveLineEncoder {
  /** `{"shardId":…,"sequenceNumber":…,"subSequenceNumber":` */
  private readonly head: Buffer;
  /** `,"partitionKey":…,"arrival":…,"event":` */
  private readonly middle: Buffer;

  constructor(envelope: Omit<ArchiveEnvelope, 'subSequenceNumber'>) {
    this.head = Buffer.from(`{"shardId":${JSON.stringify(envelope.shardId)},"sequenceNumber":${JSON.stringify(envelope.sequenceNumber)},"subSequenceNumber":`, 'utf8');
    this.middle = Buffer.from(`,"partitionKey":${JSON.stringify(envelope.partitionKey)},"arrival":${JSON.stringify(envelope.arrival)},"event":`, 'utf8');
  }

  /** The line of the event at `subSequenceNumber` whose JSON (one line, UTF-8) is `event[start, end)`. */
  line(subSequenceNumber: number, event: Uint8Array, start = 0, end = event.length): Buffer {
    const sub = String(subSequenceNumber);
    const { head, middle } = this;
    const out = Buffer.allocUnsafe(head.length + sub.length + middle.length + (end - start) + 2);
    let at = head.copy(out, 0);
    at += out.write(sub, at, 'latin1');
    at += middle.copy(out, at);
    out.set(event.subarray(start, end), at);
    at += end - start;
    out[at] = CLOSE_BRACE;
    out[at + 1] = NEWLINE;
    return out;
  }
}

const CLOSE_BRACE = 0x7d;
const NEWLINE = 0x0a;

/** What a parsed archive line holds. */
export type ArchiveLineContent =
  | { kind: 'event'; envelope: ArchiveEnvelope; event: unknown }
  /** An event line written before the envelope existed: the bare event. */
  | { kind: 'bare-event'; event: unknown }
  | { kind: 'archive-error'; error: Record<string, unknown> };

/**
 * Reads a parsed line. Returns a reason string when the line is JSON but no archive
 * line (callers report it with the object key and line number).
 */
export function readArchiveLine(parsed: unknown): ArchiveLineContent | string {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'line is not a JSON object';
  const o = parsed as Record<string, unknown>;
  if (ARCHIVE_ERROR_KEY in o) {
    const e = o[ARCHIVE_ERROR_KEY];
    return e !== null && typeof e === 'object' ? { kind: 'archive-error', error: e as Record<string, unknown> } : `${ARCHIVE_ERROR_KEY} is not an object`;
  }
  if (!('event' in o)) return { kind: 'bare-event', event: o };
  const { shardId, sequenceNumber, subSequenceNumber, partitionKey, arrival } = o;
  if (typeof shardId !== 'string' || shardId === '') return 'envelope: shardId must be a non-empty string';
  if (typeof sequenceNumber !== 'string' || !/^\d{1,129}$/.test(sequenceNumber)) return 'envelope: sequenceNumber must be decimal text';
  if (!Number.isInteger(subSequenceNumber) || (subSequenceNumber as number) < 0) return 'envelope: subSequenceNumber must be a non-negative integer';
  if (typeof partitionKey !== 'string') return 'envelope: partitionKey must be a string';
  if (typeof arrival !== 'string' || Number.isNaN(Date.parse(arrival))) return 'envelope: arrival must be an ISO-8601 time';
  return { kind: 'event', envelope: { shardId, sequenceNumber, subSequenceNumber: subSequenceNumber as number, partitionKey, arrival }, event: o.event };
}
