// Property: scanEvent, the aggregator's fast read of an event, never disagrees with the
// full path (deserializeEvent: UTF-8 check, JSON.parse, parseEvent). For any event the producer writes it either
// gives up (undefined) or returns exactly parseEvent's fields but the payload; it
// gives up only when a string needed an escape; and for any corruption of the bytes
// it never accepts what parseEvent rejects.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EVENT_LIMITS, deserializeEvent, encodeEvent, normalizeEvent, scanEvent, serializeEvent, type ScannedEvent, type SluiceEvent } from '../core/index.ts';

/** The consumer's full path (deserializeEvent: UTF-8 checked, JSON.parse, parseEvent), or 'rejected' when it throws. */
function fullPath(bytes: Buffer): SluiceEvent | 'rejected' {
  try {
    return deserializeEvent(bytes);
  } catch {
    return 'rejected';
  }
}

/** parseEvent's fields without payload, dims cut to `keep` (all when undefined) as scanEvent promises. */
function expected(ev: SluiceEvent, keep?: ReadonlySet<string>): ScannedEvent {
  const out: ScannedEvent = { id: ev.id, idOrigin: ev.idOrigin, type: ev.type, ts: ev.ts, value: ev.value };
  const dims = Object.entries(ev.dims ?? {}).filter(([k]) => keep === undefined || keep.has(k));
  if (dims.length > 0) out.dims = Object.fromEntries(dims);
  return out;
}

/** The scan agrees with the full path: same fields, and the same double bit for bit (-0 included). */
function expectSame(got: ScannedEvent, want: ScannedEvent): void {
  expect(got).toEqual(want);
  expect(Object.is(got.value, want.value)).toBe(true);
}

/** Whether JSON.stringify writes `s` as it is (no escape) and it decodes back without a replacement character. */
const plain = (s: string) => JSON.stringify(s) === `"${s}"` && !s.includes('\uFFFD');

const text = (maxLength: number) => fc.oneof(
  fc.string({ maxLength, unit: 'grapheme-ascii' }),
  fc.string({ maxLength, unit: 'grapheme' }),
  fc.string({ maxLength, unit: 'binary' }), // lone surrogates, control characters
).filter((s) => s.length <= maxLength); // a unit may take two UTF-16 code units or more
const dimName = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9_]{0,62}$/), fc.constantFrom('page', 'user', 'device', 'constructor'));
const value = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }), // -0, subnormals, 1e-7, 1.7976931348623157e+308 …
  fc.integer(),
  fc.integer({ min: -1e9, max: 1e9 }).map((n) => n / 100),
  fc.constantFrom(0, -0, 0.1, 1e21, 1e-7, 123456789012345680000, 5e-324, -1.5e300),
);
const inputArb = fc.record({
  id: fc.string({ minLength: 1, maxLength: EVENT_LIMITS.maxIdChars, unit: fc.constantFrom('a', '0', '-', 'é', '"', '\\', '\n', '😀', '\u2028', '\uFFFD') })
    .filter((s) => s.length <= EVENT_LIMITS.maxIdChars),
  type: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:\-/]{0,127}$/),
  ts: fc.integer({ min: EVENT_LIMITS.minTs, max: EVENT_LIMITS.maxTs - 1 }),
  value,
  dims: fc.dictionary(dimName, text(EVENT_LIMITS.maxDimValueChars), { maxKeys: EVENT_LIMITS.maxDims }),
  payload: fc.jsonValue({ maxDepth: 4 }),
}, { requiredKeys: ['type', 'ts'] });

/** The producer's bytes for an event. */
function produce(input: object): Buffer {
  return serializeEvent(normalizeEvent(input));
}

/** `bytes` inside a larger buffer, between arbitrary neighbours, as a KPL aggregate holds them. */
function embedded(bytes: Buffer, before: Uint8Array, after: Uint8Array): { buf: Buffer; start: number; end: number } {
  return { buf: Buffer.concat([before, bytes, after]), start: before.length, end: before.length + bytes.length };
}

