// Read queries, prepared once per connection. Every figure the API serves comes from these.
import { addDays } from '../domain/calendar.js';
import type { Tier } from '../domain/tiers.js';
import type { Trend } from '../domain/trend.js';
import type { Db } from '../store/db.js';
import { resolveSpelling } from './symbols.js';
import type { LoadedWeek } from '../store/status.js';

export interface SymbolRow {
  symbol: string;
  issue_name: string | null;
  tier: Tier;
  newest_week: string;
  sector: string;
  sector_source: string;
}

export interface SymbolWeekRow {
  week_start: string;
  tier: Tier;
  symbol: string;
  issue_name: string | null;
  shares: number;
  trades: number;
  notional: number | null;
  venues: number;
  non_ats_shares: number | null;
  non_ats_trades: number | null;
  prev_shares: number | null;
  change_pct: number | null;
  trend: Trend;
}

export type HistoryRow = Pick<
  SymbolWeekRow,
  'week_start' | 'issue_name' | 'shares' | 'trades' | 'notional' | 'venues' | 'prev_shares' | 'change_pct' | 'trend'
>;

/** A HistoryRow's columns in the statement's order. */
type HistoryColumns = [
  HistoryRow['week_start'],
  HistoryRow['issue_name'],
  HistoryRow['shares'],
  HistoryRow['trades'],
  HistoryRow['notional'],
  HistoryRow['venues'],
  HistoryRow['prev_shares'],
  HistoryRow['change_pct'],
  HistoryRow['trend'],
];

export interface MoverRow extends SymbolWeekRow {
  sector: string;
  sector_source: string;
}

export interface VenueRow {
  mpid: string;
  participant_name: string;
  shares: number | null;
  trades: number | null;
  notional: number | null;
}

/** One non-ATS firm's volume in a symbol-week (FINRA's OTC_W_SMBL_FIRM). */
export interface NonAtsFirmRow {
  firm: string;
  shares: number | null;
  trades: number | null;
}

export interface SharesRow {
  week_start: string;
  symbol: string;
  shares: number;
  non_ats_shares: number | null;
}

export interface SectorTotalRow {
  sector: string;
  shares: number;
  notional: number | null;
  with_notional: number;
  tickers: number;
}

export interface VenueTotalRow {
  mpid: string;
  participant_name: string;
  shares: number;
  trades: number;
  notional: number | null;
  with_notional: number;
  rows: number;
  symbols: number;
  unattributed_shares: number;
  unattributed_trades: number;
}

/** One venue in one (week, tier): the leaderboard's figures without the symbol-less part. */
export type VenueWeekRow = Omit<VenueTotalRow, 'mpid' | 'unattributed_shares' | 'unattributed_trades'> & { week_start: string; tier: Tier };

export interface VenueSymbolRow {
  symbol: string;
  tier: Tier;
  issue_name: string | null;
  shares: number | null;
  trades: number | null;
  notional: number | null;
  symbol_shares: number;
}

export type MoverSort = 'shares' | 'notional' | 'trades' | 'change';

export interface MoverQuery {
  week: string;
  tier: Tier | null;
  sector: string | null;
  sort: MoverSort;
  order: 'desc' | 'asc';
  minPrevShares: number;
  limit: number;
  offset: number;
}

export interface TierFreshness {
  tier: Tier;
  week_start: string;
  loaded_at: string;
  updated_at: string;
}

