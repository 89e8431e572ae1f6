// Strings met before, found again from their bytes without building a new string:
// an event's type, dimension names and many dimension values repeat from event to
// event, and making a string per field costs the event scan more than the rest of
// its work.

/** Buffer's own latin1 slice, without toString's argument handling: the string of ASCII bytes. */
export const latin1Slice = (buf: Buffer, start: number, end: number): string =>
  (buf as unknown as { latin1Slice(start: number, end: number): string }).latin1Slice(start, end);

/**
 * A fixed-size table of strings, one per slot of their hash. Only strings that pass
 * the table's rule (a length limit and a pattern) get in, so a hit is also a
 * validation; a slot's string is replaced when another one hashes there, which keeps
 * the table's size fixed whatever the input.
 */
export class InternTable {
  private readonly slots: (string | undefined)[];
  private readonly mask: number;

  /** `bits`: the table has 2^bits slots. `maxChars` and `pattern` (null: any text) are the rule. */
  constructor(bits: number, private readonly maxChars: number, private readonly pattern: RegExp | null) {
    this.slots = new Array<string | undefined>(1 << bits).fill(undefined);
    this.mask = (1 << bits) - 1;
  }

  /**
   * The string of the ASCII bytes buf[start, end), whose hash the caller computed
   * while finding its end (`h`, any 32-bit hash), or undefined when it breaks the rule.
   */
  ascii(buf: Buffer, start: number, end: number, h: number): string | undefined {
    const len = end - start;
    const slot = h & this.mask;
    const known = this.slots[slot];
    if (known !== undefined && known.length === len) {
      let k = 0;
      while (k < len && known.charCodeAt(k) === buf[start + k]) k++;
      if (k === len) return known;
    }
    const s = latin1Slice(buf, start, end);
    if (!this.valid(s)) return undefined;
    this.slots[slot] = s;
    return s;
  }

  /** Whether `s` passes the table's rule (for strings the caller built itself: non-ASCII ones are not interned). */
  valid(s: string): boolean {
    return s.length <= this.maxChars && (this.pattern === null || this.pattern.test(s));
  }
}
