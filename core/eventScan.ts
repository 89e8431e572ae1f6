// A fast read of an event's JSON bytes for consumers that need its fields but not its
// payload. It knows the one layout sluice's producer writes (JSON.stringify of the
// normalized event) and says "not this one" for anything else, so the caller falls
// back to JSON.parse + parseEvent: any JSON from any producer still reads the same.
import { isUtf8 } from 'node:buffer';
import { EVENT_LIMITS, type IdOrigin, type SluiceEvent } from './event.ts';
import { FNV_OFFSET, FNV_PRIME } from './fnv1a.ts';

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
 * The payload is not parsed into values, but it is validated: its bytes must be one
 * well-formed JSON value (the grammar of RFC 8259, without whitespace) in UTF-8,
 * nested at most EVENT_LIMITS.maxPayloadDepth deep, so the scan
 * never accepts a text JSON.parse rejects, and needs no checksum to lean on: plain
 * (unchecksummed) records are safe to read this way (test/event-scan.property.test.ts).
 * What a consumer on this path does not get is the payload's values.
 */

const Q = 0x22; // "
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** What a byte inside a string means to the scan: one table load per byte. */
const PLAIN = 0; // ASCII, no escape needed
const QUOTE = 1; // the closing quote
const GIVE_UP = 2; // a backslash escape or a raw control character
const NON_ASCII = 3;
const STRING_BYTE = new Uint8Array(256).map((_, c) =>
  c === Q ? QUOTE : c === BACKSLASH || c < 0x20 ? GIVE_UP : c >= 0x80 ? NON_ASCII : PLAIN);

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const ID_KEY = ascii('{"id":"');
const ORIGIN_PRODUCER = ascii(',"idOrigin":"producer"');
const ORIGIN_CLIENT = ascii(',"idOrigin":"client"');
const TYPE_KEY = ascii(',"type":"');
const TS_KEY = ascii(',"ts":');
const VALUE_KEY = ascii(',"value":');
const DIMS_KEY = ascii('"dims":{');
const PAYLOAD_KEY = ascii('"payload":');

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

/** 10^0 .. 10^22: the powers of ten a double holds exactly. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** At most this many digits make an integer below 2^53, exact in a double. */
const EXACT_DIGITS = 15;

/**
 * Strings met before, found again from their bytes without building a new string:
 * types, dimension names and many dimension values repeat from event to event, and
 * making a string per field costs more than the rest of the scan. Only strings that
 * pass the table's rule (its pattern and length, the rules of parseEvent) get in, so
 * a hit is also a validation; a slot's string is replaced when another one hashes
 * there, which keeps each table's size fixed.
 */
class InternTable {
  private readonly slots: (string | undefined)[];
  private readonly mask: number;

  constructor(bits: number, private readonly maxChars: number, private readonly pattern: RegExp | null) {
    this.slots = new Array<string | undefined>(1 << bits).fill(undefined);
    this.mask = (1 << bits) - 1;
  }

  /** The ASCII string of buf[start, end) (hash h), or undefined when it breaks the rule. */
  ascii(buf: Buffer, start: number, end: number, h: number): string | undefined {
    const len = end - start;
    const slot = h & this.mask;
    const known = this.slots[slot];
    if (known !== undefined && known.length === len) {
      let k = 0;
      while (k < len && known.charCodeAt(k) === buf[start + k]) k++;
      if (k === len) return known;
    }
    const s = latin1(buf, start, end);
    if (!this.valid(s)) return undefined;
    this.slots[slot] = s;
    return s;
  }

  valid(s: string): boolean {
    return s.length <= this.maxChars && (this.pattern === null || this.pattern.test(s));
  }
}

const types = new InternTable(10, MAX_TYPE_CHARS, TYPE_PATTERN);
const dimNames = new InternTable(8, Infinity, DIM_NAME_PATTERN);
const dimValues = new InternTable(14, MAX_DIM_VALUE_CHARS, null);

/** Buffer's own latin1 slice, without toString's argument handling (ASCII bytes only here). */
const latin1 = (buf: Buffer, start: number, end: number): string =>
  (buf as unknown as { latin1Slice(start: number, end: number): string }).latin1Slice(start, end);

/** Cursor of the scan in progress (the scan is synchronous, so one suffices). */
let p = 0;

function literal(buf: Buffer, lit: Uint8Array, end: number): boolean {
  const n = lit.length;
  if (p + n > end) return false;
  for (let i = 0; i < n; i++) if (buf[p + i] !== lit[i]) return false;
  p += n;
  return true;
}