export class Queries {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      symbolExact: db.prepare<[string], SymbolRow>('SELECT * FROM symbols WHERE symbol = ?'),
      symbolNoCase: db.prepare<[string], SymbolRow>(
        'SELECT * FROM symbols WHERE symbol = ? COLLATE NOCASE ORDER BY newest_week DESC, symbol LIMIT 1',
      ),
      symbolByKey: db.prepare<[string], SymbolRow>('SELECT * FROM symbols WHERE lookup_key = ? ORDER BY newest_week DESC, symbol LIMIT 1'),
      symbolsRecentFirst: db.prepare<[], string>('SELECT symbol FROM symbols ORDER BY newest_week DESC, symbol').pluck(),
      anyWeek: db.prepare<[], { one: number }>('SELECT 1 AS one FROM weeks LIMIT 1'),
      meta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      allWeeks: db.prepare<[], LoadedWeek>('SELECT * FROM weeks ORDER BY tier, week_start DESC'),
      weeksOf: db.prepare<[string], LoadedWeek>('SELECT * FROM weeks WHERE week_start = ? ORDER BY tier'),
      freshness: db.prepare<[], TierFreshness>(
        `SELECT tier, week_start, loaded_at, updated_at FROM weeks w
         WHERE week_start = (SELECT max(week_start) FROM weeks x WHERE x.tier = w.tier AND x.coverage = 'full') ORDER BY tier`,
      ),
      symbolWeek: db.prepare<[string, string, string], SymbolWeekRow>(
        'SELECT * FROM symbol_weeks WHERE week_start = ? AND tier = ? AND symbol = ?',
      ),
      // Only what a history record shows: every column read costs on the hottest path.
      // Rows as arrays: better-sqlite3 builds an object property by property, slower than a literal in JS.
      symbolHistory: db
        .prepare<[string, string, string], HistoryColumns>(
          `SELECT week_start, issue_name, shares, trades, notional, venues, prev_shares, change_pct, trend
           FROM symbol_weeks WHERE symbol = ? AND tier = ? AND week_start >= ? ORDER BY week_start DESC`,
        )
        .raw(),
      venues: db.prepare<[string, string, string], VenueRow>(
        `SELECT mpid, participant_name, shares, trades, notional FROM ats_rows
         WHERE week_start = ? AND tier = ? AND symbol = ? ORDER BY shares DESC, mpid`,
      ),
      nonAtsFirms: db.prepare<[string, string, string], NonAtsFirmRow>(
        `SELECT firm, shares, trades FROM otc_firm_rows WHERE symbol = ? AND tier = ? AND week_start = ?
         ORDER BY shares DESC NULLS LAST, firm`,
      ),
      hasNonAtsFirms: db.prepare<[string, string], number>('SELECT 1 FROM otc_firm_rows WHERE week_start = ? AND tier = ? LIMIT 1').pluck(),
      // One statement for every sort and order: the choice is a bound parameter, never SQL text.
      // Sorting by change only counts symbols whose previous week had at least @minPrevShares.
      // Sorting by change ranks every symbol the week before held: those with ATS volume now (with at
      // least @minPrevShares the week before, or none at all: appeared, change null, listed last), and
      // those whose volume fell to zero (-100%), which have no row this week.
      movers: db.prepare<[MoverQuery & { prevWeek: string }], MoverRow>(
        `WITH cur AS (
           SELECT sw.week_start, sw.tier, sw.symbol, sw.issue_name, sw.shares, sw.trades, sw.notional, sw.venues,
                  sw.non_ats_shares, sw.non_ats_trades, sw.prev_shares, sw.change_pct, sw.trend, s.sector, s.sector_source
           FROM symbol_weeks sw JOIN symbols s ON s.symbol = sw.symbol
           WHERE sw.week_start = @week AND sw.shares > 0
             AND (@tier IS NULL OR sw.tier = @tier) AND (@sector IS NULL OR s.sector = @sector)
             AND (@sort != 'change' OR sw.prev_shares = 0 OR sw.prev_shares >= @minPrevShares)
         ), gone AS (
           SELECT @week, p.tier, p.symbol, p.issue_name, 0, 0, NULL, 0, NULL, NULL, p.shares, -100.0, 'falling', s.sector, s.sector_source
           FROM symbol_weeks p JOIN symbols s ON s.symbol = p.symbol
           WHERE @sort = 'change' AND p.week_start = @prevWeek AND p.shares > 0 AND p.shares >= @minPrevShares
             AND (@tier IS NULL OR p.tier = @tier) AND (@sector IS NULL OR s.sector = @sector)
             AND EXISTS (SELECT 1 FROM weeks w WHERE w.week_start = @week AND w.tier = p.tier AND w.coverage = 'full')
             AND NOT EXISTS (SELECT 1 FROM symbol_weeks c WHERE c.week_start = @week AND c.tier = p.tier AND c.symbol = p.symbol AND c.shares > 0)
         )
         SELECT * FROM (SELECT * FROM cur UNION ALL SELECT * FROM gone) m
         WHERE @sort != 'change' OR m.prev_shares IS NOT NULL
         ORDER BY
           CASE WHEN @order = 'desc' THEN CASE @sort WHEN 'shares' THEN m.shares WHEN 'trades' THEN m.trades
             WHEN 'notional' THEN m.notional ELSE m.change_pct END END DESC NULLS LAST,
           CASE WHEN @order = 'asc' THEN CASE @sort WHEN 'shares' THEN m.shares WHEN 'trades' THEN m.trades
             WHEN 'notional' THEN m.notional ELSE m.change_pct END END ASC NULLS LAST,
           m.shares DESC, m.symbol
         LIMIT @limit OFFSET @offset`,
      ),
      // A symbol is in one tier per week, so summing symbol counts across tiers counts no symbol twice.
      venueTotals: db.prepare<[string, string], VenueTotalRow>(
        `SELECT mpid, max(participant_name) AS participant_name, exact_sum(shares) AS shares, sum(trades) AS trades,
                sum(notional) AS notional, sum(with_notional) AS with_notional, sum(rows) AS rows, sum(symbols) AS symbols,
                exact_sum(unattributed_shares) AS unattributed_shares, sum(unattributed_trades) AS unattributed_trades
         FROM venue_weeks WHERE week_start = ? AND tier IN (SELECT value FROM json_each(?))
         GROUP BY mpid`,
      ),
      venueKnown: db.prepare<[string], { mpid: string }>('SELECT mpid FROM venue_weeks WHERE mpid = ? COLLATE NOCASE LIMIT 1'),
      venueWeeks: db.prepare<[string], VenueWeekRow>(
        `SELECT week_start, tier, participant_name, shares, trades, notional, with_notional, rows, symbols
         FROM venue_weeks WHERE mpid = ? ORDER BY week_start DESC, tier`,
      ),
      tierTotals: db.prepare<[string], { tier: Tier; shares: number }>(
        'SELECT tier, exact_sum(shares) AS shares FROM venue_weeks WHERE week_start = ? GROUP BY tier',
      ),
      // What a venue traded in a week, with each symbol's ATS total (to give the venue's part of it).
      venueSymbols: db.prepare<[string, string], VenueSymbolRow>(
        `SELECT a.symbol, a.tier, a.shares, a.trades, a.notional, sw.shares AS symbol_shares, sw.issue_name
         FROM ats_rows a JOIN symbol_weeks sw ON sw.week_start = a.week_start AND sw.tier = a.tier AND sw.symbol = a.symbol
         WHERE a.week_start = ? AND a.mpid = ? AND a.symbol <> ''
         ORDER BY a.shares DESC NULLS LAST, a.symbol`,
      ),
      // A whole tier-week, symbol by symbol, in the movers' row shape (the week file streams it).
      weekRecords: db.prepare<[string, string], MoverRow>(
        `SELECT sw.week_start, sw.tier, sw.symbol, sw.issue_name, sw.shares, sw.trades, sw.notional, sw.venues,
                sw.non_ats_shares, sw.non_ats_trades, sw.prev_shares, sw.change_pct, sw.trend, s.sector, s.sector_source
         FROM symbol_weeks sw JOIN symbols s ON s.symbol = sw.symbol
         WHERE sw.week_start = ? AND sw.tier IN (SELECT value FROM json_each(?))
         ORDER BY CASE sw.tier WHEN 'T1' THEN 1 WHEN 'T2' THEN 2 ELSE 3 END, sw.symbol`,
      ),
      tierShares: db.prepare<[string, string], SharesRow>(
        `SELECT week_start, symbol, shares, non_ats_shares FROM symbol_weeks
         WHERE tier = ? AND week_start IN (SELECT value FROM json_each(?))`,
      ),
      // Tiers arrive as a JSON array so that the statement stays fixed (no SQL built from input).
      sectorTotals: db.prepare<[string, string], SectorTotalRow>(
        `SELECT s.sector AS sector, exact_sum(sw.shares) AS shares, sum(sw.notional) AS notional,
                count(sw.notional) AS with_notional, count(*) AS tickers
         FROM symbol_weeks sw JOIN symbols s ON s.symbol = sw.symbol
         WHERE sw.week_start = ? AND sw.tier IN (SELECT value FROM json_each(?)) AND sw.shares > 0
         GROUP BY s.sector`,
      ),
    };
  }

  /** Every symbol, those with the newest weeks first. */
  symbolsRecentFirst(): string[] {
    return this.s.symbolsRecentFirst.all();
  }

  /** A ticker in any spelling (see read/symbols.ts). */
  resolveSymbol(ticker: string): SymbolRow | undefined {
    return resolveSpelling(ticker, {
      exact: (t) => this.s.symbolExact.get(t),
      noCase: (t) => this.s.symbolNoCase.get(t),
      byKey: (k) => this.s.symbolByKey.get(k),
    });
  }

  /** Moves whenever served data changes (any process's publish); 0 before the first. */
  datasetRevision(): { revision: number; updatedAt: string | null } {
    return {
      revision: Number(this.s.meta.get('dataset_revision')?.value ?? 0),
      updatedAt: this.s.meta.get('dataset_updated_at')?.value ?? null,
    };
  }

  hasData(): boolean {
    return this.s.anyWeek.get() !== undefined;
  }

  /** Every loaded week, newest first within each tier. */
  allWeeks(): LoadedWeek[] {
    return this.s.allWeeks.all();
  }

  weeksStarting(weekStart: string): LoadedWeek[] {
    return this.s.weeksOf.all(weekStart);
  }

  /** The newest loaded week of each tier, and when it was loaded. */
  freshness(): TierFreshness[] {
    return this.s.freshness.all();
  }

  symbolWeek(weekStart: string, tier: Tier, symbol: string): SymbolWeekRow | undefined {
    return this.s.symbolWeek.get(weekStart, tier, symbol);
  }

  symbolHistory(symbol: string, tier: Tier, fromWeek: string): HistoryRow[] {
    return this.s.symbolHistory
      .all(symbol, tier, fromWeek)
      .map(([week_start, issue_name, shares, trades, notional, venues, prev_shares, change_pct, trend]) => ({
        week_start,
        issue_name,
        shares,
        trades,
        notional,
        venues,
        prev_shares,
        change_pct,
        trend,
      }));
  }

  venues(weekStart: string, tier: Tier, symbol: string): VenueRow[] {
    return this.s.venues.all(weekStart, tier, symbol);
  }

  nonAtsFirms(weekStart: string, tier: Tier, symbol: string): NonAtsFirmRow[] {
    return this.s.nonAtsFirms.all(symbol, tier, weekStart);
  }

  /** Whether FINRA's per-firm non-ATS rows are loaded for the week (whole weeks from the API have them). */
  hasNonAtsFirms(weekStart: string, tier: Tier): boolean {
    return this.s.hasNonAtsFirms.get(weekStart, tier) !== undefined;
  }

  movers(query: MoverQuery): MoverRow[] {
    return this.s.movers.all({ ...query, prevWeek: addDays(query.week, -7) });
  }

  /** FINRA's spelling of an MPID that appears in some loaded week, whatever case it was asked in. */
  knownVenue(mpid: string): string | undefined {
    return this.s.venueKnown.get(mpid)?.mpid;
  }

  /** A venue's rows per (week, tier), newest first. */
  venueWeeks(mpid: string): VenueWeekRow[] {
    return this.s.venueWeeks.all(mpid);
  }

  /** All ATS shares of a week, per tier (the denominator of a venue's market share). */
  tierTotals(weekStart: string): Map<Tier, number> {
    return new Map(this.s.tierTotals.all(weekStart).map((r) => [r.tier, r.shares]));
  }

  venueSymbols(weekStart: string, mpid: string): VenueSymbolRow[] {
    return this.s.venueSymbols.all(weekStart, mpid);
  }

  venueTotals(weekStart: string, tiers: readonly Tier[]): VenueTotalRow[] {
    return this.s.venueTotals.all(weekStart, JSON.stringify(tiers));
  }

  /**
   * Every symbol of a week's tiers, one row at a time: the connection is busy until the iteration
   * ends, so only a connection of its own may stream it (read/week-file.ts).
   */
  weekRecords(weekStart: string, tiers: readonly Tier[]): IterableIterator<MoverRow> {
    return this.s.weekRecords.iterate(weekStart, JSON.stringify(tiers));
  }

  /** Every symbol of a week's tiers at once (the week file streams the same rows). */
  weekRecordsAll(weekStart: string, tiers: readonly Tier[]): MoverRow[] {
    return this.s.weekRecords.all(weekStart, JSON.stringify(tiers));
  }

  /** ATS and non-ATS shares of every symbol in these weeks of a tier (a trailing window). */
  tierShares(tier: Tier, weeks: readonly string[]): SharesRow[] {
    return this.s.tierShares.all(tier, JSON.stringify(weeks));
  }

  sectorTotals(weekStart: string, tiers: readonly Tier[]): SectorTotalRow[] {
    return this.s.sectorTotals.all(weekStart, JSON.stringify(tiers));
  }
}
