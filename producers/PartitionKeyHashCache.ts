// The producer's cache of partition-key hashes: the hash itself is core's (hash.ts).
import { partitionKeyHashHex } from '../core/index.ts';

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
      key = { hex: partitionKeyHashHex(partitionKey), bytes: Buffer.byteLength(partitionKey, 'utf8') };
      if (this.map.size >= this.maxEntries) this.map.clear();
      this.map.set(partitionKey, key);
    }
    return key;
  }
}
