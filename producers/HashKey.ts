// Hash keys as 32-digit lowercase hex strings. Fixed-width hex compares as strings in
// the same order as the 128-bit numbers, so placing an event on a shard needs no
// BigInt work; the value is the one core's `effectiveHashKey` gives (tests pin this).
import crypto from 'node:crypto';

// One-shot crypto.hash (Node >= 20.12) is several times faster than a Hash object.
const md5Hex: (s: string) => string = typeof (crypto as { hash?: unknown }).hash === 'function'
  ? (s) => crypto.hash('md5', s, 'hex')
  : (s) => crypto.createHash('md5').update(s, 'utf8').digest('hex');

/** The MD5 of the partition key (UTF-8) as 32 hex digits: Kinesis' hash key for it. */
export function partitionKeyHashHex(partitionKey: string): string {
  return md5Hex(partitionKey);
}

/** A partition key's hash key (32 hex digits) and its UTF-8 length. */
export interface KeyHash {
  hex: string;
  bytes: number;
}

/**
 * Remembers the hash and byte length of recently seen partition keys: real streams
 * reuse a few thousand keys (users, devices), and a map lookup is far cheaper than
 * MD5. Bounded: emptied when full, so unique keys cannot grow it.
 */
export class PartitionKeyHashCache {
  private readonly map = new Map<string, KeyHash>();
  constructor(private readonly maxEntries = 16_384) {}

  get(partitionKey: string): KeyHash {
    let key = this.map.get(partitionKey);
    if (key === undefined) {
      key = { hex: md5Hex(partitionKey), bytes: Buffer.byteLength(partitionKey, 'utf8') };
      if (this.map.size >= this.maxEntries) this.map.clear();
      this.map.set(partitionKey, key);
    }
    return key;
  }
}

/** A decimal hash key (an ExplicitHashKey) as 32 hex digits. */
export function decimalToHashHex(decimal: string): string {
  return BigInt(decimal).toString(16).padStart(32, '0');
}

/** 32 hex digits back to the decimal form Kinesis takes as ExplicitHashKey. */
export function hashHexToDecimal(hex: string): string {
  return BigInt(`0x${hex}`).toString();
}

/** The hash key that places a record: its explicit hash key if set, else the MD5 of its key. */
export function effectiveHashHex(partitionKey: string, explicitHashKey?: string): string {
  return explicitHashKey !== undefined ? decimalToHashHex(explicitHashKey) : md5Hex(partitionKey);
}
