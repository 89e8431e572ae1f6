// The one event shape, validated in one place. Producer, consumers, query and load
// test all go through `normalizeEvent` (producer side: fills id, ts, value) or
// `parseEvent` (consumer side: the same checks, nothing filled in silently).
import { EventValidationError } from './errors.ts';
import { newEventId } from './ids.ts';

/** What a client may send. */
export interface EventInput {
  id?: string;
  type: string;
  /** ISO-8601 string or epoch milliseconds. */
  ts?: string | number;
  dims?: Record<string, string>;
  value?: number;
  payload?: unknown;
}

/** An event as it travels through the stream: every field settled. */
export interface SluiceEvent {
  id: string;
  type: string;
  /** Epoch milliseconds. */
  ts: number;
  dims?: Record<string, string>;
  value: number;
  payload?: unknown;
}

/** Documented limits of the event schema (README: "The event"). */
export const EVENT_LIMITS = {
  maxIdChars: 64,
  maxTypeChars: 128,
  typePattern: /^[A-Za-z0-9][A-Za-z0-9_.:\-/]*$/,
  maxDims: 16,
  /** Dimension names are safe as SQL identifiers once whitelisted. */
  dimNamePattern: /^[a-z][a-z0-9_]{0,62}$/,
  maxDimValueChars: 256,
  /** Serialized event, including payload. */
  maxEventBytes: 256 * 1024,
  /** Accepted timestamp range: 2000-01-01 .. 2100-01-01. */
  minTs: Date.UTC(2000, 0, 1),
  maxTs: Date.UTC(2100, 0, 1),
} as const;

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function fail(field: string, message: string): never {
  throw new EventValidationError(field, message);
}

/** `ts` as epoch milliseconds, or the EventValidationError normalizeEvent raises. */
export function checkTs(ts: unknown): number {
  let ms: number;
  if (typeof ts === 'number') {
    if (!Number.isInteger(ts)) fail('ts', 'epoch milliseconds must be an integer');
    ms = ts;
  } else if (typeof ts === 'string') {
    if (!ISO_8601.test(ts)) fail('ts', `"${ts.slice(0, 40)}" is not an ISO-8601 date-time with a zone (e.g. 2026-11-28T14:00:00Z)`);
    ms = Date.parse(ts);
    if (Number.isNaN(ms)) fail('ts', `"${ts.slice(0, 40)}" is not a valid date`);
  } else {
    fail('ts', 'must be an ISO-8601 string or epoch milliseconds');
  }
  if (ms < EVENT_LIMITS.minTs || ms >= EVENT_LIMITS.maxTs) fail('ts', 'must be between 2000-01-01 and 2100-01-01');
  return ms;
}

function checkDims(dims: unknown): Record<string, string> | undefined {
  if (dims === undefined || dims === null) return undefined;
  if (typeof dims !== 'object' || Array.isArray(dims)) fail('dims', 'must be an object of name: string');
  let n = 0;
  for (const name in dims as Record<string, unknown>) {
    if (++n > EVENT_LIMITS.maxDims) fail('dims', `at most ${EVENT_LIMITS.maxDims} dimensions`);
    if (!EVENT_LIMITS.dimNamePattern.test(name)) {
      fail(`dims.${name}`, 'name must match ^[a-z][a-z0-9_]{0,62}$');
    }
    const v = (dims as Record<string, unknown>)[name];
    if (typeof v !== 'string') fail(`dims.${name}`, 'value must be a string');
    if (v.length > EVENT_LIMITS.maxDimValueChars) fail(`dims.${name}`, `value longer than ${EVENT_LIMITS.maxDimValueChars} characters`);
  }
  return n === 0 ? undefined : (dims as Record<string, string>);
}

function checkCommon(input: unknown): { o: Record<string, unknown>; type: string } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('event', 'must be a JSON object');
  const o = input as Record<string, unknown>;
  const type = o.type;
  if (typeof type !== 'string' || type.length === 0) fail('type', 'is required and must be a non-empty string');
  if (type.length > EVENT_LIMITS.maxTypeChars) fail('type', `longer than ${EVENT_LIMITS.maxTypeChars} characters`);
  if (!EVENT_LIMITS.typePattern.test(type)) fail('type', 'may hold letters, digits and _ . : - / only, starting with a letter or digit');
  return { o, type };
}

/** `value` (1 when absent), or the EventValidationError normalizeEvent raises. */
export function checkValue(v: unknown): number {
  if (v === undefined) return 1;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail('value', 'must be a finite number');
  return v;
}

function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > EVENT_LIMITS.maxIdChars) {
    fail('id', `must be a string of 1..${EVENT_LIMITS.maxIdChars} characters`);
  }
  return id;
}

