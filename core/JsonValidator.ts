// The general JSON validator: whether bytes are one well-formed JSON value (RFC 8259,
// without whitespace) nested at most a given depth, checked without building it. The
// event scan checks an event's payload with it, so the scan never accepts a text
// JSON.parse rejects.
import { CLOSE_BRACE, CLOSE_BRACKET, COLON, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE, asciiBytes, startsNumber, type JsonCursor } from './JsonCursor.ts';

const TRUE = asciiBytes('true');
const FALSE = asciiBytes('false');
const NULL = asciiBytes('null');
const IN_OBJECT = 1;
const IN_ARRAY = 2;

export class JsonValidator {
  /** The containers open around the cursor (IN_OBJECT, IN_ARRAY): an explicit stack, so depth costs no recursion. */
  private readonly open: Uint8Array;

  /** `maxDepth`: containers nested deeper make the value invalid; an empty container is a level too. */
  constructor(readonly maxDepth: number) {
    this.open = new Uint8Array(maxDepth);
  }

  /**
   * Steps `c` over one well-formed JSON value at its position; false when the bytes
   * there are not one. Strings are checked for their escapes, not for UTF-8: the
   * cursor's `nonAscii` says whether the caller must check that.
   */
  skipValue(c: JsonCursor): boolean {
    const buf = c.buf;
    const end = c.end;
    const open = this.open;
    let depth = 0;
    for (;;) {
      // A value is expected at the cursor.
      if (c.pos >= end) return false;
      const b = buf[c.pos]!;
      if (b === OPEN_BRACE || b === OPEN_BRACKET) {
        if (depth === this.maxDepth) return false;
        const close = b === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
        if (++c.pos < end && buf[c.pos] === close) {
          c.pos++;
        } else {
          open[depth++] = b === OPEN_BRACE ? IN_OBJECT : IN_ARRAY;
          if (b === OPEN_BRACE && !objectKey(c)) return false;
          continue;
        }
      } else if (b === QUOTE) {
        if (!c.skipString()) return false;
      } else if (startsNumber(b)) {
        if (!c.number()) return false;
      } else if (b === 0x74) {
        if (!c.literal(TRUE)) return false;
      } else if (b === 0x66) {
        if (!c.literal(FALSE)) return false;
      } else if (b === 0x6e) {
        if (!c.literal(NULL)) return false;
      } else {
        return false;
      }
      // After a value: close containers, or a comma and the next member.
      for (;;) {
        if (depth === 0) return true;
        if (c.pos >= end) return false;
        const top = open[depth - 1];
        const n = buf[c.pos]!;
        if (n === COMMA) {
          c.pos++;
          if (top === IN_OBJECT && !objectKey(c)) return false;
          break;
        }
        if ((n === CLOSE_BRACE && top === IN_OBJECT) || (n === CLOSE_BRACKET && top === IN_ARRAY)) {
          c.pos++;
          depth--;
          continue;
        }
        return false;
      }
    }
  }
}

/** Steps over a member's `"key":` at the cursor. */
function objectKey(c: JsonCursor): boolean {
  if (c.pos >= c.end || c.buf[c.pos] !== QUOTE || !c.skipString()) return false;
  if (c.pos >= c.end || c.buf[c.pos] !== COLON) return false;
  c.pos++;
  return true;
}
