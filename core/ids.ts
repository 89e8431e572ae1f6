// Event ids are UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits,
// so ids sort by creation time and never collide across producers.
import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(16 * 256);
let poolOffset = pool.length;
const hex: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A new UUIDv7 string. */
export function newEventId(now = Date.now()): string {
  if (poolOffset + 10 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const r = pool;
  const o = poolOffset;
  poolOffset += 10;
  const ms = now;
  const b0 = Math.floor(ms / 2 ** 40) & 0xff;
  const b1 = Math.floor(ms / 2 ** 32) & 0xff;
  const b2 = (ms >>> 24) & 0xff;
  const b3 = (ms >>> 16) & 0xff;
  const b4 = (ms >>> 8) & 0xff;
  const b5 = ms & 0xff;
  const b6 = 0x70 | (r[o]! & 0x0f);
  const b8 = 0x80 | (r[o + 2]! & 0x3f);
  return (
    hex[b0]! + hex[b1]! + hex[b2]! + hex[b3]! + '-' + hex[b4]! + hex[b5]! + '-' +
    hex[b6]! + hex[r[o + 1]!]! + '-' + hex[b8]! + hex[r[o + 3]!]! + '-' +
    hex[r[o + 4]!]! + hex[r[o + 5]!]! + hex[r[o + 6]!]! + hex[r[o + 7]!]! + hex[r[o + 8]!]! + hex[r[o + 9]!]!
  );
}