function build(o: Record<string, unknown>, id: string, type: string, ts: number, value: number): SluiceEvent {
  const ev: SluiceEvent = { id, type, ts, value };
  const dims = checkDims(o.dims);
  if (dims) ev.dims = dims;
  if (o.payload !== undefined) ev.payload = o.payload;
  return ev;
}

/**
 * Validates a client event and fills what the producer owns: `id` (UUIDv7) and `ts`
 * (now) when absent, `value` 1 when absent. Throws EventValidationError naming the
 * field. Size is checked by `serializeEvent`.
 */
export function normalizeEvent(input: unknown, now = Date.now()): SluiceEvent {
  const { o, type } = checkCommon(input);
  const id = o.id === undefined ? newEventId(now) : checkId(o.id);
  const ts = o.ts === undefined ? now : checkTs(o.ts);
  return build(o, id, type, ts, checkValue(o.value));
}

/**
 * Validates an event read from the stream: the same rules, but `id` and `ts` must be
 * present, since a producer always sets them.
 */
export function parseEvent(input: unknown): SluiceEvent {
  const { o, type } = checkCommon(input);
  const id = checkId(o.id);
  if (o.ts === undefined) fail('ts', 'is required on a stream record');
  return build(o, id, type, checkTs(o.ts), checkValue(o.value));
}

/** JSON bytes of a normalized event; rejects one over the size limit. */
export function serializeEvent(ev: SluiceEvent): Buffer {
  const buf = Buffer.from(JSON.stringify(ev), 'utf8');
  if (buf.length > EVENT_LIMITS.maxEventBytes) {
    fail('event', `serialized size ${buf.length} bytes exceeds ${EVENT_LIMITS.maxEventBytes}`);
  }
  return buf;
}

/** An event validated and written as its JSON text (`encodeEvent`). */
export interface EncodedEvent {
  id: string;
  /** The event's JSON: the text whose UTF-8 bytes `serializeEvent(normalizeEvent(input, now))` returns. */
  json: string;
  /** UTF-8 bytes of `json`; equal to `json.length` exactly when the text is all ASCII. */
  byteLength: number;
}

const NON_ASCII = /[^\x00-\x7f]/;
/** Payload nodes (values and keys) scanned for non-ASCII text before giving up and measuring. */
const ASCII_SCAN_BUDGET = 64;

// A string of only these (printable ASCII but `"` and `\`) is its own JSON string
// body, and its UTF-8 bytes are its characters.
const NOT_PLAIN_ASCII = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;

/**
 * Names that passed a pattern: real streams repeat a few types and dimension names,
 * and a set lookup is cheaper than the regex. Bounded: emptied when full.
 */
class PatternCache {
  private readonly seen = new Set<string>();
  constructor(private readonly pattern: RegExp, private readonly maxEntries = 1024) {}
  test(s: string): boolean {
    if (this.seen.has(s)) return true;
    if (!this.pattern.test(s)) return false;
    if (this.seen.size >= this.maxEntries) this.seen.clear();
    this.seen.add(s);
    return true;
  }
}
export const TYPES = new PatternCache(EVENT_LIMITS.typePattern);
export const DIM_NAMES = new PatternCache(EVENT_LIMITS.dimNamePattern);

/**
 * `normalizeEvent` then `serializeEvent` for the producer's hot path: the same checks
 * in the same order with the same errors, and the same JSON text, written in one
 * pass without the intermediate event object or a Buffer. Fields whose rules rule
 * out escaping (type, dim names, numbers) are copied as they are; id and dim values
 * are copied when a scan shows plain ASCII, else JSON.stringify'd; the payload is
 * JSON.stringify'd. The size comes without reading the text back when every part is
 * known to be ASCII (a short scan of the payload), else it is measured.
 *
 * The text is a rope (concatenated parts), flattened when it is first written: write
 * it once (the producer writes it into a shared slab) rather than measuring it again.
 * Dims and payload are read as plain data (a getter would be read twice).
 */
