// What the estimate endpoints answer: a symbol's estimates for the weeks FINRA has not published yet
// (always with their interval, method and calibration weeks, and labelled `estimate: true`), history
// with those estimates on top, and the live accuracy of past estimates. Never mixed into published data.
import { addDays, weekEndingOf } from '../domain/calendar.js';
import { TIERS, type Tier } from '../domain/tiers.js';
import { NoDailyDataError, type DailyReports } from './daily.js';
import type { Db } from '../store/db.js';
import type { Snapshot } from './snapshot.js';
import { FINRA_CREDIT, type Reports, type SymbolWeek } from './weekly.js';
import { summarize, type AccuracyRow } from '../estimate/accuracy.js';
import { Estimator, type WeekEstimate } from '../estimate/estimator.js';
import { CONFIDENCE, type EstimateMethod } from '../estimate/model.js';
import type { EstimateScorer } from '../estimate/scoring.js';
import { StoreDailyVolumes, StoreTruth } from '../estimate/sources.js';

/** The accuracy an estimate answer quotes: its tier's newest this many scored weeks. */
export const ACCURACY_WEEKS = 13;

export const ESTIMATE_NOTE =
  "Estimates, not FINRA figures: the week's summed FINRA daily off-exchange volume times the ATS share of it " +
  "calibrated on the published weeks listed, with a 90% interval. FINRA's weekly figure replaces each estimate " +
  'once published; /darkpool/estimate/accuracy shows how far past estimates were from it.';

export interface EstimatedWeek {
  ticker: string;
  tier: Tier;
  week_start: string;
  week_ending: string;
  estimate: true;
  dark_pool_shares: number;
  interval: { low: number; high: number; confidence: number };
  method: EstimateMethod;
  ats_share_of_off_exchange: number;
  share_interval: { low: number; high: number };
  off_exchange_shares: number;
  trading_days: number;
  days_loaded: number;
  complete: boolean;
  calibration: { week_ending: string; ats_share_of_off_exchange: number }[];
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

/** The symbol cannot have estimates at all: its tier or its absence from the daily files. */
export class EstimateUnavailableError extends Error {
  override name = 'EstimateUnavailableError';
}

export function estimatedWeek(e: WeekEstimate): EstimatedWeek {
  return {
    ticker: e.symbol,
    tier: e.tier,
    week_start: e.weekStart,
    week_ending: weekEndingOf(e.weekStart),
    estimate: true,
    dark_pool_shares: Math.round(e.estimate),
    interval: { low: Math.floor(e.low), high: Math.ceil(e.high), confidence: CONFIDENCE },
    method: e.model.method,
    ats_share_of_off_exchange: round6(e.model.ratio),
    share_interval: { low: round6(e.model.low), high: round6(e.model.high) },
    off_exchange_shares: round6(e.offExchange),
    trading_days: e.tradingDays,
    days_loaded: e.daysLoaded,
    complete: e.daysLoaded === e.tradingDays,
    calibration: e.calibration.weeks.map((w, i) => ({
      week_ending: weekEndingOf(w),
      ats_share_of_off_exchange: round6(e.calibration.ratios[i]!),
    })),
  };
}

export class EstimateReports {
  private estimator: Estimator | null = null;
  /** Accuracy summaries by tier and weeks: every estimate answer quotes one, so it is not re-read each time. */
  private readonly accuracyCache = new Map<string, AccuracyRow[]>();

  constructor(
    private readonly db: Db,
    private readonly reports: Reports,
    private readonly daily: DailyReports,
    private readonly scorer: EstimateScorer,
    private readonly snapshot: Snapshot,
  ) {
    snapshot.onChange(() => {
      this.estimator = null;
      this.accuracyCache.clear();
    });
  }

  private get current(): Estimator {
    return (this.estimator ??= new Estimator(new StoreTruth(this.db), new StoreDailyVolumes(this.db)));
  }

