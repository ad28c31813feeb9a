// Share quantities summed exactly. FINRA's daily files carry fractional shares (up to six decimals)
// and weekly quantities may follow; a floating-point accumulator would drift (0.1 + 0.2 is not 0.3),
// so sums are kept in whole millionths of a share, as integers, and turned into a number once.

/** Quantities carry at most this many decimals; a finer one cannot be summed exactly here. */
export const MAX_DECIMALS = 6;
const SCALE = 1_000_000n;
/** Below this a quantity times 10^6 is still an exact integer in a double. */
const FRACTIONAL_LIMIT = 9_000_000_000;

/** True when the number is a whole count, or has at most MAX_DECIMALS decimals. */
export function isExactQuantity(x: number): boolean {
  if (!Number.isFinite(x)) return false;
  if (Number.isInteger(x)) return true;
  return Math.abs(x) < FRACTIONAL_LIMIT && Math.round(x * 1e6) / 1e6 === x;
}

export class ExactSum {
  /** Whole quantities, while their sum stays a safe integer (the common, fast case). */
  private whole = 0;
  /** Everything else, in millionths. */
  private micros = 0n;
  private count = 0;

  add(x: number): this {
    this.count++;
    if (Number.isInteger(x)) {
      const next = this.whole + x;
      if (Number.isSafeInteger(next)) {
        this.whole = next;
        return this;
      }
      this.micros += BigInt(x) * SCALE;
      return this;
    }
    if (!isExactQuantity(x)) throw new RangeError(`${x} has more than ${MAX_DECIMALS} decimals or is out of range`);
    this.micros += BigInt(Math.round(x * 1e6));
    return this;
  }

  /** Nothing was added. */
  get empty(): boolean {
    return this.count === 0;
  }

  /** The exact sum, as the nearest number (a whole sum up to 2^53 is that sum). */
  value(): number {
    if (this.micros === 0n) return this.whole;
    const total = this.micros + BigInt(this.whole) * SCALE;
    const sign = total < 0n ? '-' : '';
    const abs = total < 0n ? -total : total;
    const frac = abs % SCALE;
    return Number(`${sign}${abs / SCALE}.${frac.toString().padStart(6, '0')}`);
  }
}

/** The exact sum of quantities (nulls skipped). */
export function exactSum(values: Iterable<number | null>): number {
  const sum = new ExactSum();
  for (const v of values) if (v !== null) sum.add(v);
  return sum.value();
}