describe('scanEvent', () => {
  it('returns parseEvent\'s fields but the payload for what the producer writes, giving up only on escaped strings', () => {
    fc.assert(fc.property(inputArb, fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (input, before, after) => {
      const bytes = produce(input);
      const want = fullPath(bytes);
      const { buf, start, end } = embedded(bytes, before, after);

      const got = scanEvent(buf, start, end);

      expect(want).not.toBe('rejected');
      const ev = want as SluiceEvent;
      const stringsPlain = plain(ev.id) && Object.values(ev.dims ?? {}).every(plain);
      if (stringsPlain) expect(got).toBeDefined();
      if (got !== undefined) expectSame(got, expected(ev));
    }), { numRuns: 1500 });
  });

  it('writes the same layout as encodeEvent, the producer\'s hot path', () => {
    fc.assert(fc.property(inputArb, (input) => {
      const now = Date.UTC(2026, 10, 28, 14);
      const viaEncode = Buffer.from(encodeEvent(input, now).json, 'utf8');
      const want = fullPath(viaEncode);

      const got = scanEvent(viaEncode);

      expect(want).not.toBe('rejected');
      if (got !== undefined) expectSame(got, expected(want as SluiceEvent));
    }), { numRuns: 300 });
  });

  it('keeps only the dimensions asked for, still validating the others', () => {
    fc.assert(fc.property(inputArb, fc.array(dimName, { maxLength: 4 }), (input, names) => {
      const bytes = produce(input);
      const want = fullPath(bytes) as SluiceEvent;
      const keep = new Set(names);

      const got = scanEvent(bytes, 0, bytes.length, keep);

      if (got !== undefined) expectSame(got, expected(want, keep));
    }), { numRuns: 500 });
  });

  it('reads every JSON number form as JSON.parse does', () => {
    const digits = (min: number, max: number) => fc.string({ minLength: min, maxLength: max, unit: fc.constantFrom(...'0123456789') });
    const number = fc.tuple(
      fc.constantFrom('', '-'),
      fc.oneof(fc.constant('0'), fc.tuple(fc.constantFrom(...'123456789'), digits(0, 20)).map(([a, b]) => a + b)),
      fc.option(digits(1, 25).map((d) => `.${d}`), { nil: '' }),
      fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 4)).map((t) => t.join('')), { nil: '' }),
    ).map((parts) => parts.join(''));
    fc.assert(fc.property(number, (n) => {
      const bytes = Buffer.from(`{"id":"a","type":"t","ts":1764338400000,"value":${n}}`);
      const want = fullPath(bytes);

      const got = scanEvent(bytes);

      if (want === 'rejected') expect(got).toBeUndefined(); // Infinity: not finite
      else {
        expect(got).toBeDefined();
        expectSame(got!, expected(want));
      }
    }), { numRuns: 3000 });
  });

  it('never accepts bytes parseEvent rejects, and never reads them differently', () => {
    // Bytes that matter to JSON, and the ones that break UTF-8.
    const byte = fc.oneof(fc.constantFrom(...Buffer.from('"\\{}[],:0123456789.-+eE tfnu/'), 0x00, 0x1f, 0x7f, 0x80, 0xbf, 0xc3, 0xe2, 0xed, 0xf0, 0xff), fc.integer({ min: 0, max: 255 }));
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), byte }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), byte }),
      fc.record({ kind: fc.constant('append' as const), at: fc.nat(), byte }),
    );
    const keepArb = fc.option(fc.array(dimName, { maxLength: 3 }).map((names) => new Set(names)), { nil: undefined });
    fc.assert(fc.property(inputArb, fc.array(mutation, { minLength: 1, maxLength: 3 }), keepArb, fc.uint8Array({ maxLength: 4 }), (input, mutations, keep, after) => {
      let bytes = [...produce(input)];
      for (const m of mutations) {
        const at = m.at % (bytes.length + 1);
        if (m.kind === 'set' && at < bytes.length) bytes[at] = m.byte;
        else if (m.kind === 'insert') bytes.splice(at, 0, m.byte);
        else if (m.kind === 'delete') bytes.splice(at, 1);
        else if (m.kind === 'truncate') bytes = bytes.slice(0, at);
        else if (m.kind === 'append') bytes.push(m.byte);
      }
      const mutated = Buffer.from(bytes);
      const want = fullPath(mutated);
      const { buf, start, end } = embedded(mutated, new Uint8Array(0), after);

      const got = scanEvent(buf, start, end, keep);

      if (want === 'rejected') expect(got).toBeUndefined();
      else if (got !== undefined) expectSame(got, expected(want, keep));
    }), { numRuns: 4000 });
  });

  it('gives up on what is valid but not the producer\'s layout, so the full path reads it', () => {
    const cases = [
      '{"type":"t","id":"a","ts":1764338400000,"value":1}', // another key order
      '{"id":"a","type":"t","ts":1764338400000}', // value left out (parseEvent makes it 1)
      '{"id":"a","type":"t","ts":"2026-11-28T14:00:00Z","value":1}', // ISO ts
      '{"id":"a","type":"t","ts":1764338400000.0,"value":1}', // integer written as a decimal
      '{"id":"a","type":"t","ts":1764338400000,"value":1,"dims":{"a":"x","a":"y"}}', // duplicate dim: JSON.parse keeps the last
      '{"id":"\\u0061","type":"t","ts":1764338400000,"value":1}', // escaped id
      ' {"id":"a","type":"t","ts":1764338400000,"value":1}', // whitespace
      '{"id":"a","type":"t","ts":1764338400000,"value":1,"payload":[1, 2]}',
      '{"id":"a","type":"t","ts":1764338400000,"value":1,"payload":1 }',
    ];
    for (const c of cases) {
      const bytes = Buffer.from(c);

      expect(fullPath(bytes), c).not.toBe('rejected');
      expect(scanEvent(bytes), c).toBeUndefined();
    }
  });

  it('gives up on every rule parseEvent enforces, so the error named is parseEvent\'s', () => {
    const cases = [
      '{"id":"","type":"t","ts":1764338400000,"value":1}',
      `{"id":"${'a'.repeat(65)}","type":"t","ts":1764338400000,"value":1}`,
      '{"id":"a","type":"-t","ts":1764338400000,"value":1}',
      `{"id":"a","type":"${'t'.repeat(129)}","ts":1764338400000,"value":1}`,
      '{"id":"a","type":"t","ts":946684799999,"value":1}',
      '{"id":"a","type":"t","ts":4102444800000,"value":1}',
      '{"id":"a","type":"t","ts":1764338400000,"value":1e400}',
      '{"id":"a","type":"t","ts":1764338400000,"value":1,"dims":{"Page":"x"}}',
      `{"id":"a","type":"t","ts":1764338400000,"value":1,"dims":{"p":"${'x'.repeat(257)}"}}`,
      `{"id":"a","type":"t","ts":1764338400000,"value":1,"dims":{${Array.from({ length: 17 }, (_, i) => `"d${i}":"x"`).join(',')}}}`,
      `{"id":"a","type":"t","ts":1764338400000,"value":1,"dims":{"p":"${'é'.repeat(257)}"}}`,
      // One level past EVENT_LIMITS.maxPayloadDepth, the innermost empty or not.
      `{"id":"a","type":"t","ts":1764338400000,"value":1,"payload":${'['.repeat(EVENT_LIMITS.maxPayloadDepth + 1)}${']'.repeat(EVENT_LIMITS.maxPayloadDepth + 1)}}`,
      `{"id":"a","type":"t","ts":1764338400000,"value":1,"payload":${'{"a":'.repeat(EVENT_LIMITS.maxPayloadDepth)}[1]${'}'.repeat(EVENT_LIMITS.maxPayloadDepth)}}`,
      `{"id":"a","type":"t","ts":1764338400000,"value":1,"payload":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      '{"id":"a","type":"t","ts":1764338400000,"value":1,"dims":{"p":1}}',
      '{"id":"a","type":"t","ts":1764338400000,"value":1,"dims":{"p":"a\tb"}}', // a raw tab
      '{"id":"a","type":"t","ts":1764338400000,"value":1,}',
      '{"id":"a","type":"t","ts":1764338400000,"value":1}x',
      '{"id":"a","type":"t","ts":1764338400000,"value":01}',
      '{"id":"a","type":"t","ts":1764338400000,"value":1.}',
      '{"id":"a","type":"t","ts":1764338400000,"value":.5}',
      '{"id":"a","type":"t","ts":1764338400000,"value":1e}',
      '{"id":"a","type":"t","ts":1764338400000,"value":+1}',
      ...['[1,]', '[,1]', '{"a":1,}', '{"a"}', '{"a":}', '{1:2}', '"\\A"', '"\\u12G4"', '"\\u123"', '"a\tb"', '"\\"', '01', '-', '1.', '.1', '1e', '1e+',
        '-01', 'tru', 'nul', 'falsey', 'True', 'NaN', 'Infinity', '[1]]', '{"a":1}}', '[', '{', '"', '{"a":[1,{"b":}]}', "'a'"]
        .map((payload) => `{"id":"a","type":"t","ts":1764338400000,"value":1,"payload":${payload}}`),
    ];
    // Bytes that are not UTF-8 in the payload (a lone continuation byte, an overlong '/', a surrogate).
    const notUtf8 = [[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80]].map((bad) => Buffer.concat([
      Buffer.from('{"id":"a","type":"t","ts":1764338400000,"value":1,"payload":{"note":"a'), Buffer.from(bad), Buffer.from('b"}}'),
    ]));
    for (const c of [...cases.map((text) => Buffer.from(text)), ...notUtf8]) {
      const bytes = c;
      const text = c.toString();

      expect(fullPath(bytes), text).toBe('rejected');
      expect(scanEvent(bytes), text).toBeUndefined();
      expect(scanEvent(bytes, 0, bytes.length, new Set()), text).toBeUndefined(); // dims validated even when not kept
    }
  });

  it('reads every well-formed payload without building it', () => {
    const payloads = ['null', 'true', 'false', '0', '-0', '-0.0e-0', '1E+2', '12.5e10', '""', '"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00aF"', '"é😀\u2028"',
      '[]', '{}', '[[],{}]', '{"a":{"b":[1,"x",null,{"":[]}]},"a":2}',
      `${'['.repeat(EVENT_LIMITS.maxPayloadDepth)}${']'.repeat(EVENT_LIMITS.maxPayloadDepth)}`,
      `${'{"a":'.repeat(EVENT_LIMITS.maxPayloadDepth - 1)}[1]${'}'.repeat(EVENT_LIMITS.maxPayloadDepth - 1)}`];
    for (const payload of payloads) {
      const bytes = Buffer.from(`{"id":"a","type":"t","ts":1764338400000,"value":1,"dims":{"p":"x"},"payload":${payload}}`);
      const want = fullPath(bytes);

      const got = scanEvent(bytes);

      expect(want, payload).not.toBe('rejected');
      expect(got, payload).toBeDefined();
      expectSame(got!, expected(want as SluiceEvent));
    }
  });
});