/**
 * The text of a string whose opening quote is behind the cursor, or undefined when
 * it holds an escape or a control character, is unterminated, breaks the rule of
 * `table`, or decodes to text with a replacement character (bytes that are not UTF-8:
 * decoding would hide them). Leaves the cursor after the closing quote. Without a
 * table the string is built each time (ids never repeat).
 */
function plainString(buf: Buffer, end: number, table: InternTable | null): string | undefined {
  const start = p;
  let i = start;
  let cls = 0;
  let h = HASH_OFFSET; // FNV-1a, kept a 32-bit integer (a larger start would make it a heap number)
  if (table === null) {
    while (i < end && (cls = STRING_BYTE[buf[i]!]!) === PLAIN) i++;
  } else {
    let c = 0;
    while (i < end && (cls = STRING_BYTE[c = buf[i]!]!) === PLAIN) {
      h = Math.imul(h ^ c, HASH_PRIME);
      i++;
    }
  }
  if (i >= end || cls === GIVE_UP) return undefined;
  if (cls === QUOTE) {
    p = i + 1;
    return table === null ? latin1(buf, start, i) : table.ascii(buf, start, i, h);
  }
  i = endOfNonAscii(buf, i, end);
  if (i < 0) return undefined;
  p = i + 1;
  const s = buf.toString('utf8', start, i);
  return s.includes('\uFFFD') || (table !== null && !table.valid(s)) ? undefined : s;
}

/** The closing quote's index for a string found to hold non-ASCII bytes at `i`, or -1 to give up. */
function endOfNonAscii(buf: Buffer, i: number, end: number): number {
  for (; i < end; i++) {
    const cls = STRING_BYTE[buf[i]!]!;
    if (cls === QUOTE) return i;
    if (cls === GIVE_UP) return -1;
  }
  return -1;
}

/** ts: a plain JSON integer (no sign, fraction or exponent) inside EVENT_LIMITS. */
function plainTs(buf: Buffer, end: number): number | undefined {
  const start = p;
  let n = 0;
  while (p < end) {
    const c = buf[p]!;
    if (c < ZERO || c > NINE) break;
    n = n * 10 + (c - ZERO);
    p++;
  }
  const digits = p - start;
  if (digits === 0 || digits > EXACT_DIGITS || (buf[start] === ZERO && digits > 1)) return undefined;
  return n >= MIN_TS && n < MAX_TS ? n : undefined;
}

/**
 * A JSON number at the cursor, as JSON.parse reads it, or undefined when the bytes
 * are not a JSON number. Up to 15 significant digits and a decimal exponent within
 * ±22 the double is computed here with one correctly rounded operation on exact
 * operands (so it equals the correctly rounded value JSON.parse gives); otherwise
 * the validated text goes through Number().
 */
function jsonNumber(buf: Buffer, end: number): number | undefined {
  const start = p;
  let negative = false;
  if (buf[p] === MINUS) {
    negative = true;
    p++;
  }
  let mantissa = 0;
  let digits = 0;
  const intStart = p;
  while (p < end) {
    const c = buf[p]!;
    if (c < ZERO || c > NINE) break;
    mantissa = mantissa * 10 + (c - ZERO);
    p++;
  }
  const intDigits = p - intStart;
  if (intDigits === 0 || (buf[intStart] === ZERO && intDigits > 1)) return undefined;
  digits = intDigits;
  let scale = 0;
  if (p < end && buf[p] === DOT) {
    p++;
    const fracStart = p;
    while (p < end) {
      const c = buf[p]!;
      if (c < ZERO || c > NINE) break;
      mantissa = mantissa * 10 + (c - ZERO);
      p++;
    }
    const fracDigits = p - fracStart;
    if (fracDigits === 0) return undefined;
    digits += fracDigits;
    scale = -fracDigits;
  }
  if (p < end && (buf[p] === 0x65 || buf[p] === 0x45)) { // e E
    p++;
    let expNegative = false;
    if (p < end && (buf[p] === PLUS || buf[p] === MINUS)) {
      expNegative = buf[p] === MINUS;
      p++;
    }
    const expStart = p;
    let exp = 0;
    while (p < end) {
      const c = buf[p]!;
      if (c < ZERO || c > NINE) break;
      if (exp < 1e6) exp = exp * 10 + (c - ZERO);
      p++;
    }
    if (p === expStart) return undefined;
    scale += expNegative ? -exp : exp;
  }
  if (digits <= EXACT_DIGITS && scale >= -22 && scale <= 22) {
    const magnitude = scale < 0 ? mantissa / POW10[-scale]! : mantissa * POW10[scale]!;
    return negative ? -magnitude : magnitude;
  }
  return Number(buf.toString('latin1', start, p));
}

