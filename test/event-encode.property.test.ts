// Property: the producer's event encoding (RecordEncoder: encodeEvent, then the text
// written into a shared slab) gives exactly the bytes of
// serializeEvent(normalizeEvent(input, now)), and the same EventValidationError (field
// and message) for any input, valid or not, including unicode, escapes, the size
// limit and every optional field.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EVENT_LIMITS, EventValidationError, KINESIS, deserializeEvent, normalizeEvent, serializeEvent, type EventInput } from '../core/index.ts';
import { RecordEncoder, blankRecord } from '../producers/index.ts';

const NOW = Date.UTC(2026, 10, 28, 14, 0, 0);

type Outcome = { ok: true; bytes: string } | { ok: false; error: string };

/** What the reference path does with an input: its bytes, or its error (class, field, message). */
function reference(input: unknown, id?: string): Outcome {
  try {
    const withId = id !== undefined && typeof input === 'object' && input !== null && (input as { id?: unknown }).id === undefined
      ? { ...(input as object), id } : input;
    const ev = normalizeEvent(withId, NOW);
    // The id the encoder generated stays the producer's.
    if (withId !== input) ev.idOrigin = 'producer';
    return { ok: true, bytes: serializeEvent(ev).toString('base64') };
  } catch (err) {
    return { ok: false, error: describeError(err) };
  }
}

// Small slabs, so events also land across slab boundaries.
const encoder = new RecordEncoder(true, KINESIS.maxRecordBytes, 512);

function encoded(input: unknown): Outcome & { id?: string } {
  try {
    const r = encoder.encodeInto(input as EventInput, { partitionKey: 'k' }, blankRecord(), NOW);
    const bytes = Buffer.from(r.data.subarray(r.dataOffset, r.dataOffset + r.dataBytes));
    return { ok: true, bytes: bytes.toString('base64'), id: r.id };
  } catch (err) {
    return { ok: false, error: describeError(err) };
  }
}

function describeError(err: unknown): string {
  if (err instanceof EventValidationError) return `EventValidationError ${err.field}: ${err.message}`;
  return `${(err as Error).name}: ${(err as Error).message}`;
}

/** Same outcome; an id the encoder generated is given to the reference so both hold it. */
function expectSame(input: unknown): void {
  const got = encoded(input);
  const want = reference(input, got.ok ? got.id : undefined);
  expect(got.ok ? { ok: true, bytes: got.bytes } : got).toEqual(want);
}

const text = fc.oneof(
  fc.string({ maxLength: 40, unit: 'grapheme' }),
  fc.string({ maxLength: 40, unit: 'binary' }), // lone surrogates included
  fc.string({ maxLength: 20 }).map((s) => `${s}"\\\n\t\u0000\u001f\u2028${s}`),
  fc.constantFrom('', 'fr', '/catalog/12', 'caf\u00e9', '\ud83d\ude00', '\ud800', 'a\udc00b'),
);
const dimName = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), fc.constantFrom('Country', 'a;drop table x', '1a', 'toJSON', '__proto__', ''));
const validEvent = fc.record({
  id: fc.oneof(fc.uuid(), text.filter((s) => s.length > 0 && s.length <= 64)),
  type: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:\-/]{0,20}$/),
  ts: fc.oneof(
    fc.integer({ min: EVENT_LIMITS.minTs, max: EVENT_LIMITS.maxTs - 1 }),
    fc.date({ min: new Date(EVENT_LIMITS.minTs), max: new Date(EVENT_LIMITS.maxTs - 1), noInvalidDate: true }).map((d) => d.toISOString()),
  ),
  value: fc.double({ noNaN: true, noDefaultInfinity: true }),
  dims: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), text, { maxKeys: 6 }),
  payload: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'binary' }), fc.constant(null)),
}, { requiredKeys: ['type'] });
const anyEvent = fc.record({
  id: fc.oneof(fc.uuid(), text, fc.string({ minLength: 60, maxLength: 70 }), fc.integer(), fc.constant(null)),
  type: fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:\-/]{0,20}$/), text, fc.string({ minLength: 126, maxLength: 130 }), fc.integer(), fc.constant(null)),
  ts: fc.oneof(fc.integer(), fc.double(), fc.constantFrom('2026-11-28T14:00:00Z', '2026-11-28 14:00', '2026-13-45T99:99:99Z', '1999-12-31T23:59:59Z'), fc.boolean()),
  value: fc.oneof(fc.double(), fc.constantFrom('3', Infinity, NaN, -0), fc.constant(null)),
  dims: fc.oneof(
    fc.dictionary(dimName, fc.oneof(text, fc.integer(), fc.string({ minLength: 255, maxLength: 258 })), { maxKeys: 18 }),
    fc.array(fc.string(), { maxLength: 2 }), fc.string(), fc.integer(), fc.constant(null),
  ),
  payload: fc.oneof(fc.anything({ maxDepth: 2, withBigInt: false, withMap: true, withSet: true, withDate: true, withTypedArray: true }), fc.jsonValue()),
}, { requiredKeys: [] });

