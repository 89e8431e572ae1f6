// Shard choice as Kinesis does it: the MD5 of the partition key (UTF-8) read as a
// 128-bit unsigned big-endian integer, or the explicit hash key when one is given,
// falls into exactly one open shard's hash key range. Written once, in two forms: a
// 128-bit BigInt (the emulator, shard ranges) and 32 lowercase hex digits (the
// producer: fixed-width hex compares as strings in the order of the numbers, so
// placing an event on a shard needs no BigInt work).
import crypto from 'node:crypto';

// One-shot crypto.hash (Node >= 20.12) is several times faster than a Hash object.
const md5Hex: (s: string) => string = typeof (crypto as { hash?: unknown }).hash === 'function'
  ? (s) => crypto.hash('md5', s, 'hex')
  : (s) => crypto.createHash('md5').update(s, 'utf8').digest('hex');

/** The MD5 of the partition key (UTF-8) as 32 hex digits: Kinesis' hash key for it. */
export function partitionKeyHashHex(partitionKey: string): string {
  return md5Hex(partitionKey);
}

/** A decimal hash key (an ExplicitHashKey) as 32 hex digits. */
export function decimalToHashHex(decimal: string): string {
  return BigInt(decimal).toString(16).padStart(32, '0');
}

/** 32 hex digits back to the decimal form Kinesis takes as ExplicitHashKey. */
export function hashHexToDecimal(hex: string): string {
  return BigInt(`0x${hex}`).toString();
}

/** The hash key that places a record, as hex: its explicit hash key if set, else the MD5 of its key. */
export function effectiveHashHex(partitionKey: string, explicitHashKey?: string): string {
  return explicitHashKey !== undefined ? decimalToHashHex(explicitHashKey) : md5Hex(partitionKey);
}

/** The 128-bit hash key Kinesis derives from a partition key. */
export function partitionKeyHash(partitionKey: string): bigint {
  return BigInt(`0x${md5Hex(partitionKey)}`);
}

/** The hash key that decides the shard: the explicit hash key if set, else the MD5. */
export function effectiveHashKey(partitionKey: string, explicitHashKey?: string): bigint {
  return explicitHashKey !== undefined ? BigInt(explicitHashKey) : partitionKeyHash(partitionKey);
}

export interface HashKeyRange {
  shardId: string;
  startingHashKey: bigint;
  endingHashKey: bigint;
}

/**
 * The shard whose range holds `hash`. `ranges` must be sorted by starting key and
 * cover the key space without overlap (the open shards of a stream).
 */
export function shardForHash(ranges: readonly HashKeyRange[], hash: bigint): HashKeyRange | undefined {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid]!;
    if (hash < r.startingHashKey) hi = mid - 1;
    else if (hash > r.endingHashKey) lo = mid + 1;
    else return r;
  }
  return undefined;
}
