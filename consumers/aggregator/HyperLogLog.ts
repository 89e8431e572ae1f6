// Approximate distinct counting (HyperLogLog, 2^10 registers, about 3.3% standard
// error). Registers travel and are stored sparsely as {"index": rank}; merging two
// sketches takes the larger rank per register, so re-applying one is harmless.

export const HLL_PRECISION = 10;
export const HLL_REGISTERS = 1 << HLL_PRECISION;
const RANK_BITS = 32 - HLL_PRECISION;

/** MurmurHash3 (x86, 32-bit) of a string's UTF-16 code units. */
export function murmur3(text: string, seed = 0): number {
  let h = seed >>> 0;
  const n = text.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    let k = (text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16)) >>> 0;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (i < n) {
    let k = text.charCodeAt(i);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n * 2;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class HyperLogLog {
  readonly registers = new Uint8Array(HLL_REGISTERS);

  add(value: string): void {
    const h = murmur3(value);
    const index = h >>> RANK_BITS;
    const rest = (h << HLL_PRECISION) >>> 0;
    // rank = position of the first 1 bit in the remaining bits, 1-based
    const rank = rest === 0 ? RANK_BITS + 1 : Math.clz32(rest) + 1;
    if (rank > this.registers[index]!) this.registers[index] = rank;
  }

  /** Sparse form for storage: only the non-zero registers. */
  toSparse(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < HLL_REGISTERS; i++) if (this.registers[i]) out[i] = this.registers[i]!;
    return out;
  }

  static fromSparse(sparse: Record<string, number>): HyperLogLog {
    const hll = new HyperLogLog();
    for (const [k, v] of Object.entries(sparse)) {
      const i = Number(k);
      if (Number.isInteger(i) && i >= 0 && i < HLL_REGISTERS && v > hll.registers[i]!) hll.registers[i] = v;
    }
    return hll;
  }

  merge(other: HyperLogLog): void {
    for (let i = 0; i < HLL_REGISTERS; i++) if (other.registers[i]! > this.registers[i]!) this.registers[i] = other.registers[i]!;
  }

  estimate(): number {
    let nonZero = 0;
    let harmonicNonZero = 0;
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = this.registers[i]!;
      if (r) {
        nonZero++;
        harmonicNonZero += 2 ** -r;
      }
    }
    return estimateFromStats(nonZero, harmonicNonZero);
  }
}

/**
 * The HyperLogLog estimate from the count of non-zero registers and the sum of
 * 2^-rank over them, which SQL can compute without shipping the registers.
 */
export function estimateFromStats(nonZero: number, harmonicNonZero: number): number {
  const m = HLL_REGISTERS;
  const zeros = m - nonZero;
  const alpha = 0.7213 / (1 + 1.079 / m);
  const raw = (alpha * m * m) / (zeros + harmonicNonZero);
  // small range: linear counting is more accurate while registers are still empty
  if (raw <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
  return Math.round(raw);
}
