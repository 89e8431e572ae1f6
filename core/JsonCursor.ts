// A position in JSON bytes and the lexical rules both of core's byte-level readers
// share: literals, strings with their escapes, and the number grammar (RFC 8259, no
// whitespace). The general validator (JsonValidator) and the event scan (eventScan)
// each hold their own cursor, so neither keeps a position in module state, and a
// reader reuses its cursor from one event to the next instead of allocating one.

export const QUOTE = 0x22; // "
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const OPEN_BRACE = 0x7b;
export const CLOSE_BRACE = 0x7d;
export const OPEN_BRACKET = 0x5b;
export const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** The bytes of an ASCII text, to match with `JsonCursor.literal`. */
export const asciiBytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** 10^0 .. 10^22: the powers of ten a double holds exactly. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
/** At most this many digits make an integer below 2^53, exact in a double. */
export const EXACT_DIGITS = 15;

const NO_BYTES = Buffer.alloc(0);

export class JsonCursor {
  buf: Buffer = NO_BYTES;
  /** The next byte to read. */
  pos = 0;
  /** One past the last byte of the text. */
  end = 0;

  // The parts of the last number read by `number()`: the digits as one integer (exact
  // up to EXACT_DIGITS of them), how many, and the decimal exponent they are scaled by.
  mantissa = 0;
  digits = 0;
  scale = 0;
  negative = false;

  /** Set when a string `skipString` stepped over held a non-ASCII byte; cleared by `at` (or the caller). */
  nonAscii = false;

  /** Points the cursor at `buf[start, end)`. */
  at(buf: Buffer, start: number, end: number): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.nonAscii = false;
    return this;
  }

  /** Steps over `lit` when the bytes at the cursor are exactly it. */
  literal(lit: Uint8Array): boolean {
    const buf = this.buf;
    const p = this.pos;
    const n = lit.length;
    if (p + n > this.end) return false;
    for (let i = 0; i < n; i++) if (buf[p + i] !== lit[i]) return false;
    this.pos = p + n;
    return true;
  }

  /**
   * Steps over a JSON number at the cursor, keeping its parts (`numberValue` makes the
   * double); false when the bytes there are not one. The one place the grammar is
   * written: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
   */
  number(): boolean {
    const buf = this.buf;
    const end = this.end;
    let p = this.pos;
    let negative = false;
    if (buf[p] === MINUS) {
      negative = true;
      p++;
    }
    let mantissa = 0;
    const intStart = p;
    while (p < end) {
      const c = buf[p]!;
      if (c < ZERO || c > NINE) break;
      mantissa = mantissa * 10 + (c - ZERO);
      p++;
    }
    const intDigits = p - intStart;
    if (intDigits === 0 || (buf[intStart] === ZERO && intDigits > 1)) return false;
    let digits = intDigits;
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
      if (fracDigits === 0) return false;
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
      if (p === expStart) return false;
      scale += expNegative ? -exp : exp;
    }
    this.pos = p;
    this.mantissa = mantissa;
    this.digits = digits;
    this.scale = scale;
    this.negative = negative;
    return true;
  }

  /**
   * The double of the number `number()` just read from `start`, as JSON.parse reads
   * it. Up to 15 significant digits and a decimal exponent within ±22 it is one
   * correctly rounded operation on exact operands (so it equals the correctly rounded
   * value JSON.parse gives); otherwise the validated text goes through Number().
   */
  numberValue(start: number): number {
    const scale = this.scale;
    if (this.digits <= EXACT_DIGITS && scale >= -22 && scale <= 22) {
      const magnitude = scale < 0 ? this.mantissa / POW10[-scale]! : this.mantissa * POW10[scale]!;
      return this.negative ? -magnitude : magnitude;
    }
    return Number(this.buf.toString('latin1', start, this.pos));
  }

  /**
   * Steps over a JSON string whose opening quote is at the cursor, escapes checked;
   * false when it is malformed. Sets `nonAscii` when it holds a byte above 0x7f,
   * whose UTF-8 the caller then checks (once, over everything it skipped).
   */
  skipString(): boolean {
    const buf = this.buf;
    const end = this.end;
    let i = this.pos + 1;
    while (i < end) {
      const c = buf[i]!;
      if (c === QUOTE) {
        this.pos = i + 1;
        return true;
      }
      if (c < 0x20) return false;
      if (c >= 0x80) this.nonAscii = true;
      if (c === BACKSLASH) {
        const e = buf[i + 1];
        if (e === 0x75) { // \uXXXX
          if (i + 6 > end) return false;
          for (let k = i + 2; k < i + 6; k++) if (!isHex(buf[k]!)) return false;
          i += 6;
          continue;
        }
        // \" \\ \/ \b \f \n \r \t
        if (e !== QUOTE && e !== BACKSLASH && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return false;
        i += 2;
        continue;
      }
      i++;
    }
    return false;
  }
}

/** Whether a byte starts a JSON number. */
export function startsNumber(c: number): boolean {
  return c === MINUS || (c >= ZERO && c <= NINE);
}

function isHex(c: number): boolean {
  return (c >= ZERO && c <= NINE) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}
