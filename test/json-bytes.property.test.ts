// Properties of core's byte-level JSON pieces the event scan is built from, each held
// to JSON.parse: the number grammar (JsonCursor.number, written once for the validator
// and the scan) accepts exactly JSON's numbers and reads them to the same double; the
// validator (JsonValidator) accepts exactly the JSON texts without whitespace, within its
// depth; the intern table hands back the string it holds and only strings that pass its
// rule. These are internals of core/ (JsonCursor.ts, JsonValidator.ts, InternTable.ts),
// imported directly.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JsonCursor } from '../core/JsonCursor.ts';
import { JsonValidator } from '../core/JsonValidator.ts';
import { InternTable } from '../core/InternTable.ts';
import { FNV_OFFSET, FNV_PRIME } from '../core/index.ts';

/** What JSON.parse makes of `text`, or 'rejected'. */
function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return 'rejected';
  }
}

/** Whether `text` holds whitespace outside strings (the validator takes none; JSON.parse does). */
const hasWhitespace = (text: string) => /[ \t\n\r]/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, ''));

const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.integer().map(String),
  fc.tuple(fc.constantFrom('', '-'), fc.stringMatching(/^(0|[1-9][0-9]{0,25})$/), fc.option(fc.stringMatching(/^[0-9]{1,25}$/)), fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.stringMatching(/^[0-9]{1,4}$/))))
    .map(([sign, int, frac, exp]) => `${sign}${int}${frac === null ? '' : `.${frac}`}${exp === null ? '' : exp.join('')}`),
);
/** Near misses: number-like text with one part wrong. */
const nearNumber = fc.oneof(
  numberText,
  fc.stringMatching(/^[-+0-9.eE]{1,12}$/),
  fc.constantFrom('-', '01', '1.', '.5', '1e', '1e+', '--1', '+1', '0x10', '1.e5', '-0', '1E400', '-1e-400', '123456789012345678901234567890'),
);

describe('JsonCursor.number', () => {
  it('accepts exactly the JSON numbers, and reads each to the double JSON.parse gives, bit for bit', () => {
    fc.assert(fc.property(nearNumber, (text) => {
      const buf = Buffer.from(text, 'latin1');
      const c = new JsonCursor().at(buf, 0, buf.length);
      const whole = c.number() && c.pos === buf.length;
      const want = parsed(text);
      expect(whole, text).toBe(typeof want === 'number');
      if (whole) expect(Object.is(c.numberValue(0), want), text).toBe(true);
    }), { numRuns: 3_000 });
  });

  it('stops at the first byte after the number and leaves the cursor there', () => {
    const buf = Buffer.from('[-12.5e3,7]');
    const c = new JsonCursor().at(buf, 1, buf.length);
    expect(c.number()).toBe(true);
    expect(c.numberValue(1)).toBe(-12500);
    expect(buf[c.pos]).toBe(0x2c);
  });
});

describe('JsonValidator', () => {
  const validator = new JsonValidator(8);
  const accepts = (text: string): boolean => {
    const buf = Buffer.from(text);
    const c = new JsonCursor().at(buf, 0, buf.length);
    return validator.skipValue(c) && c.pos === buf.length;
  };

  it('accepts every JSON value written without whitespace, within its depth', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
      expect(accepts(JSON.stringify(v))).toBe(true);
    }), { numRuns: 1_000 });
  });

  it('never accepts a text JSON.parse rejects, nor a whitespace-free JSON text it could read', () => {
    const texts = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).chain((v) => {
        const text = JSON.stringify(v);
        // One byte of the text replaced, removed or doubled.
        return fc.tuple(fc.nat(Math.max(0, text.length - 1)), fc.constantFrom('del', 'dup', 'set'), fc.constantFrom(...'{}[]",:\\0123456789-.eEtrufalsn x\u00e9'))
          .map(([i, op, ch]) => (op === 'del' ? text.slice(0, i) + text.slice(i + 1) : op === 'dup' ? text.slice(0, i) + text[i]! + text.slice(i) : text.slice(0, i) + ch + text.slice(i + 1)));
      }),
      fc.string({ maxLength: 30, unit: fc.constantFrom(...'{}[]",:\\0123456789-.eEtrufalsn') }),
    );
    fc.assert(fc.property(texts, (text) => {
      const ok = accepts(text);
      const want = parsed(text);
      if (ok) expect(want, text).not.toBe('rejected');
      if (want !== 'rejected' && !hasWhitespace(text)) expect(ok, text).toBe(true);
    }), { numRuns: 5_000 });
  });

  it('refuses containers nested deeper than its limit, an empty one counting as a level', () => {
    expect(accepts('['.repeat(8) + ']'.repeat(8))).toBe(true);
    expect(accepts('['.repeat(9) + ']'.repeat(9))).toBe(false);
    expect(accepts('{"a":'.repeat(7) + '{}' + '}'.repeat(7))).toBe(true);
    expect(accepts('{"a":'.repeat(8) + '{}' + '}'.repeat(8))).toBe(false);
  });

  it('flags strings with non-ASCII bytes, so the caller checks their UTF-8', () => {
    for (const [text, nonAscii] of [['["abc"]', false], ['["é"]', true], ['{"k\u00e9":1}', true]] as const) {
      const buf = Buffer.from(text);
      const c = new JsonCursor().at(buf, 0, buf.length);
      expect(validator.skipValue(c)).toBe(true);
      expect(c.nonAscii, text).toBe(nonAscii);
    }
  });
});

describe('InternTable', () => {
  const hash = (s: string) => {
    let h = FNV_OFFSET;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
    return h;
  };
  const intern = (table: InternTable, s: string) => table.ascii(Buffer.from(s, 'latin1'), 0, s.length, hash(s));

  it('hands back the string it holds for the same bytes, not a new one', () => {
    const table = new InternTable(4, 64, /^[a-z.]+$/);
    const first = intern(table, 'page.view');
    expect(first).toBe('page.view');
    const buf = Buffer.from('xxpage.viewyy', 'latin1');
    expect(table.ascii(buf, 2, 11, hash('page.view'))).toBe(first);
  });

  it('lets in only strings that pass its rule, and gives undefined for the others', () => {
    const table = new InternTable(4, 5, /^[a-z]+$/);
    expect(intern(table, 'abcde')).toBe('abcde');
    expect(intern(table, 'abcdef')).toBeUndefined(); // too long
    expect(intern(table, 'ab-c')).toBeUndefined(); // breaks the pattern
    expect(table.valid('abc')).toBe(true);
    expect(table.valid('ABC')).toBe(false);
  });

  it('stays correct when strings share a slot: each lookup answers its own bytes', () => {
    const table = new InternTable(1, 64, null); // two slots: most strings collide
    const words = Array.from({ length: 50 }, (_, i) => `w${i}`);
    fc.assert(fc.property(fc.array(fc.constantFrom(...words), { maxLength: 200 }), (seq) => {
      for (const w of seq) expect(intern(table, w)).toBe(w);
    }));
  });
});
