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

/** Registers kept in a Map until this many are set, then in a dense array. */
const SPARSE_LIMIT = 96;

export class HyperLogLog {
  // Most rollup rows see few distinct values: a sparse map keeps them cheap to build
  // and to serialize; a row that fills up switches to the dense array.
  private sparse: Map<number, number> | null = new Map();
  private dense: Uint8Array | null = null;

  add(value: string): void {
    const h = murmur3(value);
    const index = h >>> RANK_BITS;
    const rest = (h << HLL_PRECISION) >>> 0;
    // rank = position of the first 1 bit in the remaining bits, 1-based
    const rank = rest === 0 ? RANK_BITS + 1 : Math.clz32(rest) + 1;
    this.set(index, rank);
  }

  private set(index: number, rank: number): void {
    if (this.sparse) {
      const prev = this.sparse.get(index);
      if (prev === undefined || rank > prev) {
        this.sparse.set(index, rank);
        if (this.sparse.size > SPARSE_LIMIT) {
          this.dense = new Uint8Array(HLL_REGISTERS);
          for (const [i, r] of this.sparse) this.dense[i] = r;
          this.sparse = null;
        }
      }
    } else if (rank > this.dense![index]!) {
      this.dense![index] = rank;
    }
  }

  /** Every register, dense. */
  get registers(): Uint8Array {
    if (this.dense) return this.dense;
    const out = new Uint8Array(HLL_REGISTERS);
    for (const [i, r] of this.sparse!) out[i] = r;
    return out;
  }

  /** Sparse form for storage: only the non-zero registers. */
  toSparse(): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.sparse) {
      for (const [i, r] of this.sparse) out[i] = r;
    } else {
      const d = this.dense!;
      for (let i = 0; i < HLL_REGISTERS; i++) if (d[i]) out[i] = d[i]!;
    }
    return out;
  }

  /** The sparse form as JSON text, built directly (much faster than JSON.stringify of it). */
  toSparseJson(): string {
    let out = '{';
    let first = true;
    if (this.sparse) {
      for (const [i, r] of this.sparse) {
        out += first ? `"${i}":${r}` : `,"${i}":${r}`;
        first = false;
      }
    } else {
      const d = this.dense!;
      for (let i = 0; i < HLL_REGISTERS; i++) {
        if (d[i]) {
          out += first ? `"${i}":${d[i]}` : `,"${i}":${d[i]}`;
          first = false;
        }
      }
    }
    return out + '}';
  }

  static fromSparse(sparse: Record<string, number>): HyperLogLog {
    const hll = new HyperLogLog();
    for (const [k, v] of Object.entries(sparse)) {
      const i = Number(k);
      if (Number.isInteger(i) && i >= 0 && i < HLL_REGISTERS && Number.isInteger(v) && v > 0) hll.set(i, v);
    }
    return hll;
  }

  merge(other: HyperLogLog): void {
    const r = other.registers;
    for (let i = 0; i < HLL_REGISTERS; i++) if (r[i]) this.set(i, r[i]!);
  }

  estimate(): number {
    let nonZero = 0;
    let harmonicNonZero = 0;
    const regs = this.registers;
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = regs[i]!;
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
