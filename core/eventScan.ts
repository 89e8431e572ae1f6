// A fast read of an event's JSON bytes for consumers that need its fields but not its
// payload. It knows the one layout sluice's producer writes (JSON.stringify of the
// normalized event) and says "not this one" for anything else, so the caller falls
// back to JSON.parse + parseEvent: any JSON from any producer still reads the same.
import { isUtf8 } from 'node:buffer';
import { EVENT_LIMITS, type IdOrigin, type SluiceEvent } from './event.ts';
import { FNV_OFFSET, FNV_PRIME } from './fnv1a.ts';
import { InternTable, latin1Slice } from './InternTable.ts';
import { CLOSE_BRACE, COLON, COMMA, QUOTE, JsonCursor, EXACT_DIGITS, asciiBytes } from './JsonCursor.ts';
import { JsonValidator } from './JsonValidator.ts';

/** An event's fields without its payload: what `scanEvent` returns, what the aggregator decodes and rollups read. */
export type ScannedEvent = Omit<SluiceEvent, 'payload'>;

/*
 * The layout, byte for byte (JSON.stringify of normalizeEvent's object, keys in its
 * order, no whitespace):
 *
 *   {"id":"…"[,"idOrigin":"producer"|"client"],"type":"…","ts":<int>,"value":<number>[,"dims":{"k":"v",…}][,"payload":<JSON>]}
 *
 * Strings are read byte-wise: a backslash escape, a control character, a replacement
 * character after decoding, another key order, whitespace, a ts that is not a plain
 * integer, a duplicate dimension: all give undefined, never a guess. Every rule of
 * parseEvent (id length, type pattern and length, ts range, finite value, dimension
 * count, name pattern and value length) is applied with the same EVENT_LIMITS; an
 * event that breaks one also gives undefined, so the error the caller reports is
 * parseEvent's own.
 *
 * The payload is not parsed into values, but it is validated (JsonValidator): its bytes
 * must be one well-formed JSON value (the grammar of RFC 8259, without whitespace) in
 * UTF-8, nested at most EVENT_LIMITS.maxPayloadDepth deep, so the scan
 * never accepts a text JSON.parse rejects, and needs no checksum to lean on: plain
 * (unchecksummed) records are safe to read this way (test/event-scan.property.test.ts).
 * What a consumer on this path does not get is the payload's values.
 */

/** What a byte inside a string means to the scan: one table load per byte. */
const PLAIN = 0; // ASCII, no escape needed
const END_QUOTE = 1; // the closing quote
const GIVE_UP = 2; // a backslash escape or a raw control character
const NON_ASCII = 3;
const STRING_BYTE = new Uint8Array(256).map((_, c) =>
  c === QUOTE ? END_QUOTE : c === 0x5c || c < 0x20 ? GIVE_UP : c >= 0x80 ? NON_ASCII : PLAIN);

const ID_KEY = asciiBytes('{"id":"');
const ORIGIN_PRODUCER = asciiBytes(',"idOrigin":"producer"');
const ORIGIN_CLIENT = asciiBytes(',"idOrigin":"client"');
const TYPE_KEY = asciiBytes(',"type":"');
const TS_KEY = asciiBytes(',"ts":');
const VALUE_KEY = asciiBytes(',"value":');
const DIMS_KEY = asciiBytes('"dims":{');
const PAYLOAD_KEY = asciiBytes('"payload":');

// EVENT_LIMITS, copied once: the scan reads them per event, and a module loader may
// turn each read of an import into a getter call.
const MAX_ID_CHARS = EVENT_LIMITS.maxIdChars;
const MAX_TYPE_CHARS = EVENT_LIMITS.maxTypeChars;
const TYPE_PATTERN = EVENT_LIMITS.typePattern;
const DIM_NAME_PATTERN = EVENT_LIMITS.dimNamePattern;
const MAX_DIMS = EVENT_LIMITS.maxDims;
const MAX_DIM_VALUE_CHARS = EVENT_LIMITS.maxDimValueChars;
const MIN_TS = EVENT_LIMITS.minTs;
const MAX_TS = EVENT_LIMITS.maxTs;
const HASH_OFFSET = FNV_OFFSET;
const HASH_PRIME = FNV_PRIME;

/**
 * Scans events one after another. Everything a scan needs between two bytes lives in
 * the scanner (its cursor, its intern tables, the names of the dims seen so far), made
 * once and reused: a scan allocates nothing but the strings and the object it returns.
 * Not re-entrant, which a synchronous scan never needs; two scanners share nothing.
 */
