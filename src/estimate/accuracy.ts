// How far estimates were from what FINRA then published: median and 90th-percentile absolute
// percentage error, the signed median (bias), and how often the 90% interval held the published figure.
import { weekEndingOf } from '../domain/calendar.js';
import { TIERS, type Tier } from '../domain/tiers.js';
import { percentile, type EstimateMethod } from './model.js';

export interface Score {
  tier: Tier;
  weekStart: string;
  symbol: string;
  method: EstimateMethod;
  estimate: number;
  low: number;
  high: number;
  /** FINRA's published ATS shares for the week (0 when the symbol had none). */
  actual: number;
}

export interface AccuracyRow {
  tier: Tier;
  method: 'all' | EstimateMethod;
  weeks: number;
  estimates: number;
  /** Estimates whose published figure was above zero: the percentage errors are over these. */
  with_ats_volume: number;
  median_ape_pct: number | null;
  p90_ape_pct: number | null;
  /** Signed: above zero, estimates ran high. */
  median_error_pct: number | null;
  /** Published figures inside the estimate's interval, of all estimates. */
  interval_coverage_pct: number | null;
  first_week_ending: string | null;
  last_week_ending: string | null;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

function row(tier: Tier, method: AccuracyRow['method'], scores: Score[]): AccuracyRow {
  const weeks = [...new Set(scores.map((s) => s.weekStart))].sort();
  const measured = scores.filter((s) => s.actual > 0);
  const errors = measured.map((s) => ((s.estimate - s.actual) / s.actual) * 100).sort((a, b) => a - b);
  const absolute = errors.map(Math.abs).sort((a, b) => a - b);
  const inside = scores.filter((s) => s.actual >= s.low && s.actual <= s.high).length;
  return {
    tier,
    method,
    weeks: weeks.length,
    estimates: scores.length,
    with_ats_volume: measured.length,
    median_ape_pct: absolute.length ? round2(percentile(absolute, 0.5)) : null,
    p90_ape_pct: absolute.length ? round2(percentile(absolute, 0.9)) : null,
    median_error_pct: errors.length ? round2(percentile(errors, 0.5)) : null,
    interval_coverage_pct: scores.length ? round2((inside / scores.length) * 100) : null,
    first_week_ending: weeks.length ? weekEndingOf(weeks[0]!) : null,
    last_week_ending: weeks.length ? weekEndingOf(weeks.at(-1)!) : null,
  };
}

/** Per tier: every estimate, then each method apart. Tiers without scores are left out. */
export function summarize(scores: readonly Score[]): AccuracyRow[] {
  const out: AccuracyRow[] = [];
  for (const tier of TIERS) {
    const ofTier = scores.filter((s) => s.tier === tier);
    if (!ofTier.length) continue;
    out.push(row(tier, 'all', ofTier));
    for (const method of ['symbol_share', 'tier_share'] as const) {
      const ofMethod = ofTier.filter((s) => s.method === method);
      if (ofMethod.length) out.push(row(tier, method, ofMethod));
    }
  }
  return out;
}
