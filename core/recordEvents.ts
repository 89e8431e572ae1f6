// The one place a Kinesis record becomes events, for every subscriber (aggregator,
// archiver, quarantine redrive, replay). The stream is written by sluice's producer
// (KPL and compressed aggregates) and by others (the AWS CLI, API Gateway, IoT rules,
// agents, CloudWatch Logs): one JSON event per record, several newline-separated, or
// either gzip-compressed. An event without an id or ts gets them from where it sits in
// the stream, so a redelivered record yields the same events. Each record also gets
// its identity (core's recordDigest), by which the aggregator drops a producer's
// byte-for-byte resend.
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { CorruptRecordError, EventNotJsonError, EventNotUtf8Error, EventValidationError } from './errors.ts';
import { parseStreamEvent, type StreamEvent, type StreamEventDefaults } from './event.ts';
import { scanEvent, type ScannedEvent } from './eventScan.ts';
import { deaggregate, recordDigest, recordFormat } from './kpl.ts';
import { MiB } from './limits.ts';
import { eventJsonFromBytes } from './utf8.ts';

/** A gzip record inflating past this is refused whole (a compression bomb would take the consumer down). */
export const MAX_INFLATED_RECORD_BYTES = 32 * MiB;

/** Where a Kinesis record sits in the stream: what derived ids and times are made from. */
export interface RecordPosition {
  streamArn: string;
  shardId: string;
  partitionKey: string;
  sequenceNumber: string;
  /** Seconds since the epoch, millisecond precision (Lambda's approximateArrivalTimestamp). */
  approximateArrivalTimestamp: number;
}

/** Why part of a record is not an event. */
export type RecordFaultKind = 'corrupt-record' | 'unreadable-record' | 'not-json' | 'not-utf8' | 'invalid-event';

/** Part of a record that is not an event: quarantined by the aggregator, an error line in the archive. */
export interface RecordFault {
  /**
   * Where in the record: the KPL sub-sequence number, the line index of a
   * newline-separated record (or the log event's index in a CloudWatch Logs
   * message), or -1 for the whole record.
   */
  subSequenceNumber: number;
  kind: RecordFaultKind;
  reason: string;
  /** The bytes that were read: the user record, the line (inflated), or the whole record. */
  raw: Buffer;
}

/** The events of one record, in order, what could not be read, and the record's identity. */
export interface RecordEvents<E> {
  events: E[];
  faults: RecordFault[];
  /**
   * 32 hex digits: core's recordDigest (the MD5 trailer of a KPL or compressed
   * aggregate, the MD5 of a plain record's bytes, gzip included), or the MD5 of all
   * the bytes of an aggregate that cannot be read (its trailer is not to be trusted).
   * A producer's byte-for-byte resend has the same.
   */
  digest: string;
}

/**
 * Reads one entry (a user record, a line, a log message: `buf[start, end)`) into an
 * event. Throws EventValidationError for an event outside the rules, its subclass
 * EventNotJsonError when the bytes are not JSON at all, and EventNotUtf8Error when
 * they are not UTF-8; `defaults` fills id and ts.
 */
export type EntryReader<E> = (buf: Buffer, start: number, end: number, entry: EntryContext) => E;

/** The entry being read: its place in the record, and the id and ts it takes when it has none. */
export interface EntryContext extends StreamEventDefaults {
  /** The KPL sub-sequence number (0 for a plain record). */
  readonly subSequenceNumber: number;
  /** The line of a newline-separated record, or the log event of a CloudWatch Logs message (0 otherwise). */
  readonly lineIndex: number;
}

/**
 * The id of the event at (sub-sequence number, line index) of the record at
 * `position`: the same for every delivery of that record, and unique in the stream.
 */
export function derivedEventId(position: RecordPosition, subSequenceNumber: number, lineIndex: number): string {
  return `${recordIdBase(position)}-${subSequenceNumber}-${lineIndex}`;
}

function recordIdBase(position: RecordPosition): string {
  const h = createHash('sha256').update(`${position.streamArn}|${position.shardId}|${position.sequenceNumber}`).digest('hex');
  return `d-${h.slice(0, 32)}`;
}

/** The defaults of the entry being read; one per record, moved from entry to entry. */
class EntryDefaults implements EntryContext {
  subSequenceNumber = 0;
  lineIndex = 0;
  ts: number | undefined;
  private base: string | undefined;
  readonly arrivalMs: number | undefined;