export class EventScanner {
  private readonly c = new JsonCursor();
  private readonly payload = new JsonValidator(EVENT_LIMITS.maxPayloadDepth);
  // Sized for the strings that repeat: types are few, dimension names fewer, values many.
  private readonly types = new InternTable(10, MAX_TYPE_CHARS, TYPE_PATTERN);
  private readonly dimNames = new InternTable(8, Infinity, DIM_NAME_PATTERN);
  private readonly dimValues = new InternTable(14, MAX_DIM_VALUE_CHARS, null);
  /** Names of the dims read so far in the event being scanned (at most MAX_DIMS). */
  private readonly seenNames: string[] = new Array<string>(MAX_DIMS).fill('');

  /** See `scanEvent`. */
  scan(buf: Buffer, start: number, end: number, keepDims: ReadonlySet<string> | undefined): ScannedEvent | undefined {
    const c = this.c.at(buf, start, end);
    if (!c.literal(ID_KEY)) return undefined;
    const id = this.plainString(null);
    if (id === undefined || id.length === 0 || id.length > MAX_ID_CHARS) return undefined;
    // Absent means a client's id (parseEvent's rule); any other value takes the full path.
    let idOrigin: IdOrigin = 'client';
    if (c.literal(ORIGIN_PRODUCER)) idOrigin = 'producer';
    else c.literal(ORIGIN_CLIENT); // the explicit form of the default
    if (!c.literal(TYPE_KEY)) return undefined;
    const type = this.plainString(this.types);
    if (type === undefined || type.length === 0) return undefined;
    if (!c.literal(TS_KEY)) return undefined;
    const ts = this.plainTs();
    if (ts === undefined) return undefined;
    if (!c.literal(VALUE_KEY)) return undefined;
    const valueStart = c.pos;
    if (!c.number()) return undefined;
    const value = c.numberValue(valueStart);
    if (!Number.isFinite(value)) return undefined;
    // Then `,"dims":{…}`, `,"payload":…`, both in that order, or neither.
    let dims: Record<string, string> | null = null;
    let more = c.pos < end && buf[c.pos] === COMMA;
    if (more) {
      c.pos++;
      if (c.literal(DIMS_KEY)) {
        const scanned = this.scanDims(keepDims);
        if (scanned === undefined) return undefined;
        dims = scanned;
        more = c.pos < end && buf[c.pos] === COMMA;
        if (more) c.pos++;
      }
      if (more) {
        if (!c.literal(PAYLOAD_KEY)) return undefined;
        const payloadStart = c.pos;
        c.nonAscii = false;
        if (!this.payload.skipValue(c)) return undefined;
        if (c.nonAscii && !isUtf8(buf.subarray(payloadStart, c.pos))) return undefined;
      }
    }
    if (c.pos !== end - 1 || buf[c.pos] !== CLOSE_BRACE) return undefined;
    // Made once the scan succeeded, whole: an object given a property later grows a second store.
    return dims === null ? { id, idOrigin, type, ts, value } : { id, idOrigin, type, ts, value, dims };
  }

  /**
   * The text of a string whose opening quote is behind the cursor, or undefined when
   * it holds an escape or a control character, is unterminated, breaks the rule of
   * `table`, or decodes to text with a replacement character (bytes that are not UTF-8:
   * decoding would hide them). Leaves the cursor after the closing quote. Without a
   * table the string is built each time (ids never repeat).
   */
  private plainString(table: InternTable | null): string | undefined {
    const c = this.c;
    const buf = c.buf;
    const end = c.end;
    const start = c.pos;
    let i = start;
    let h = HASH_OFFSET; // FNV-1a, kept a 32-bit integer (a larger start would make it a heap number)
    if (table === null) {
      i = this.plainRun(start);
    } else {
      let b = 0;
      while (i < end && STRING_BYTE[b = buf[i]!]! === PLAIN) {
        h = Math.imul(h ^ b, HASH_PRIME);
        i++;
      }
    }
    const cls = i < end ? STRING_BYTE[buf[i]!]! : GIVE_UP;
    if (cls === END_QUOTE) {
      c.pos = i + 1;
      return table === null ? latin1Slice(buf, start, i) : table.ascii(buf, start, i, h);
    }
    if (cls === GIVE_UP) return undefined;
    const s = this.nonAsciiString(start, i);
    return s === undefined || (table !== null && !table.valid(s)) ? undefined : s;
  }

  /** Where the run of plain ASCII string bytes from `i` stops: at a quote, an escape, a control or non-ASCII byte, or the end. */
  private plainRun(i: number): number {
    const c = this.c;
    const buf = c.buf;
    const end = c.end;
    while (i < end && STRING_BYTE[buf[i]!]! === PLAIN) i++;
    return i;
  }

