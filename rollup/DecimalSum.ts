// Exact sum of event values. A value is taken at its shortest decimal form (the text
// a producer sent as JSON), so 0.1 + 0.2 sums to exactly 0.3 and the database's
// `numeric` column receives an exact decimal string. Integers and values with up to
// six decimals stay on a fast number path; anything else goes through BigInt.

const MICRO = 1_000_000;
const MICRO_DIGITS = 6;
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;

export class DecimalSum {
  /** Sum of whole values, while it stays a safe integer. */
  private units = 0;
  /** Sum of values with at most six decimals, in millionths, while it stays a safe integer. */
  private micros = 0;
  /** Everything else, exactly: exactCoef × 10^exactExp. */
  private exactCoef = 0n;
  private exactExp = 0;

  add(v: number): void {
    if (Number.isInteger(v)) {
      const r = this.units + v;
      if (Number.isSafeInteger(r)) {
        this.units = r;
        return;
      }
    } else if (v > -1e9 && v < 1e9) {
      // A value with at most six decimals: v × 10^6 rounds to an integer r with
      // r / 10^6 === v (division rounds correctly, so the check is exact). Below 10^9
      // distinct six-decimal numbers are distinct doubles, so r × 10^-6 is exactly the
      // value's shortest decimal form.
      const scaled = Math.round(v * MICRO);
      if (scaled / MICRO === v) {
        const r = this.micros + scaled;
        if (Number.isSafeInteger(r)) {
          this.micros = r;
          return;
        }
      }
    }
    this.addText(String(v));
  }

  /** Adds another sum into this one. */
  merge(other: DecimalSum): void {
    this.addText(other.toString());
  }

  /** The exact sum as a plain decimal string (no exponent), e.g. `-12.75`. */
  toString(): string {
    if (this.exactCoef === 0n) {
      const total = this.units * MICRO + this.micros;
      if (Number.isSafeInteger(total)) {
        const abs = Math.abs(total);
        const intPart = Math.floor(abs / MICRO);
        const frac = abs - intPart * MICRO;
        const text = frac === 0 ? String(intPart) : `${intPart}.${String(frac).padStart(MICRO_DIGITS, '0').replace(/0+$/, '')}`;
        return total < 0 ? `-${text}` : text;
      }
    }
    const exp = Math.min(-MICRO_DIGITS, this.exactExp);
    let coef = (BigInt(this.units) * BigInt(MICRO) + BigInt(this.micros)) * 10n ** BigInt(-MICRO_DIGITS - exp);
    coef += this.exactCoef * 10n ** BigInt(this.exactExp - exp);
    return formatDecimal(coef, -exp);
  }

  /** Adds a decimal given as text (`-12.5`, `1e-7`), exactly. */
  addText(text: string): void {
    const m = DECIMAL.exec(text);
    if (!m) throw new RangeError(`not a finite decimal: ${text}`);
    const frac = m[3] ?? '';
    let coef = BigInt(m[2]! + frac);
    if (m[1] === '-') coef = -coef;
    const exp = Number(m[4] ?? 0) - frac.length;
    if (exp < this.exactExp) {
      this.exactCoef *= 10n ** BigInt(this.exactExp - exp);
      this.exactExp = exp;
    }
    this.exactCoef += coef * 10n ** BigInt(exp - this.exactExp);
  }
}

/** `coef × 10^-scale` as a decimal string without trailing fractional zeros. */
function formatDecimal(coef: bigint, scale: number): string {
  const neg = coef < 0n;
  let digits = (neg ? -coef : coef).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, '0');
    let intPart = digits.slice(0, digits.length - scale);
    const fracPart = digits.slice(digits.length - scale).replace(/0+$/, '');
    intPart = intPart.replace(/^0+(?=\d)/, '');
    digits = fracPart ? `${intPart}.${fracPart}` : intPart;
  }
  if (digits === '0') return '0';
  return neg ? `-${digits}` : digits;
}
