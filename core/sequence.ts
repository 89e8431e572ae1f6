// Kinesis sequence numbers are decimal strings of up to 129 digits. They order
// records within a shard only, and must be compared numerically: by length first,
// then lexically (no leading zeros are ever produced).

/** Negative when a < b, zero when equal, positive when a > b. */
export function compareSequenceNumbers(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
