// The one event shape, validated in one place. Producer, consumers, query and load
// test all go through `normalizeEvent` (producer side: fills id, ts, value) or
// `parseEvent` (consumer side: the same checks, nothing filled in silently).
import { EventValidationError } from './errors.ts';
import { newEventId } from './ids.ts';
import { eventJsonFromBytes } from './utf8.ts';

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

/**
 * Where an event's id came from, which decides what the aggregator's dedup pays for it:
 * - `client`: the client supplied it (HTTP ingest, `sluice send` of a line with an id,
 *   `send({ id })`), and may send it again in another request: the aggregator keeps
 *   one row per such id within the horizon, so a copy is counted once.
 * - `producer`: sluice's producer generated it (a UUIDv7) for an event sent without
 *   one. No other request can carry it, and a retried Kinesis record is caught by its
 *   record identity: no per-event row.
 * - `derived`: the consumer made it from the event's stream position (an event written
 *   without an id by a foreign producer); never on the wire, no per-event row.
 * On the wire: `"idOrigin":"producer"` or `"idOrigin":"client"` right after `"id"`;
 * an event without the field (a foreign or older producer's) is a client's.
 */
export type IdOrigin = 'client' | 'producer' | 'derived';

/** What `idOrigin` may say on the wire ('derived' is the consumer's alone). */
const WIRE_ID_ORIGINS: ReadonlySet<unknown> = new Set(['client', 'producer']);

/** An event as it travels through the stream: every field settled. */
export interface SluiceEvent {
  id: string;
  idOrigin: IdOrigin;
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
  /**
   * Arrays and objects nested in the payload (the payload itself counts as one).
   * Deeper JSON can never be written (JSON.stringify runs out of stack in the
   * thousands), so it is rejected like any other rule rather than failing later.
   */
  maxPayloadDepth: 64,
  /** Accepted timestamp range: 2000-01-01 .. 2100-01-01. */
  minTs: Date.UTC(2000, 0, 1),
  maxTs: Date.UTC(2100, 0, 1),
} as const;

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
const TYPES = new PatternCache(EVENT_LIMITS.typePattern);
const DIM_NAMES = new PatternCache(EVENT_LIMITS.dimNamePattern);

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function fail(field: string, message: string): never {
  throw new EventValidationError(field, message);
}

function checkTs(ts: unknown): number {
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
    if (!DIM_NAMES.test(name)) {
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
  if (!TYPES.test(type)) fail('type', 'may hold letters, digits and _ . : - / only, starting with a letter or digit');
  return { o, type };
}

function checkValue(v: unknown): number {
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

function checkIdOrigin(origin: unknown): IdOrigin {
  if (origin === undefined) return 'client';
  if (!WIRE_ID_ORIGINS.has(origin)) fail('idOrigin', 'must be "client" or "producer" when present');
  return origin as IdOrigin;
}

/** Whether `v` nests more than `levels` arrays and objects (a cycle nests without end). */
function nestedDeeper(v: unknown, levels: number): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (levels === 0) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (nestedDeeper(v[i], levels - 1)) return true;
    return false;
  }
  for (const k in v) if (nestedDeeper((v as Record<string, unknown>)[k], levels - 1)) return true;
  return false;
}

function build(o: Record<string, unknown>, id: string, idOrigin: IdOrigin, type: string, ts: number, value: number): SluiceEvent {
  // Key order is the wire layout scanEvent reads: id, idOrigin, type, ts, value, dims, payload.
  const ev: SluiceEvent = { id, idOrigin, type, ts, value };
  const dims = checkDims(o.dims);
  if (dims) ev.dims = dims;
  if (o.payload !== undefined) {
    if (nestedDeeper(o.payload, EVENT_LIMITS.maxPayloadDepth)) {
      fail('payload', `nests arrays and objects deeper than ${EVENT_LIMITS.maxPayloadDepth} levels`);
    }
    ev.payload = o.payload;
  }
  return ev;
}

/**
 * Validates a client event and fills what the producer owns: `id` (UUIDv7, origin
 * `producer`) and `ts` (now) when absent, `value` 1 when absent. An id the client
 * gave has origin `client` (an `idOrigin` in the input is not the client's to set).
 * Throws EventValidationError naming the field. Size is checked by `serializeEvent`.
 */
export function normalizeEvent(input: unknown, now = Date.now()): SluiceEvent {
  const { o, type } = checkCommon(input);
  const generated = o.id === undefined;
  const id = generated ? newEventId(now) : checkId(o.id);
  const ts = o.ts === undefined ? now : checkTs(o.ts);
  return build(o, id, generated ? 'producer' : 'client', type, ts, checkValue(o.value));
}

/**
 * Validates an event read from the stream: the same rules, but `id` and `ts` must be
 * present, since a producer always sets them. `idOrigin` is read from the wire
 * (absent: `client`).
 */
export function parseEvent(input: unknown): SluiceEvent {
  const { o, type } = checkCommon(input);
  const id = checkId(o.id);
  const idOrigin = checkIdOrigin(o.idOrigin);
  if (o.ts === undefined) fail('ts', 'is required on a stream record');
  return build(o, id, idOrigin, type, checkTs(o.ts), checkValue(o.value));
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
}

/**
 * `normalizeEvent` then `serializeEvent`, stopping at the JSON text: the producer
 * writes the text straight into shared slabs instead of a Buffer per event. The same
 * checks, errors and text. (A hand-written one-pass writer was tried and was slower
 * on Node 20 than JSON.stringify of the settled event: bench/producer.ts.)
 */
export function encodeEvent(input: unknown, now = Date.now()): EncodedEvent {
  const ev = normalizeEvent(input, now);
  const json = JSON.stringify(ev);
  // Far below the limit (3 bytes per UTF-16 unit at most) the text is not measured.
  if (json.length * 3 > EVENT_LIMITS.maxEventBytes) {
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > EVENT_LIMITS.maxEventBytes) fail('event', `serialized size ${bytes} bytes exceeds ${EVENT_LIMITS.maxEventBytes}`);
  }
  return { id: ev.id, json };
}

/**
 * Decodes and validates one event from its JSON bytes; bytes that are not UTF-8 are
 * rejected naming the field that holds them.
 */
export function deserializeEvent(data: Uint8Array): SluiceEvent {
  return parseEvent(eventJsonFromBytes(data));
}
