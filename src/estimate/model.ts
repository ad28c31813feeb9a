// The estimate's arithmetic, pure. A week FINRA has not published yet gets
//   ATS shares ~ (the week's summed daily off-exchange volume) x (ATS share of off-exchange volume)
// where the share is calibrated on published weeks. The interval is a 90% prediction interval for
// the share: from the symbol's own weekly ratios (Student's t, as a new draw from their spread), or,
// for a thin symbol, from the spread of every symbol's ratio in its tier.

export const CONFIDENCE = 0.9;
/** Published weeks a share is calibrated on, at most. */
export const CALIBRATION_WEEKS = 8;
/** ... searched among this many published weeks before the estimated one (older ones are stale). */
export const LOOKBACK_WEEKS = 12;
/** A spread needs two weeks at least. */
export const MIN_CALIBRATION_WEEKS = 2;
/**
 * Below this average weekly off-exchange volume a symbol's own ratio is mostly noise (a few prints
 * decide it): the tier's share is used instead.
 */
export const THIN_OFF_EXCHANGE_SHARES = 50_000;

export type EstimateMethod = 'symbol_share' | 'tier_share';

export interface ShareModel {
  method: EstimateMethod;
  /** ATS shares / off-exchange shares. */
  ratio: number;
  low: number;
  high: number;
}

// One-sided 95% quantiles of Student's t for 1..30 degrees of freedom (two-sided 90%).
const T95 = [
  6.314, 2.92, 2.353, 2.132, 2.015, 1.943, 1.895, 1.86, 1.833, 1.812, 1.796, 1.782, 1.771, 1.761, 1.753, 1.746, 1.74, 1.734, 1.729, 1.725,
  1.721, 1.717, 1.714, 1.711, 1.708, 1.706, 1.703, 1.701, 1.699, 1.697,
];

export function tQuantile95(df: number): number {
  return df >= 1 && df <= T95.length ? T95[df - 1]! : 1.645;
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function sampleSd(xs: readonly number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

/** Linear interpolation between closest ranks (the "R7" rule); `sorted` ascending and non-empty. */
export function percentile(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** The symbol's own weekly ratios (at least two): their mean, and a t prediction interval for the next. */
export function symbolShare(ratios: readonly number[]): ShareModel {
  const n = ratios.length;
  const m = mean(ratios);
  const half = tQuantile95(n - 1) * sampleSd(ratios) * Math.sqrt(1 + 1 / n);
  return { method: 'symbol_share', ratio: m, low: Math.max(0, m - half), high: m + half };
}

/**
 * The tier's share for a thin symbol: the mean of the tier's weekly ratios (all of its ATS shares over
 * all of its off-exchange volume), and the 5th to 95th percentile of single symbols' ratios in those
 * weeks, since a thin symbol strays from the tier's average as much as symbols do.
 */
export function tierShare(tierRatios: readonly number[], symbolRatiosSorted: readonly number[]): ShareModel {
  const m = mean(tierRatios);
  const tail = (1 - CONFIDENCE) / 2;
  const low = percentile(symbolRatiosSorted, tail);
  const high = percentile(symbolRatiosSorted, 1 - tail);
  return { method: 'tier_share', ratio: m, low: Math.min(low, m), high: Math.max(high, m) };
}
