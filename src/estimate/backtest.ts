// The estimate replayed on history: each published week with every day's daily file is estimated
// from the published weeks before it, as if FINRA had not published it yet, and compared with what
// FINRA published.
import { weekEndingOf } from '../domain/calendar.js';
import type { Tier } from '../domain/tiers.js';
import { summarize, type AccuracyRow, type Score } from './accuracy.js';
import { Estimator } from './estimator.js';
import type { DailyVolumes, WeeklyTruth } from './sources.js';

export interface BacktestOptions {
  tiers: readonly Tier[];
  /** The newest this many such weeks per tier. */
  weeks: number;
  /** Only these symbols (FINRA's spelling); all with daily volume otherwise. */
  symbols?: ReadonlySet<string>;
}

export interface BacktestResult {
  scores: Score[];
  summary: AccuracyRow[];
  /** Estimated weeks per tier, newest first. */
  weeks: Partial<Record<Tier, string[]>>;
  /** Symbol-weeks that could not be estimated (too few calibration weeks), with the first reason. */
  unavailable: number;
  reason: string | null;
}

export function backtest(truth: WeeklyTruth, daily: DailyVolumes, options: BacktestOptions): BacktestResult {
  const estimator = new Estimator(truth, daily);
  const scores: Score[] = [];
  const weeks: BacktestResult['weeks'] = {};
  let unavailable = 0;
  let reason: string | null = null;
  for (const tier of options.tiers) {
    const targets = truth
      .publishedWeeks(tier)
      .filter((w) => estimator.complete(w))
      .slice(0, options.weeks);
    weeks[tier] = targets;
    for (const week of targets) {
      const published = truth.weekShares(tier, week);
      for (const outcome of estimator.estimateWeek(tier, week, options.symbols)) {
        if (!outcome.ok) {
          unavailable++;
          reason ??= outcome.reason;
          continue;
        }
        const e = outcome.value;
        scores.push({
          tier,
          weekStart: week,
          symbol: e.symbol,
          method: e.model.method,
          estimate: e.estimate,
          low: e.low,
          high: e.high,
          actual: published.get(e.symbol) ?? 0,
        });
      }
    }
  }
  return { scores, summary: summarize(scores), weeks, unavailable, reason };
}

const pct = (v: number | null) => (v === null ? '-' : `${v.toFixed(2)}%`);

/** The result as a table for people: per tier and method, the errors and the interval's coverage. */
export function formatBacktest(result: BacktestResult): string {
  const lines = ['Backtest: each published week estimated from the published weeks before it, against what FINRA published.'];
  for (const [tier, weeks] of Object.entries(result.weeks)) {
    lines.push(
      `${tier}: ${weeks.length ? `weeks ending ${weeks.map(weekEndingOf).join(', ')}` : 'no published week has every daily file loaded'}`,
    );
  }
  lines.push('', 'tier  method        weeks  estimates  median APE  p90 APE  median error  inside 90% interval');
  for (const r of result.summary) {
    lines.push(
      `${r.tier.padEnd(4)}  ${r.method.padEnd(12)}  ${String(r.weeks).padStart(5)}  ${String(r.estimates).padStart(9)}  ` +
        `${pct(r.median_ape_pct).padStart(10)}  ${pct(r.p90_ape_pct).padStart(7)}  ${pct(r.median_error_pct).padStart(12)}  ${pct(r.interval_coverage_pct).padStart(19)}`,
    );
  }
  if (!result.summary.length) lines.push('(nothing could be estimated)');
  if (result.unavailable) lines.push('', `${result.unavailable} symbol-weeks could not be estimated: ${result.reason}`);
  return `${lines.join('\n')}\n`;
}