  constructor(private readonly position: RecordPosition) {
    const a = position.approximateArrivalTimestamp;
    this.arrivalMs = typeof a === 'number' && Number.isFinite(a) ? Math.round(a * 1000) : undefined;
    this.ts = this.arrivalMs;
  }

  at(subSequenceNumber: number, lineIndex: number, ts = this.arrivalMs): this {
    this.subSequenceNumber = subSequenceNumber;
    this.lineIndex = lineIndex;
    this.ts = ts;
    return this;
  }

  readonly id = (): string => {
    this.base ??= recordIdBase(this.position);
    return `${this.base}-${this.subSequenceNumber}-${this.lineIndex}`;
  };
}

/**
 * An entry's bytes parsed as JSON, UTF-8 checked on the bytes (core's
 * eventJsonFromBytes); throws EventNotJsonError or EventNotUtf8Error.
 */
export function parseEntryJson(buf: Buffer, start = 0, end = buf.length): unknown {
  return eventJsonFromBytes(buf.subarray(start, end));
}

/** The full reader: the whole event, payload included (archiver, redrive, replay). */
export const readStreamEvent: EntryReader<StreamEvent> = (buf, start, end, defaults) =>
  parseStreamEvent(parseEntryJson(buf, start, end), defaults);

/**
 * The aggregator's reader: core's scanEvent for sluice's own layout (fields only,
 * dims cut to `keepDims`), else the full reader. The scan accepts only what the full
 * path accepts, so plain records take it too.
 */
export function scannedEventReader(keepDims?: ReadonlySet<string>): EntryReader<ScannedEvent> {
  return (buf, start, end, defaults) => scanEvent(buf, start, end, keepDims) ?? readStreamEvent(buf, start, end, defaults);
}

const NEWLINE = 0x0a;
const CR = 0x0d;

function isGzip(data: Buffer): boolean {
  return data.length >= 3 && data[0] === 0x1f && data[1] === 0x8b && data[2] === 0x08;
}

/** A CloudWatch Logs subscription message starts so (its JSON is compact, messageType first). */
const CLOUDWATCH_LOGS_PREFIX = Buffer.from('{"messageType":"');

/**
 * The events in one Kinesis record's data, read by `read`, in order:
 *
 * - a KPL or compressed aggregate: one event per user record (checksum verified);
 * - gzip (RFC 1952): inflated, then read as below; a CloudWatch Logs subscription
 *   message gives one event per log event (its `message` is the event's JSON, its
 *   `timestamp` the default ts); its CONTROL_MESSAGE gives none;
 * - otherwise one JSON event (any layout, even spread over lines), or, when the whole
 *   is not JSON and it holds newlines, one event per non-blank line.
 *
 * Nothing here throws for bad data: what cannot be read becomes a fault, with its
 * position and reason, and the rest of the record is still read.
 */
export function readRecordEvents<E>(data: Buffer, position: RecordPosition, read: EntryReader<E>): RecordEvents<E> {
  const out: RecordEvents<E> = { events: [], faults: [], digest: '' };
  const defaults = new EntryDefaults(position);
  const format = recordFormat(data);
  if (format !== 'plain') {
    let users;
    try {
      users = deaggregate(data, position.partitionKey);
    } catch (err) {
      // Any failure to read the record is the record's fault, never a reason to stop the shard.
      const corrupt = err instanceof CorruptRecordError;
      out.faults.push(fault(-1, data, corrupt ? 'corrupt-record' : 'unreadable-record', `${corrupt ? 'corrupt record' : 'unreadable record'}: ${(err as Error).message}`));
      out.digest = createHash('md5').update(data).digest('hex');
      return out;
    }
    out.digest = recordDigest(data).toString('hex');
    for (const u of users) readEntry(out, read, u.data, 0, u.data.length, defaults.at(u.subSequenceNumber, 0), u.subSequenceNumber);
    return out;
  }
  out.digest = recordDigest(data).toString('hex');
  if (!isGzip(data)) {
    readText(out, read, data, defaults);
    return out;
  }
  let text: Buffer;
  try {
    text = gunzipSync(data, { maxOutputLength: MAX_INFLATED_RECORD_BYTES });
  } catch (err) {
    out.faults.push(fault(-1, data, 'unreadable-record', `unreadable record: gzip data does not inflate (${(err as Error).message})`));
    return out;
  }
  if (!readCloudWatchLogs(out, read, text, defaults)) readText(out, read, text, defaults);
  return out;
}

/** What the readers below add to: the events and faults of the record, or of its lines. */
type Found<E> = Omit<RecordEvents<E>, 'digest'>;

