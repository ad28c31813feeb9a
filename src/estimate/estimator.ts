// Estimates of ATS shares for weeks FINRA has not published: each symbol's summed daily off-exchange
// volume times its ATS share of that volume, calibrated on the published weeks before (see model.ts).
// The same code serves live estimates, scores them when FINRA publishes, and replays them in backtests:
// a week is always estimated from the published weeks before it, never from itself or later ones.
import { addDays, tradingDaysInWeek, weekStartOf } from '../domain/calendar.js';
import type { Tier } from '../domain/tiers.js';
import {
  CALIBRATION_WEEKS,
  LOOKBACK_WEEKS,
  MIN_CALIBRATION_WEEKS,
  symbolShare,
  THIN_OFF_EXCHANGE_SHARES,
  tierShare,
  type ShareModel,
} from './model.js';
import type { DailyVolumes, WeeklyTruth } from './sources.js';

export interface WeekEstimate {
  symbol: string;
  tier: Tier;
  weekStart: string;
  model: ShareModel;
  /** Off-exchange shares summed over the week's stored days. */
  offExchange: number;
  tradingDays: number;
  daysLoaded: number;
  /** ATS shares: the point estimate and its interval. */
  estimate: number;
  low: number;
  high: number;
  /** The published weeks the share came from (newest first) and their ratios: the symbol's or the tier's. */
  calibration: { weeks: string[]; ratios: number[] };
}

export type EstimateOutcome = { ok: true; value: WeekEstimate } | { ok: false; reason: string };

interface TierCalibration {
  weeks: string[];
  ratios: number[];
  /** Every symbol-week's ratio in those weeks, ascending. */
  symbolRatios: number[];
}

/** Reads once, then remembers: build a new one when the data changes. */
export class Estimator {
  private tierOf: Map<string, Tier> | null = null;
  private days: Map<string, number> | null = null;
  private readonly published = new Map<Tier, string[]>();
  private readonly pending = new Map<Tier, string[]>();
  private readonly totals = new Map<string, Map<string, number>>();
  private readonly tierCalibrations = new Map<string, TierCalibration | null>();

  constructor(
    private readonly truth: WeeklyTruth,
    private readonly daily: DailyVolumes,
  ) {}

  daysLoaded(weekStart: string): number {
    this.days ??= this.daily.daysLoaded();
    return this.days.get(weekStart) ?? 0;
  }

  /** Every trading day of the week has its file. */
  complete(weekStart: string): boolean {
    const sessions = tradingDaysInWeek(weekStart);
    return sessions > 0 && this.daysLoaded(weekStart) === sessions;
  }

  tierOfSymbol(symbol: string): Tier | undefined {
    this.tierOf ??= this.truth.tiers();
    return this.tierOf.get(symbol);
  }

  /** At most 8 of the 12 published weeks before `weekStart`, those with every day's file: newest first. */
  calibrationWeeks(tier: Tier, weekStart: string): string[] {
    return this.publishedWeeks(tier)
      .filter((w) => w < weekStart)
      .slice(0, LOOKBACK_WEEKS)
      .filter((w) => this.complete(w))
      .slice(0, CALIBRATION_WEEKS);
  }

  /** Weeks after the tier's newest published one that have a daily file: what can be estimated now, newest first. */
  pendingWeeks(tier: Tier): string[] {
    let out = this.pending.get(tier);
    if (!out) {
      out = [];
      const newestDay = this.daily.newestTradeDate();
      const newestPublished = this.publishedWeeks(tier)[0];
      if (newestDay && newestPublished) {
        for (let w = weekStartOf(newestDay); w > newestPublished; w = addDays(w, -7)) if (this.daysLoaded(w) > 0) out.push(w);
      }
      this.pending.set(tier, out);
    }
    return out;
  }

  /** The tier's published weeks (Mondays), newest first. */
  publishedWeeks(tier: Tier): string[] {
    let weeks = this.published.get(tier);
    if (!weeks) {
      weeks = this.truth.publishedWeeks(tier);
      this.published.set(tier, weeks);
    }
    return weeks;
  }

  /** One symbol's estimate for a week, from its own rows. */
  estimate(symbol: string, tier: Tier, weekStart: string): EstimateOutcome {
    const calWeeks = this.calibrationWeeks(tier, weekStart);
    const from = calWeeks.at(-1) ?? weekStart;
    const off = this.daily.symbolWeeks(symbol, from);
    const ats = this.truth.symbolShares(symbol, tier, from);
    return this.estimateWith(
      symbol,
      tier,
      weekStart,
      calWeeks,
      (w) => off.get(w) ?? 0,
      (w) => ats.get(w) ?? 0,
    );
  }

