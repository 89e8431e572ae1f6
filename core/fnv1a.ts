// FNV-1a, 32-bit: a cheap, stable hash for spreading keys over lanes and slots (not
// for shard choice: Kinesis uses MD5, see hash.ts). The constants are exported so a
// hot loop over bytes can inline the step: h = Math.imul(h ^ byte, FNV_PRIME).

export const FNV_OFFSET = 0x811c9dc5 | 0;
export const FNV_PRIME = 0x01000193;

/** FNV-1a of a string's UTF-16 code units, as an unsigned 32-bit integer. */
export function fnv1a(s: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}