/** Whether a string skipped in the payload held a non-ASCII byte (its UTF-8 is then checked once). */
let payloadNonAscii = false;

/** Skips a JSON string (escapes checked) whose opening quote is at the cursor; false if malformed. */
function skipString(buf: Buffer, end: number): boolean {
  let i = p + 1;
  while (i < end) {
    const c = buf[i]!;
    if (c === Q) {
      p = i + 1;
      return true;
    }
    if (c < 0x20) return false;
    if (c >= 0x80) payloadNonAscii = true;
    if (c === BACKSLASH) {
      const e = buf[i + 1];
      if (e === 0x75) { // \uXXXX
        if (i + 6 > end) return false;
        for (let k = i + 2; k < i + 6; k++) if (!isHex(buf[k]!)) return false;
        i += 6;
        continue;
      }
      // \" \\ \/ \b \f \n \r \t
      if (e !== Q && e !== BACKSLASH && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return false;
      i += 2;
      continue;
    }
    i++;
  }
  return false;
}

function isHex(c: number): boolean {
  return (c >= ZERO && c <= NINE) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

const TRUE = ascii('true');
const FALSE = ascii('false');
const NULL = ascii('null');
/** parseEvent rejects deeper payloads (the payload itself is one level). */
const MAX_DEPTH = EVENT_LIMITS.maxPayloadDepth;
const containers = new Uint8Array(MAX_DEPTH);

/**
 * Skips one well-formed JSON value (no whitespace) at the cursor, without building it;
 * false when the bytes are not one. Iterative, with an explicit stack of open
 * containers (1 object, 2 array).
 */
function skipJsonValue(buf: Buffer, end: number): boolean {
  let depth = 0;
  for (;;) {
    // A value is expected at the cursor.
    if (p >= end) return false;
    const c = buf[p]!;
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      // An empty container is a level too, as parseEvent counts it.
      if (depth === MAX_DEPTH) return false;
      p++;
      const close = c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
      if (buf[p] === close && p < end) {
        p++;
      } else {
        containers[depth++] = c === OPEN_BRACE ? 1 : 2;
        if (c === OPEN_BRACE && !objectKey(buf, end)) return false;
        continue;
      }
    } else if (c === Q) {
      if (!skipString(buf, end)) return false;
    } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
      if (jsonNumberSyntax(buf, end) === false) return false;
    } else if (c === 0x74) {
      if (!literal(buf, TRUE, end)) return false;
    } else if (c === 0x66) {
      if (!literal(buf, FALSE, end)) return false;
    } else if (c === 0x6e) {
      if (!literal(buf, NULL, end)) return false;
    } else {
      return false;
    }
    // After a value: close containers, or a comma and the next member.
    for (;;) {
      if (depth === 0) return true;
      if (p >= end) return false;
      const top = containers[depth - 1];
      const n = buf[p]!;
      if (n === COMMA) {
        p++;
        if (top === 1 && !objectKey(buf, end)) return false;
        break;
      }
      if ((n === CLOSE_BRACE && top === 1) || (n === CLOSE_BRACKET && top === 2)) {
        p++;
        depth--;
        continue;
      }
      return false;
    }
  }
}

/** A member's `"key":` at the cursor. */
function objectKey(buf: Buffer, end: number): boolean {
  if (p >= end || buf[p] !== Q || !skipString(buf, end)) return false;
  if (p >= end || buf[p] !== COLON) return false;
  p++;
  return true;
}