  /**
   * Every symbol of the tier with off-exchange volume in the week (or those of `only`), from whole-week
   * reads: for scoring a week FINRA publishes and for backtests.
   */
  estimateWeek(tier: Tier, weekStart: string, only?: ReadonlySet<string>): EstimateOutcome[] {
    const calWeeks = this.calibrationWeeks(tier, weekStart);
    const shares = new Map(calWeeks.map((w) => [w, this.truth.weekShares(tier, w)]));
    const out: EstimateOutcome[] = [];
    for (const [symbol, volume] of this.weekTotals(weekStart)) {
      if (volume <= 0 || this.tierOfSymbol(symbol) !== tier || (only && !only.has(symbol))) continue;
      out.push(
        this.estimateWith(
          symbol,
          tier,
          weekStart,
          calWeeks,
          (w) => this.weekTotals(w).get(symbol) ?? 0,
          (w) => shares.get(w)?.get(symbol) ?? 0,
        ),
      );
    }
    return out;
  }

  private estimateWith(
    symbol: string,
    tier: Tier,
    weekStart: string,
    calWeeks: string[],
    offOf: (week: string) => number,
    atsOf: (week: string) => number,
  ): EstimateOutcome {
    const daysLoaded = this.daysLoaded(weekStart);
    if (daysLoaded === 0) return { ok: false, reason: `no daily file of the week ${weekStart} is loaded` };
    const own = calWeeks.filter((w) => offOf(w) > 0);
    const ownVolume = own.reduce((sum, w) => sum + offOf(w), 0);
    let model: ShareModel;
    let calibration: WeekEstimate['calibration'];
    if (own.length >= MIN_CALIBRATION_WEEKS && ownVolume / own.length >= THIN_OFF_EXCHANGE_SHARES) {
      const ratios = own.map((w) => atsOf(w) / offOf(w));
      model = symbolShare(ratios);
      calibration = { weeks: own, ratios };
    } else {
      const tc = this.tierCalibration(tier, calWeeks);
      if (!tc) {
        return {
          ok: false,
          reason: `fewer than ${MIN_CALIBRATION_WEEKS} published ${tier} weeks before ${weekStart} have every day's daily file loaded`,
        };
      }
      model = tierShare(tc.ratios, tc.symbolRatios);
      calibration = { weeks: tc.weeks, ratios: tc.ratios };
    }
    const offExchange = offOf(weekStart);
    return {
      ok: true,
      value: {
        symbol,
        tier,
        weekStart,
        model,
        offExchange,
        tradingDays: tradingDaysInWeek(weekStart),
        daysLoaded,
        estimate: model.ratio * offExchange,
        low: model.low * offExchange,
        high: model.high * offExchange,
        calibration,
      },
    };
  }

  private weekTotals(weekStart: string): Map<string, number> {
    let totals = this.totals.get(weekStart);
    if (!totals) {
      totals = this.daily.weekTotals(weekStart);
      this.totals.set(weekStart, totals);
    }
    return totals;
  }

  /** The tier's ATS share of its off-exchange volume in each calibration week, and every symbol's. */
  private tierCalibration(tier: Tier, calWeeks: string[]): TierCalibration | null {
    const key = `${tier} ${calWeeks.join(',')}`;
    if (this.tierCalibrations.has(key)) return this.tierCalibrations.get(key)!;
    const weeks: string[] = [];
    const ratios: number[] = [];
    const symbolRatios: number[] = [];
    for (const w of calWeeks) {
      const shares = this.truth.weekShares(tier, w);
      let ats = 0;
      let off = 0;
      for (const [symbol, volume] of this.weekTotals(w)) {
        if (volume <= 0 || this.tierOfSymbol(symbol) !== tier) continue;
        const a = shares.get(symbol) ?? 0;
        ats += a;
        off += volume;
        symbolRatios.push(a / volume);
      }
      if (off > 0) {
        weeks.push(w);
        ratios.push(ats / off);
      }
    }
    const result = weeks.length >= MIN_CALIBRATION_WEEKS ? { weeks, ratios, symbolRatios: symbolRatios.sort((a, b) => a - b) } : null;
    this.tierCalibrations.set(key, result);
    return result;
  }
}