function fault(subSequenceNumber: number, raw: Buffer, kind: RecordFaultKind, reason: string): RecordFault {
  return { subSequenceNumber, kind, reason, raw };
}

function faultOf(err: unknown, subSequenceNumber: number, raw: Buffer): RecordFault {
  if (err instanceof EventNotJsonError) return fault(subSequenceNumber, raw, 'not-json', `invalid event: ${err.message}`);
  if (err instanceof EventNotUtf8Error) return fault(subSequenceNumber, raw, 'not-utf8', `invalid event: ${err.message}`);
  if (err instanceof EventValidationError) return fault(subSequenceNumber, raw, 'invalid-event', `invalid event: ${err.message}`);
  return fault(subSequenceNumber, raw, 'invalid-event', `unreadable event: ${(err as Error).message}`);
}

function readEntry<E>(out: Found<E>, read: EntryReader<E>, buf: Buffer, start: number, end: number, defaults: EntryDefaults, faultPosition: number): void {
  try {
    out.events.push(read(buf, start, end, defaults));
  } catch (err) {
    out.faults.push(faultOf(err, faultPosition, buf.subarray(start, end)));
  }
}

/** One JSON event, or newline-separated ones when the whole is not JSON. */
function readText<E>(out: Found<E>, read: EntryReader<E>, text: Buffer, defaults: EntryDefaults): void {
  let whole: unknown;
  try {
    out.events.push(read(text, 0, text.length, defaults.at(0, 0)));
    return;
  } catch (err) {
    whole = err;
  }
  // Bytes that are not UTF-8 may sit in one line of several: each line says for itself.
  if (!(whole instanceof EventNotJsonError || whole instanceof EventNotUtf8Error) || text.indexOf(NEWLINE) < 0) {
    out.faults.push(faultOf(whole, -1, text));
    return;
  }
  const lines: Found<E> = { events: [], faults: [] };
  let jsonLines = 0;
  for (let start = 0, index = 0; start < text.length; index++) {
    const nl = text.indexOf(NEWLINE, start);
    const stop = nl < 0 ? text.length : nl;
    const end = stop > start && text[stop - 1] === CR ? stop - 1 : stop;
    if (!isBlank(text, start, end)) {
      const faults = lines.faults.length;
      readEntry(lines, read, text, start, end, defaults.at(0, index), index);
      if (lines.faults.length === faults || lines.faults[faults]!.kind !== 'not-json') jsonLines++;
    }
    start = stop + 1;
  }
  // Text with newlines of which no line is JSON is not newline-separated JSON either:
  // one fault for the record, not one per line.
  if (jsonLines === 0) {
    out.faults.push(faultOf(whole, -1, text));
    return;
  }
  out.events.push(...lines.events);
  out.faults.push(...lines.faults);
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 0x20 && c !== 0x09 && c !== CR) return false;
  }
  return true;
}

interface CloudWatchLogsMessage {
  messageType?: unknown;
  logEvents?: { timestamp?: unknown; message?: unknown }[];
}

/**
 * A CloudWatch Logs subscription message: each log event's message read as an event,
 * its timestamp the default ts. False when `text` is not one.
 */
function readCloudWatchLogs<E>(out: Found<E>, read: EntryReader<E>, text: Buffer, defaults: EntryDefaults): boolean {
  if (text.length < CLOUDWATCH_LOGS_PREFIX.length || text.compare(CLOUDWATCH_LOGS_PREFIX, 0, CLOUDWATCH_LOGS_PREFIX.length, 0, CLOUDWATCH_LOGS_PREFIX.length) !== 0) return false;
  let msg: CloudWatchLogsMessage;
  try {
    msg = JSON.parse(text.toString('utf8')) as CloudWatchLogsMessage;
  } catch {
    return false;
  }
  // CloudWatch Logs checks the destination with a CONTROL_MESSAGE: no events in it.
  if (msg.messageType === 'CONTROL_MESSAGE') return true;
  if (msg.messageType !== 'DATA_MESSAGE' || !Array.isArray(msg.logEvents)) return false;
  msg.logEvents.forEach((logEvent, index) => {
    const message = Buffer.from(typeof logEvent?.message === 'string' ? logEvent.message : '', 'utf8');
    const ts = typeof logEvent?.timestamp === 'number' ? logEvent.timestamp : defaults.arrivalMs;
    readEntry(out, read, message, 0, message.length, defaults.at(0, index, ts), index);
  });
  return true;
}
