// Shard choice as Kinesis does it: the MD5 of the partition key (UTF-8) read as a
// 128-bit unsigned big-endian integer, or the explicit hash key when one is given,
// falls into exactly one open shard's hash key range.
import { createHash } from 'node:crypto';

/** The 128-bit hash key Kinesis derives from a partition key. */
export function partitionKeyHash(partitionKey: string): bigint {
  const digest = createHash('md5').update(partitionKey, 'utf8').digest();
  return (digest.readBigUInt64BE(0) << 64n) | digest.readBigUInt64BE(8);
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