  /**
   * The rest of a plain string from `start` found to hold a non-ASCII byte at `i`:
   * decoded, with the cursor after its closing quote; undefined when it holds an
   * escape or a control character, is unterminated, or is not UTF-8 (decoding would
   * put a replacement character where the bad bytes were).
   */
  private nonAsciiString(start: number, i: number): string | undefined {
    const c = this.c;
    const buf = c.buf;
    for (; i < c.end; i++) {
      const cls = STRING_BYTE[buf[i]!]!;
      if (cls === GIVE_UP) return undefined;
      if (cls === END_QUOTE) {
        c.pos = i + 1;
        const s = buf.toString('utf8', start, i);
        return s.includes('\uFFFD') ? undefined : s;
      }
    }
    return undefined;
  }

  /** ts: a plain JSON integer (no sign, fraction or exponent) inside EVENT_LIMITS. */
  private plainTs(): number | undefined {
    const c = this.c;
    const start = c.pos;
    // Only digits stepped over: the grammar's integer part, without sign, fraction or exponent.
    if (!c.number() || c.negative || c.pos - start !== c.digits || c.digits > EXACT_DIGITS) return undefined;
    const n = c.mantissa;
    return n >= MIN_TS && n < MAX_TS ? n : undefined;
  }

  /**
   * The dims object after its `{`: every dimension validated, those in `keep` (all
   * when it is undefined) built into the object; null when none is kept (`{}` included,
   * which parseEvent drops too), undefined to give up.
   */
  private scanDims(keep: ReadonlySet<string> | undefined): Record<string, string> | null | undefined {
    const c = this.c;
    const buf = c.buf;
    const end = c.end;
    if (c.pos < end && buf[c.pos] === CLOSE_BRACE) {
      c.pos++;
      return null;
    }
    const seenNames = this.seenNames;
    let dims: Record<string, string> | null = null;
    let n = 0;
    for (;;) {
      if (c.pos >= end || buf[c.pos] !== QUOTE) return undefined;
      c.pos++;
      const name = this.plainString(this.dimNames);
      if (name === undefined) return undefined;
      // JSON.parse keeps the last of duplicate names; rather than mimic that, give up.
      if (n === MAX_DIMS) return undefined;
      for (let k = 0; k < n; k++) if (seenNames[k] === name) return undefined;
      seenNames[n++] = name;
      if (c.pos >= end || buf[c.pos] !== COLON || buf[c.pos + 1] !== QUOTE) return undefined;
      c.pos += 2;
      if (keep === undefined || keep.has(name)) {
        const v = this.plainString(this.dimValues);
        if (v === undefined) return undefined;
        (dims ??= {})[name] = v;
      } else if (!this.skipDimValue()) {
        return undefined;
      }
      if (c.pos >= end) return undefined;
      const b = buf[c.pos++];
      if (b === CLOSE_BRACE) return dims;
      if (b !== COMMA) return undefined;
    }
  }

  /**
   * Checks a dimension value the caller does not keep, as plainString would (no escape,
   * no control character, decodable, at most MAX_DIM_VALUE_CHARS), without building it
   * unless it holds non-ASCII bytes.
   */
  private skipDimValue(): boolean {
    const c = this.c;
    const start = c.pos;
    const i = this.plainRun(start);
    const cls = i < c.end ? STRING_BYTE[c.buf[i]!]! : GIVE_UP;
    if (cls === END_QUOTE) {
      c.pos = i + 1;
      return i - start <= MAX_DIM_VALUE_CHARS;
    }
    if (cls === GIVE_UP) return false;
    const s = this.nonAsciiString(start, i);
    return s !== undefined && s.length <= MAX_DIM_VALUE_CHARS;
  }
}

/** The scanner behind `scanEvent`: one per process, so its intern tables stay warm from batch to batch. */
const shared = new EventScanner();

/**
 * The fields of `parseEvent(JSON.parse(text))` but the payload, read straight from
 * the event's UTF-8 bytes `buf[start, end)`, or undefined when the bytes are not in
 * the producer's layout or break a rule of parseEvent: the caller then takes the
 * full path, which reads any JSON and names the rule an event breaks.
 *
 * `keepDims` names the dimensions the caller reads (default: all). Every dimension is
 * validated either way, but only those are built: `dims` is parseEvent's dims
 * restricted to them, absent when that is empty. A consumer that groups by one or two
 * dimensions, or none, so skips making a string per value and an object per event.
 */
export function scanEvent(buf: Buffer, start = 0, end = buf.length, keepDims?: ReadonlySet<string>): ScannedEvent | undefined {
  return shared.scan(buf, start, end, keepDims);
}
