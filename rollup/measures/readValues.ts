// Reading a measure's value back: a Data API field value or a formattedRecords value
// may carry a number as a number or as its decimal text.

/** A finite number from a read-back value, or null. */
export function readNumber(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v);
    return Number.isNaN(n) ? null : n;
  }
  return null;
}

/** Decimal text from a read-back value (text as is, a number as JavaScript prints it), or null. */
export function readText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return null;
}