export function encodeEvent(input: unknown, now = Date.now()): EncodedEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) fail('event', 'must be a JSON object');
  const o = input as Record<string, unknown>;
  const type = o.type;
  if (typeof type !== 'string' || type.length === 0) fail('type', 'is required and must be a non-empty string');
  if (type.length > EVENT_LIMITS.maxTypeChars) fail('type', `longer than ${EVENT_LIMITS.maxTypeChars} characters`);
  if (!TYPES.test(type)) fail('type', 'may hold letters, digits and _ . : - / only, starting with a letter or digit');
  let ascii = true;
  let id: string;
  let json: string;
  if (o.id === undefined) {
    id = newEventId(now);
    json = `{"id":"${id}"`;
  } else {
    id = checkId(o.id);
    if (NOT_PLAIN_ASCII.test(id)) {
      json = `{"id":${JSON.stringify(id)}`;
      ascii = false;
    } else {
      json = `{"id":"${id}"`;
    }
  }
  const ts = o.ts === undefined ? now : checkTs(o.ts);
  const value = checkValue(o.value);
  // Numbers print as JSON.stringify prints them (finite: ToString).
  json += `,"type":"${type}","ts":${ts},"value":${value}`;
  const dims = o.dims;
  if (dims !== undefined && dims !== null) {
    if (typeof dims !== 'object' || Array.isArray(dims)) fail('dims', 'must be an object of name: string');
    const proto: unknown = Object.getPrototypeOf(dims);
    // Inherited names are checked by for-in but not written by JSON.stringify: the reference path.
    if (proto !== Object.prototype && proto !== null) return encodeByObject(o, id, type, ts, value);
    let n = 0;
    for (const name in dims as Record<string, unknown>) {
      if (++n > EVENT_LIMITS.maxDims) fail('dims', `at most ${EVENT_LIMITS.maxDims} dimensions`);
      if (!DIM_NAMES.test(name)) fail(`dims.${name}`, 'name must match ^[a-z][a-z0-9_]{0,62}$');
      const v = (dims as Record<string, unknown>)[name];
      if (typeof v !== 'string') fail(`dims.${name}`, 'value must be a string');
      if (v.length > EVENT_LIMITS.maxDimValueChars) fail(`dims.${name}`, `value longer than ${EVENT_LIMITS.maxDimValueChars} characters`);
      let quoted: string;
      if (NOT_PLAIN_ASCII.test(v)) {
        quoted = JSON.stringify(v);
        ascii = false;
      } else {
        quoted = `"${v}"`;
      }
      json += n === 1 ? `,"dims":{"${name}":${quoted}` : `,"${name}":${quoted}`;
    }
    if (n > 0) json += '}';
  }
  const payload = o.payload;
  if (payload !== undefined) {
    // A toJSON method gets its property name, which only the nested form passes.
    const text = hasToJSON(payload) ? nestedPayloadJson(payload) : JSON.stringify(payload);
    if (text !== undefined) {
      json += `,"payload":${text}`;
      if (ascii && asciiBudget(payload, ASCII_SCAN_BUDGET) < 0) ascii = false;
    }
  }
  json += '}';
  const byteLength = ascii ? json.length : Buffer.byteLength(json, 'utf8');
  if (byteLength > EVENT_LIMITS.maxEventBytes) fail('event', `serialized size ${byteLength} bytes exceeds ${EVENT_LIMITS.maxEventBytes}`);
  return { id, json, byteLength };
}

export function hasToJSON(v: unknown): boolean {
  return ((typeof v === 'object' && v !== null) || typeof v === 'bigint') && typeof (v as { toJSON?: unknown }).toJSON === 'function';
}

function nestedPayloadJson(payload: unknown): string | undefined {
  const text = JSON.stringify({ payload });
  return text === '{}' ? undefined : text.slice('{"payload":'.length, -1);
}

/** The reference path (`build` + `serializeEvent`) for events the one-pass writer does not take. */
function encodeByObject(o: Record<string, unknown>, id: string, type: string, ts: number, value: number): EncodedEvent {
  const buf = serializeEvent(build(o, id, type, ts, value));
  return { id, json: buf.toString('utf8'), byteLength: buf.length };
}

/**
 * The scan budget left after finding that JSON.stringify(v) is ASCII, or -1 when it
 * may not be (non-ASCII text, a toJSON method, anything but plain data, or too big
 * to scan cheaply). Never wrong in the ASCII direction for plain data.
 */
function asciiBudget(v: unknown, budget: number): number {
  if (--budget < 0) return -1;
  switch (typeof v) {
    case 'string':
      return NON_ASCII.test(v) ? -1 : budget;
    case 'number':
    case 'boolean':
      return budget;
    case 'object': {
      if (v === null) return budget;
      if (Array.isArray(v)) {
        if (Object.getPrototypeOf(v) !== Array.prototype || 'toJSON' in v) return -1;
        for (let i = 0; i < v.length && budget >= 0; i++) budget = asciiBudget(v[i], budget);
        return budget;
      }
      const proto: unknown = Object.getPrototypeOf(v);
      if ((proto !== Object.prototype && proto !== null) || 'toJSON' in v) return -1;
      for (const key in v as Record<string, unknown>) {
        if (NON_ASCII.test(key)) return -1;
        budget = asciiBudget((v as Record<string, unknown>)[key], budget);
        if (budget < 0) return -1;
      }
      return budget;
    }
    default:
      return -1; // undefined inside arrays, functions, symbols, bigint: let the measure decide
  }
}

/** Decodes and validates one event from its JSON bytes. */
export function deserializeEvent(data: Uint8Array): SluiceEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (err) {
    throw new EventValidationError('event', `not valid JSON (${(err as Error).message})`);
  }
  return parseEvent(raw);
}
