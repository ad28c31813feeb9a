// What an estimate reads: FINRA's published weekly ATS shares (the truth it is calibrated on and scored
// against) and the daily off-exchange volume. Both read the store; for backtests on symbols whose
// whole weeks are not stored, the weekly side can also be FINRA's per-symbol totals from a file.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseFinraRow, SUMMARY_TYPES } from '../finra/schema.js';
import { isTier, type Tier } from '../domain/tiers.js';
import type { Db } from '../store/db.js';

export interface WeeklyTruth {
  /** The tier's published weeks (Mondays), newest first. */
  publishedWeeks(tier: Tier): string[];
  /** ATS shares of every symbol with ATS volume in a published week. */
  weekShares(tier: Tier, weekStart: string): Map<string, number>;
  /** One symbol's ATS shares in published weeks from `fromWeek` on. */
  symbolShares(symbol: string, tier: Tier, fromWeek: string): Map<string, number>;
  /** Every symbol's tier (its newest week's). */
  tiers(): Map<string, Tier>;
}

export interface DailyVolumes {
  /** Trading days with a stored file, per week (Monday). */
  daysLoaded(): Map<string, number>;
  newestTradeDate(): string | null;
  /** Every symbol's off-exchange shares summed over the week's stored days. */
  weekTotals(weekStart: string): Map<string, number>;
  /** One symbol's weekly sums from `fromWeek` on. */
  symbolWeeks(symbol: string, fromWeek: string): Map<string, number>;
}

const toMap = <K extends string>(rows: { k: K; v: number }[]) => new Map(rows.map((r) => [r.k, r.v]));

export class StoreTruth implements WeeklyTruth {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      weeks: db.prepare<[string], string>('SELECT week_start FROM weeks WHERE tier = ? ORDER BY week_start DESC').pluck(),
      weekShares: db.prepare<[string, string], { k: string; v: number }>(
        'SELECT symbol AS k, shares AS v FROM symbol_weeks WHERE week_start = ? AND tier = ? AND shares > 0',
      ),
      symbolShares: db.prepare<[string, string, string], { k: string; v: number }>(
        'SELECT week_start AS k, shares AS v FROM symbol_weeks WHERE symbol = ? AND tier = ? AND week_start >= ?',
      ),
      tiers: db.prepare<[], { k: string; v: Tier }>('SELECT symbol AS k, tier AS v FROM symbols'),
    };
  }

  publishedWeeks(tier: Tier): string[] {
    return this.s.weeks.all(tier);
  }

  weekShares(tier: Tier, weekStart: string): Map<string, number> {
    return toMap(this.s.weekShares.all(weekStart, tier));
  }

  symbolShares(symbol: string, tier: Tier, fromWeek: string): Map<string, number> {
    return toMap(this.s.symbolShares.all(symbol, tier, fromWeek));
  }

  tiers(): Map<string, Tier> {
    return new Map(this.s.tiers.all().map((r) => [r.k, r.v]));
  }
}

export class StoreDailyVolumes implements DailyVolumes {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      // The Monday of a date: julianday's weekday is 0 on Sunday, so step back (weekday + 6) % 7 days.
      daysLoaded: db.prepare<[], { k: string; v: number }>(
        `SELECT date(trade_date, '-' || ((CAST(strftime('%w', trade_date) AS INTEGER) + 6) % 7) || ' days') AS k, count(*) AS v
         FROM daily_files GROUP BY k`,
      ),
      newest: db.prepare<[], string | null>('SELECT max(trade_date) FROM daily_files').pluck(),
      weekTotals: db.prepare<[string], { k: string; v: number }>(
        'SELECT symbol AS k, sum(total_volume) AS v FROM daily_volumes WHERE week_start = ? GROUP BY symbol',
      ),
      symbolWeeks: db.prepare<[string, string], { k: string; v: number }>(
        'SELECT week_start AS k, sum(total_volume) AS v FROM daily_volumes WHERE symbol = ? AND trade_date >= ? GROUP BY week_start',
      ),
    };
  }

  daysLoaded(): Map<string, number> {
    return toMap(this.s.daysLoaded.all());
  }

  newestTradeDate(): string | null {
    return this.s.newest.get() ?? null;
  }

  weekTotals(weekStart: string): Map<string, number> {
    return toMap(this.s.weekTotals.all(weekStart));
  }

  symbolWeeks(symbol: string, fromWeek: string): Map<string, number> {
    return toMap(this.s.symbolWeeks.all(symbol, fromWeek));
  }
}

/**
 * FINRA's per-symbol weekly ATS totals (ATS_W_SMBL rows, as its API returns them) from a JSON file:
 * the weeks it holds count as published, for the symbols it holds.
 */
export class FileTruth implements WeeklyTruth {
  private readonly byWeek = new Map<string, Map<string, number>>(); // `${tier} ${week}` -> symbol -> shares
  private readonly symbolTiers = new Map<string, Tier>(); // the tier of the symbol's newest week
  private readonly newestOf = new Map<string, string>();
  private readonly weeks = new Map<Tier, string[]>();

  static async read(path: string): Promise<FileTruth> {
    const raw = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (!Array.isArray(raw)) throw new Error(`${basename(path)}: expected a JSON array of FINRA rows`);
    const truth = new FileTruth();
    raw.forEach((r, i) => {
      const row = parseFinraRow(r, i + 1);
      if (row.summaryTypeCode !== SUMMARY_TYPES.atsSymbol) return;
      const tier = row.tierIdentifier;
      const week = row.weekStartDate;
      const symbol = row.issueSymbolIdentifier;
      if (!isTier(tier) || !week || !symbol || row.totalWeeklyShareQuantity === null) {
        throw new Error(`${basename(path)}: row ${i + 1} lacks a tier, week, symbol or share count`);
      }
      const key = `${tier} ${week}`;
      const shares = truth.byWeek.get(key) ?? new Map<string, number>();
      if (shares.has(symbol)) throw new Error(`${basename(path)}: ${symbol} twice in ${tier} week ${week}`);
      shares.set(symbol, row.totalWeeklyShareQuantity);
      truth.byWeek.set(key, shares);
      if (week >= (truth.newestOf.get(symbol) ?? '')) {
        truth.symbolTiers.set(symbol, tier);
        truth.newestOf.set(symbol, week);
      }
    });
    for (const key of truth.byWeek.keys()) {
      const [tier, week] = key.split(' ') as [Tier, string];
      truth.weeks.set(tier, [...(truth.weeks.get(tier) ?? []), week]);
    }
    for (const list of truth.weeks.values()) list.sort().reverse();
    return truth;
  }

  publishedWeeks(tier: Tier): string[] {
    return this.weeks.get(tier) ?? [];
  }

  weekShares(tier: Tier, weekStart: string): Map<string, number> {
    return new Map([...(this.byWeek.get(`${tier} ${weekStart}`) ?? [])].filter(([, v]) => v > 0));
  }

  symbolShares(symbol: string, tier: Tier, fromWeek: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const week of this.publishedWeeks(tier)) {
      const v = week >= fromWeek ? this.byWeek.get(`${tier} ${week}`)?.get(symbol) : undefined;
      if (v !== undefined) out.set(week, v);
    }
    return out;
  }

  tiers(): Map<string, Tier> {
    return new Map(this.symbolTiers);
  }
}