  /** The symbol's estimates for every week after its tier's newest published one, newest first. */
  estimates(ticker: string) {
    return this.snapshot.read(() => {
      const symbol = this.reports.symbol(ticker);
      if (!this.daily.hasData()) throw new NoDailyDataError('no daily file is loaded yet');
      const { data, unavailable } = this.forSymbol(symbol.symbol, symbol.tier);
      const pending = this.current.pendingWeeks(symbol.tier);
      const calibrationWeeks = new Set(data.flatMap((d) => d.calibration.map((c) => addDays(c.week_ending, -6))));
      const newestPublished = this.current.publishedWeeks(symbol.tier)[0] ?? null;
      return {
        ticker: symbol.symbol,
        tier: symbol.tier,
        newest_published_week_ending: newestPublished ? weekEndingOf(newestPublished) : null,
        data,
        unavailable,
        reason: data.length || unavailable.length ? null : this.nothingToEstimate(symbol.tier, newestPublished),
        accuracy: this.accuracyOf(symbol.tier, ACCURACY_WEEKS).find((r) => r.method === 'all') ?? null,
        note: ESTIMATE_NOTE,
        source: this.reports.sourceFor([...calibrationWeeks].map((w) => [w, symbol.tier])),
        daily_source: pending.length ? this.daily.sourceBetween(pending.at(-1)!, addDays(pending[0]!, 6)) : this.daily.source([]),
      };
    });
  }

  /** Why no week can be estimated: an empty answer says so, with the dates that decide it. */
  private nothingToEstimate(tier: Tier, newestPublished: string | null): string {
    const files = this.daily.range();
    if (!newestPublished) return `no ${tier} week is published here yet: there is nothing to calibrate an estimate on`;
    const next = addDays(newestPublished, 7);
    const covered = files ? `FINRA's daily files loaded here cover ${files.first} to ${files.last}` : 'no FINRA daily file is loaded';
    return (
      `${covered}; the newest published ${tier} week ends ${weekEndingOf(newestPublished)}, and no daily file falls in a week ` +
      `after it (the next starts ${next}): there is no unpublished week to estimate. Load newer daily files (\`darkpool-radar ingest\`).`
    );
  }

  /** History with the estimates on top, each record saying whether it is one. */
  withEstimates<H extends { ticker: string; data: SymbolWeek[] }>(history: H) {
    return this.snapshot.read(() => {
      const tier = history.data[0]?.tier;
      let estimates: EstimatedWeek[] = [];
      try {
        if (tier && this.daily.hasData()) estimates = this.forSymbol(history.ticker, tier).data;
      } catch (err) {
        if (!(err instanceof EstimateUnavailableError)) throw err; // history stays FINRA's figures alone
      }
      return { ...history, data: [...estimates, ...history.data.map((r) => ({ ...r, estimate: false as const }))] };
    });
  }

  /** Live accuracy: estimates scored when FINRA published their weeks, per tier and method. */
  accuracy(weeks: number, tier?: Tier) {
    return this.snapshot.read(() => {
      const data = (tier ? [tier] : TIERS).flatMap((t) => this.accuracyOf(t, weeks));
      return { weeks, data, source: FINRA_CREDIT };
    });
  }

  private accuracyOf(tier: Tier, weeks: number): AccuracyRow[] {
    const key = `${tier} ${weeks}`;
    let rows = this.accuracyCache.get(key);
    if (!rows) {
      rows = summarize(this.scorer.recent(tier, weeks));
      this.accuracyCache.set(key, rows);
    }
    return rows;
  }

  private forSymbol(symbol: string, tier: Tier): { data: EstimatedWeek[]; unavailable: { week_ending: string; reason: string }[] } {
    if (tier === 'OTCE') {
      throw new EstimateUnavailableError(
        `${symbol} is an OTC equity: FINRA's daily files cover NMS stocks (T1, T2) only, so there is no daily volume to estimate from`,
      );
    }
    if (!this.daily.lists(symbol)) throw new EstimateUnavailableError(`FINRA's daily files do not list ${symbol} on any loaded day`);
    const data: EstimatedWeek[] = [];
    const unavailable: { week_ending: string; reason: string }[] = [];
    for (const week of this.current.pendingWeeks(tier)) {
      const outcome = this.current.estimate(symbol, tier, week);
      if (outcome.ok) data.push(estimatedWeek(outcome.value));
      else unavailable.push({ week_ending: weekEndingOf(week), reason: outcome.reason });
    }
    return { data, unavailable };
  }
}