/** Number grammar only (the payload's numbers are not needed). */
function jsonNumberSyntax(buf: Buffer, end: number): boolean {
  if (buf[p] === MINUS) p++;
  const intStart = p;
  while (p < end && buf[p]! >= ZERO && buf[p]! <= NINE) p++;
  const intDigits = p - intStart;
  if (intDigits === 0 || (buf[intStart] === ZERO && intDigits > 1)) return false;
  if (p < end && buf[p] === DOT) {
    const s = ++p;
    while (p < end && buf[p]! >= ZERO && buf[p]! <= NINE) p++;
    if (p === s) return false;
  }
  if (p < end && (buf[p] === 0x65 || buf[p] === 0x45)) {
    p++;
    if (p < end && (buf[p] === PLUS || buf[p] === MINUS)) p++;
    const s = p;
    while (p < end && buf[p]! >= ZERO && buf[p]! <= NINE) p++;
    if (p === s) return false;
  }
  return true;
}

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
  p = start;
  if (!literal(buf, ID_KEY, end)) return undefined;
  const id = plainString(buf, end, null);
  if (id === undefined || id.length === 0 || id.length > MAX_ID_CHARS) return undefined;
  // Absent means a client's id (parseEvent's rule); any other value takes the full path.
  let idOrigin: IdOrigin = 'client';
  if (literal(buf, ORIGIN_PRODUCER, end)) idOrigin = 'producer';
  else literal(buf, ORIGIN_CLIENT, end); // the explicit form of the default
  if (!literal(buf, TYPE_KEY, end)) return undefined;
  const type = plainString(buf, end, types);
  if (type === undefined || type.length === 0) return undefined;
  if (!literal(buf, TS_KEY, end)) return undefined;
  const ts = plainTs(buf, end);
  if (ts === undefined) return undefined;
  if (!literal(buf, VALUE_KEY, end)) return undefined;
  const value = jsonNumber(buf, end);
  if (value === undefined || !Number.isFinite(value)) return undefined;
  // Then `,"dims":{…}`, `,"payload":…`, both in that order, or neither.
  let dims: Record<string, string> | null = null;
  let more = p < end && buf[p] === COMMA;
  if (more) {
    p++;
    if (literal(buf, DIMS_KEY, end)) {
      const scanned = scanDims(buf, end, keepDims);
      if (scanned === undefined) return undefined;
      dims = scanned;
      more = p < end && buf[p] === COMMA;
      if (more) p++;
    }
    if (more) {
      if (!literal(buf, PAYLOAD_KEY, end)) return undefined;
      const payloadStart = p;
      payloadNonAscii = false;
      if (!skipJsonValue(buf, end)) return undefined;
      if (payloadNonAscii && !isUtf8(buf.subarray(payloadStart, p))) return undefined;
    }
  }
  if (p !== end - 1 || buf[p] !== CLOSE_BRACE) return undefined;
  // Made once the scan succeeded, whole: an object given a property later grows a second store.
  return dims === null ? { id, idOrigin, type, ts, value } : { id, idOrigin, type, ts, value, dims };
}

/** Names of the dims read so far in the event being scanned (at most MAX_DIMS). */
const seenNames: string[] = new Array<string>(MAX_DIMS).fill('');

/**
 * The dims object after its `{`: every dimension validated, those in `keep` (all
 * when it is undefined) built into the object; null when none is kept (`{}` included,
 * which parseEvent drops too), undefined to give up.
 */
function scanDims(buf: Buffer, end: number, keep: ReadonlySet<string> | undefined): Record<string, string> | null | undefined {
  if (p < end && buf[p] === CLOSE_BRACE) {
    p++;
    return null;
  }
  let dims: Record<string, string> | null = null;
  let n = 0;
  for (;;) {
    if (p >= end || buf[p] !== Q) return undefined;
    p++;
    const name = plainString(buf, end, dimNames);
    if (name === undefined) return undefined;
    // JSON.parse keeps the last of duplicate names; rather than mimic that, give up.
    if (n === MAX_DIMS) return undefined;
    for (let k = 0; k < n; k++) if (seenNames[k] === name) return undefined;
    seenNames[n++] = name;
    if (p >= end || buf[p] !== COLON || buf[p + 1] !== Q) return undefined;
    p += 2;
    if (keep === undefined || keep.has(name)) {
      const v = plainString(buf, end, dimValues);
      if (v === undefined) return undefined;
      (dims ??= {})[name] = v;
    } else if (!skipDimValue(buf, end)) {
      return undefined;
    }
    if (p >= end) return undefined;
    const c = buf[p++];
    if (c === CLOSE_BRACE) return dims;
    if (c !== COMMA) return undefined;
  }
}

/**
 * Checks a dimension value the caller does not keep, as plainString would (no escape,
 * no control character, decodable, at most MAX_DIM_VALUE_CHARS), without building it
 * unless it holds non-ASCII bytes.
 */
function skipDimValue(buf: Buffer, end: number): boolean {
  const start = p;
  let i = start;
  let cls = 0;
  while (i < end && (cls = STRING_BYTE[buf[i]!]!) === PLAIN) i++;
  if (i >= end || cls === GIVE_UP) return false;
  if (cls === QUOTE) {
    p = i + 1;
    return i - start <= MAX_DIM_VALUE_CHARS;
  }
  i = endOfNonAscii(buf, i, end);
  if (i < 0) return false;
  p = i + 1;
  const s = buf.toString('utf8', start, i);
  return !s.includes('\uFFFD') && s.length <= MAX_DIM_VALUE_CHARS;
}