describe('the producer\'s event encoding', () => {
  it('writes exactly the bytes serializeEvent(normalizeEvent(input)) gives, for any valid event', () => {
    fc.assert(fc.property(validEvent, (input) => {
      const got = encoded(input);
      expect(got.ok).toBe(true);
      expectSame(input);
      if (got.ok) {
        const settled = { ...normalizeEvent({ ...input, id: got.id }, NOW), idOrigin: input.id === undefined ? 'producer' : 'client' };
        expect(deserializeEvent(Buffer.from(got.bytes, 'base64'))).toEqual(JSON.parse(JSON.stringify(settled)));
      }
    }), { numRuns: 1000 });
  });

  it('accepts and rejects exactly what normalizeEvent does, with the same field and message', () => {
    fc.assert(fc.property(anyEvent, (input) => expectSame(input)), { numRuns: 2000 });
    fc.assert(fc.property(fc.anything(), (input) => expectSame(input)), { numRuns: 300 });
  });

  it.each<[string, unknown]>([
    ['a minimal event (id, ts, value filled in)', { type: 'page_view' }],
    ['no dims (empty object)', { type: 't', dims: {} }],
    ['null dims', { type: 't', dims: null }],
    ['dims without a prototype', { type: 't', dims: Object.assign(Object.create(null) as object, { country: 'fr' }) }],
    ['dims that inherit names (checked, not written)', { type: 't', dims: Object.assign(Object.create({ plan: 'pro' }) as object, { country: 'fr' }) }],
    ['dims inheriting a bad name', { type: 't', dims: Object.create({ Bad: 'x' }) as object }],
    ['a payload with toJSON that reads its key', { type: 't', payload: { toJSON: (key: string) => `key=${key}` } }],
    ['a payload toJSON returning undefined', { type: 't', payload: { toJSON: () => undefined } }],
    ['a Date payload', { type: 't', payload: new Date(NOW) }],
    ['a function payload (dropped)', { type: 't', payload: () => 1 }],
    ['a symbol payload (dropped)', { type: 't', payload: Symbol('x') }],
    ['a payload with non-ASCII keys and values', { type: 't', payload: { 'clé': ['€', { '🙂': 'ok' }], n: [1, null, true] } }],
    // eslint-disable-next-line no-sparse-arrays -- the hole is the input under test
    ['a payload array with a hole', { type: 't', payload: [1, , 3] }],
    ['a deep payload beyond the ASCII scan', { type: 't', payload: Array.from({ length: 200 }, (_, i) => ({ i, s: `v${i}` })) }],
    ['a payload at the size limit', { type: 't', id: 'x', ts: NOW, payload: 'a'.repeat(EVENT_LIMITS.maxEventBytes - 60) }],
    ['a payload just over the size limit', { type: 't', id: 'x', ts: NOW, payload: 'a'.repeat(EVENT_LIMITS.maxEventBytes) }],
    ['a non-ASCII payload over the limit in bytes, not in characters', { type: 't', id: 'x', ts: NOW, payload: '€'.repeat(EVENT_LIMITS.maxEventBytes / 2) }],
    ['a BigInt payload', { type: 't', payload: 10n }],
    ['a class instance as the event', new (class { type = 't'; value = 2; })()],
    ['an id with quotes and a lone surrogate', { type: 't', id: 'a"b\\c\ud800' }],
    ['dim values needing escapes', { type: 't', dims: { a: '"', b: '\\', c: '\n', d: '\u007f', e: '\u2028' } }],
    ['-0 as value', { type: 't', value: -0 }],
    ['an ISO timestamp with an offset', { type: 't', ts: '2026-11-28T15:00:00.123456+01:00' }],
  ])('matches the reference for %s', (_name, input) => {
    expectSame(input);
  });

  it.each<[string, unknown]>([
    ['not an object', 'x'],
    ['an array', []],
    ['null', null],
    ['a missing type', { value: 1 }],
    ['an empty type', { type: '' }],
    ['a long type', { type: 'a'.repeat(EVENT_LIMITS.maxTypeChars + 1) }],
    ['a type with spaces', { type: 'page view' }],
    ['an empty id', { type: 't', id: '' }],
    ['a long id', { type: 't', id: 'x'.repeat(EVENT_LIMITS.maxIdChars + 1) }],
    ['a numeric id', { type: 't', id: 7 }],
    ['a ts without zone', { type: 't', ts: '2026-11-28 14:00' }],
    ['an impossible date', { type: 't', ts: '2026-13-45T10:00:00Z' }],
    ['a fractional epoch', { type: 't', ts: 1.5 }],
    ['a ts before 2000', { type: 't', ts: 0 }],
    ['a boolean ts', { type: 't', ts: true }],
    ['a string value', { type: 't', value: '3' }],
    ['an infinite value', { type: 't', value: Infinity }],
    ['dims as an array', { type: 't', dims: ['a'] }],
    ['dims as a string', { type: 't', dims: 'a' }],
    ['a dim name with capitals', { type: 't', dims: { Country: 'JP' } }],
    ['a numeric dim value', { type: 't', dims: { country: 1 } }],
    ['a long dim value', { type: 't', dims: { country: 'x'.repeat(EVENT_LIMITS.maxDimValueChars + 1) } }],
    ['too many dims', { type: 't', dims: Object.fromEntries(Array.from({ length: EVENT_LIMITS.maxDims + 1 }, (_, i) => [`d${i}`, 'v'])) }],
    ['a bad value before bad dims', { type: 't', value: 'x', dims: { Bad: 1 } }],
    ['a bad ts before a bad value', { type: 't', ts: 'x', value: 'x' }],
  ])('rejects %s as normalizeEvent does', (_name, input) => {
    const got = encoded(input);
    expect(got.ok).toBe(false);
    expect(got).toEqual(reference(input));
  });

  it('gives the circular payload error JSON.stringify gives', () => {
    const payload: Record<string, unknown> = {};
    payload.self = payload;
    expectSame({ type: 't', payload });
  });
});
