// What the endpoints answer, assembled from the store as plain objects. Knows nothing of HTTP: the
// routes validate input, call these, and map the two domain errors to problem responses.
import {
  addDays,
  expectedPublicationDate,
  newestPublishedWeek,
  todayUtc,
  tradingDaysInWeek,
  weekEndingOf,
  weekStartOf,
} from '../domain/calendar.js';
import { exactSum } from '../domain/exact-sum.js';
import { TIERS, type Tier } from '../domain/tiers.js';
import type { Coverage } from '../domain/week.js';
import { perTradingDay, roundPct, weekOverWeek, type Trend, type TrendBasis } from '../domain/trend.js';
import { LoadedWeeks } from './loaded-weeks.js';
import type { HistoryRow, MoverRow, MoverSort, Queries, SymbolRow, VenueWeekRow } from './queries.js';
import type { Snapshot } from './snapshot.js';
import type { LoadedWeek } from '../store/status.js';

export class NoDataError extends Error {
  override name = 'NoDataError';
}

export class TickerNotFoundError extends Error {
  override name = 'TickerNotFoundError';
}

export class WeekNotFoundError extends Error {
  override name = 'WeekNotFoundError';
}

export class VenueNotFoundError extends Error {
  override name = 'VenueNotFoundError';
}

/** Sorting movers by change ignores symbols whose previous week had fewer ATS shares than this. */
export const MIN_PREV_SHARES_FOR_CHANGE = 100_000;

export interface MoversOptions {
  week?: string;
  tier?: Tier;
  sector?: string;
  sort?: MoverSort;
  order?: 'desc' | 'asc';
  minPrevShares?: number;
  limit?: number;
  offset?: number;
}

/** How many weeks a history answers when neither `weeks` nor a range is asked for. */
export const DEFAULT_HISTORY_WEEKS = 4;

export const FINRA_CREDIT = {
  provider: 'FINRA',
  name: 'FINRA OTC Transparency data: weekly ATS (alternative trading system) volume',
  url: 'https://otctransparency.finra.org/',
  terms:
    'FINRA is the owner and the source of this data. It is redistributed free of charge, for non-commercial use, ' +
    "under FINRA's terms of use for its equity data (https://www.finra.org/finra-data).",
} as const;

export interface SymbolWeek {
  ticker: string;
  issue_name: string | null;
  tier: Tier;
  week_start: string;
  week_ending: string;
  sector: string;
  sector_source: string;
  dark_pool_shares: number;
  dark_pool_volume_usd: number | null;
  dark_pool_trades: number;
  avg_trade_size: number | null;
  ats_venues: number | null;
  coverage: Coverage;
  trend: Trend | null;
  change_pct: number | null;
  trend_basis: TrendBasis;
  trading_days: number;
  trend_per_day: Trend | null;
  change_pct_per_day: number | null;
}

export interface SourceWeek {
  tier: Tier;
  week_start: string;
  week_ending: string;
  coverage: Coverage;
  finra_published: string | null;
  finra_last_update: string | null;
  loaded_at: string;
  updated_at: string;
}

export interface Freshness {
  tier: Tier;
  newest_week_start: string;
  newest_week_ending: string;
  loaded_at: string;
  updated_at: string;
}

export interface Source {
  provider: 'FINRA';
  name: string;
  url: string;
  terms: string;
  /** The figures are as FINRA had published them on this date. */
  as_of?: string;
  weeks: SourceWeek[];
  freshness: Freshness[];
}

/** Dollars to the cent. */
export const usd = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);

export class Reports {
  private loadedWeeks: LoadedWeeks | null = null;

  constructor(
    readonly q: Queries,
    /** Every answer's reads in one transaction: one snapshot, even while an ingest commits. */
    private readonly snapshot: Snapshot,
    /** Set when these read models see the data as published on a date (read/point-in-time.ts). */
    private readonly options: { asOf?: string } = {},
  ) {
    snapshot.onChange(() => (this.loadedWeeks = null));
  }

  private get weeks(): LoadedWeeks {
    return (this.loadedWeeks ??= new LoadedWeeks(this.q.allWeeks()));
  }

  /** The symbol's latest week, or the loaded week containing `week`. */
  weekly(ticker: string, week?: string) {
    return this.snapshot.read(() => this.#weeklyNow(ticker, week));
  }

  #weeklyNow(ticker: string, week?: string) {
    const item = this.weeklyItem(ticker, week);
    return { ...item, source: this.source(this.loaded([[item.week_start, item.tier]])) };
  }

  private weeklyItem(ticker: string, week?: string) {
    const { symbol, weekStart } = this.weekOf(ticker, week);
    const row = this.q.symbolWeek(weekStart, symbol.tier, symbol.symbol);
    const record = this.record(symbol, weekStart, row);
    const venueRows = row ? this.q.venues(weekStart, symbol.tier, symbol.symbol) : [];
    const prevWeek = addDays(weekStart, -7);
    const prevLoaded = this.covers(prevWeek, symbol);
    return {
      ...record,
      venues: venueRows.map((v) => ({
        mpid: v.mpid,
        name: venueName(v.mpid, v.participant_name),
        shares: v.shares,
        trades: v.trades,
        volume_usd: usd(v.notional),
        share_pct: v.shares === null || record.dark_pool_shares === 0 ? null : roundPct((v.shares / record.dark_pool_shares) * 100),
      })),
      previous_week: prevLoaded
        ? { week_ending: weekEndingOf(prevWeek), dark_pool_shares: this.q.symbolWeek(prevWeek, symbol.tier, symbol.symbol)?.shares ?? 0 }
        : null,
    };
  }

  ratio(ticker: string, week?: string) {
    return this.snapshot.read(() => this.#ratioNow(ticker, week));
  }

  #ratioNow(ticker: string, week?: string) {
    const { symbol, weekStart } = this.weekOf(ticker, week);
    const row = this.q.symbolWeek(weekStart, symbol.tier, symbol.symbol);
    const record = this.record(symbol, weekStart, row);
    // Without a row the symbol had no ATS and no non-ATS volume that week; its non-ATS figure is 0
    // only when FINRA's non-ATS totals for the week are loaded at all.
    const nonAtsLoaded = this.weeks.week(weekStart, symbol.tier)?.has_non_ats === 1;
    const nonAts = row ? row.non_ats_shares : nonAtsLoaded ? 0 : null;
    const offExchange = nonAts === null ? null : record.dark_pool_shares + nonAts;
    return {
      ...record,
      otc_non_ats_shares: nonAts,
      otc_non_ats_trades: row ? row.non_ats_trades : nonAtsLoaded ? 0 : null,
      ats_share_of_off_exchange: offExchange ? Math.round((record.dark_pool_shares / offExchange) * 10_000) / 10_000 : null,
      source: this.source(this.loaded([[weekStart, symbol.tier]])),
    };
  }

  /**
   * A symbol's whole off-exchange volume in a week, side by side: the ATS venues (dark pools) and the
   * non-ATS firms (wholesalers, internalizers, FINRA's "De Minimis Firms"), each with its share of the
   * off-exchange total. The non-ATS firms come from FINRA's per-firm rows, checked at ingest against
   * FINRA's non-ATS total; a week loaded without them lists the ATS side and says so.
   */
  offExchange(ticker: string, week?: string) {
    return this.snapshot.read(() => this.#offExchangeNow(ticker, week));
  }

  #offExchangeNow(ticker: string, week?: string) {
    const item = this.weeklyItem(ticker, week);
    const ratio = this.#ratioNow(ticker, item.week_start);
    const nonAts = ratio.otc_non_ats_shares;
    const total = nonAts === null ? null : exactSum([item.dark_pool_shares, nonAts]);
    const pctOf = (shares: number | null) => (shares === null || !total ? null : roundPct((shares / total) * 100));
    const firmsLoaded = this.q.hasNonAtsFirms(item.week_start, item.tier);
    const firms = firmsLoaded ? this.q.nonAtsFirms(item.week_start, item.tier, item.ticker) : [];
    const data = [
      ...item.venues.map((v) => ({
        kind: 'ats' as const,
        mpid: v.mpid,
        name: v.name,
        de_minimis: false,
        shares: v.shares,
        trades: v.trades,
        off_exchange_share_pct: pctOf(v.shares),
      })),
      ...firms.map((f) => ({
        kind: 'non_ats' as const,
        mpid: null,
        name: f.firm,
        de_minimis: f.firm === DE_MINIMIS_FIRMS,
        shares: f.shares,
        trades: f.trades,
        off_exchange_share_pct: pctOf(f.shares),
      })),
    ].sort((a, b) => (b.shares ?? -1) - (a.shares ?? -1) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
    return {
      ticker: item.ticker,
      issue_name: item.issue_name,
      tier: item.tier,
      week_start: item.week_start,
      week_ending: item.week_ending,
      coverage: item.coverage,
      ats_shares: item.dark_pool_shares,
      ats_trades: item.dark_pool_trades,
      non_ats_shares: nonAts,
      non_ats_trades: ratio.otc_non_ats_trades,
      off_exchange_shares: total,
      ats_share_pct: pctOf(item.dark_pool_shares),
      non_ats_share_pct: pctOf(nonAts),
      non_ats_firms_loaded: firmsLoaded,
      data,
      source: ratio.source,
    };
  }

  /**
   * The symbol's loaded weeks, newest first: at most `weeks` of them (default 4, or every one in the
   * range when `from` or `to` is given), between the weeks containing `from` and `to`.
   */
  history(ticker: string, weeks?: number, range: { from?: string; to?: string } = {}) {
    return this.snapshot.read(() => this.#historyNow(ticker, weeks, range));
  }

  #historyNow(ticker: string, weeks: number | undefined, range: { from?: string; to?: string }) {
    const symbol = this.resolve(ticker);
    const from = range.from ? weekStartOf(range.from) : null;
    const to = range.to ? weekStartOf(range.to) : null;
    const limit = weeks ?? (from || to ? Infinity : DEFAULT_HISTORY_WEEKS);
    // One more week than shown, so that the oldest record can compare with its previous week.
    const loaded: LoadedWeek[] = [];
    for (const w of this.weeks.ofTier(symbol.tier)) {
      if (to && w.week_start > to) continue;
      if (!this.covers(w.week_start, symbol)) continue;
      loaded.push(w);
      if (loaded.length > limit || (from && w.week_start < from)) break;
    }
    const shown = loaded.filter((w) => !from || w.week_start >= from).slice(0, limit);
    const oldest = loaded[loaded.length - 1]?.week_start ?? '';
    const rows = new Map(this.q.symbolHistory(symbol.symbol, symbol.tier, oldest).map((r) => [r.week_start, r]));
    const loadedSet = new Set(loaded.map((w) => w.week_start));
    const data = shown.map(({ week_start: w }) => {
      const prev = addDays(w, -7);
      const prevShares = loadedSet.has(prev) ? (rows.get(prev)?.shares ?? 0) : this.loadedShares(prev, symbol);
      return this.record(symbol, w, rows.get(w), prevShares);
    });
    return { ticker: symbol.symbol, weeks: limit === Infinity ? shown.length : limit, data, source: this.source(shown) };
  }

  movers(options: MoversOptions = {}) {
    return this.snapshot.read(() => this.#moversNow(options));
  }

  #moversNow(options: MoversOptions) {
    const { weekStart, weeks } = this.pickWeek(options.week, options.tier);
    const sort = options.sort ?? 'shares';
    const rows = this.q.movers({
      week: weekStart,
      tier: options.tier ?? null,
      sector: options.sector ?? null,
      sort,
      order: options.order ?? 'desc',
      minPrevShares: options.minPrevShares ?? MIN_PREV_SHARES_FOR_CHANGE,
      limit: options.limit ?? 20,
      offset: options.offset ?? 0,
    });
    return {
      week_ending: weekEndingOf(weekStart),
      tiers: weeks.map((w) => w.tier),
      data: rows.map((r) => this.record(r, weekStart, r)),
      source: this.source(weeks),
    };
  }

  sectors(options: { week?: string } = {}) {
    return this.snapshot.read(() => this.#sectorsNow(options));
  }

  #sectorsNow(options: { week?: string }) {
    const { weekStart, weeks } = this.pickWeek(options.week);
    const tiers = weeks.map((w) => w.tier);
    const data = this.againstPreviousWeek(
      weekStart,
      tiers,
      (w, t) => this.q.sectorTotals(w, t),
      (r) => r.sector,
    )
      .map(({ row: r, change, sharePct }) => ({
        sector: r.sector,
        dark_pool_shares: r.shares,
        // A partial sum would understate the sector: notional only when every symbol has one.
        dark_pool_volume_usd: r.with_notional === r.tickers ? usd(r.notional) : null,
        ticker_count: r.tickers,
        share_pct: sharePct,
        trend: change.trend,
        change_pct: change.changePct,
        trend_basis: change.basis,
      }))
      .sort((a, b) => b.dark_pool_shares - a.dark_pool_shares || a.sector.localeCompare(b.sector));
    return { week_ending: weekEndingOf(weekStart), tiers, data, source: this.source(weeks) };
  }

  /** The ATS leaderboard of a week: each venue (by MPID) summed over the symbols it traded. */
  venues(options: { week?: string; tier?: Tier } = {}) {
    return this.snapshot.read(() => this.#venuesNow(options));
  }

  #venuesNow(options: { week?: string; tier?: Tier }) {
    const { weekStart, weeks } = this.pickWeek(options.week, options.tier);
    const tiers = weeks.map((w) => w.tier);
    const data = this.againstPreviousWeek(
      weekStart,
      tiers,
      (w, t) => this.q.venueTotals(w, t),
      (r) => r.mpid,
    )
      .map(({ row: r, change, sharePct }) => ({
        mpid: r.mpid,
        name: venueName(r.mpid, r.participant_name),
        dark_pool_shares: r.shares,
        dark_pool_volume_usd: r.with_notional === r.rows ? usd(r.notional) : null,
        dark_pool_trades: r.trades,
        symbols_traded: r.symbols,
        unattributed_shares: r.unattributed_shares,
        unattributed_trades: r.unattributed_trades,
        market_share_pct: sharePct,
        avg_trade_size: r.trades > 0 ? Math.round((r.shares / r.trades) * 100) / 100 : null,
        trend: change.trend,
        change_pct: change.changePct,
        trend_basis: change.basis,
      }))
      .sort((a, b) => b.dark_pool_shares - a.dark_pool_shares || a.mpid.localeCompare(b.mpid));
    const unattributed = weeks.map((w) => ({
      tier: w.tier,
      unattributed_shares: w.unattributed_shares,
      unattributed_trades: w.unattributed_trades,
    }));
    return { week_ending: weekEndingOf(weekStart), tiers, unattributed, data, source: this.source(weeks) };
  }

  /**
   * One ATS's weekly series, newest first: per loaded week (its whole tiers, or `tier`), the venue's
   * shares, trades, notional, symbols traded, average trade size and its share of all ATS shares.
   */
  venue(mpid: string, weeks = 4, tier?: Tier) {
    return this.snapshot.read(() => this.#venueNow(mpid, weeks, tier));
  }

  #venueNow(asked: string, weeks: number, tier?: Tier) {
    const mpid = this.knownVenue(asked);
    const rows = this.q.venueWeeks(mpid).filter((r) => !tier || r.tier === tier);
    const byWeek = new Map<string, VenueWeekRow[]>();
    for (const r of rows) {
      const ofWeek = byWeek.get(r.week_start);
      if (ofWeek) ofWeek.push(r);
      else byWeek.set(r.week_start, [r]);
    }
    const shown = [...byWeek.keys()].slice(0, weeks);
    const data = shown.map((weekStart) => {
      const ofWeek = byWeek.get(weekStart)!;
      const totals = this.q.tierTotals(weekStart);
      const shares = exactSum(ofWeek.map((r) => r.shares));
      const all = exactSum(ofWeek.map((r) => totals.get(r.tier) ?? 0));
      const trades = ofWeek.reduce((n, r) => n + r.trades, 0);
      const withNotional = ofWeek.every((r) => r.with_notional === r.rows);
      return {
        week_start: weekStart,
        week_ending: weekEndingOf(weekStart),
        tiers: ofWeek.map((r) => r.tier),
        dark_pool_shares: shares,
        dark_pool_volume_usd: withNotional ? usd(ofWeek.reduce((n, r) => n + (r.notional ?? 0), 0)) : null,
        dark_pool_trades: trades,
        symbols_traded: ofWeek.reduce((n, r) => n + r.symbols, 0),
        market_share_pct: all ? roundPct((shares / all) * 100) : 0,
        avg_trade_size: trades > 0 ? Math.round((shares / trades) * 100) / 100 : null,
      };
    });
    const name = venueName(mpid, rows[0]?.participant_name ?? mpid);
    return {
      mpid,
      name,
      weeks,
      data,
      source: this.source(this.loaded(rows.filter((r) => shown.includes(r.week_start)).map((r) => [r.week_start, r.tier]))),
    };
  }

  /** What an ATS traded in a week (the newest whole week it traded in, or `week`), largest first. */
  venueSymbols(mpid: string, week?: string, tier?: Tier) {
    return this.snapshot.read(() => this.#venueSymbolsNow(mpid, week, tier));
  }

  #venueSymbolsNow(asked: string, week?: string, tier?: Tier) {
    const mpid = this.knownVenue(asked);
    const traded = this.q.venueWeeks(mpid).filter((r) => !tier || r.tier === tier);
    const weekStart = week ? weekStartOf(week) : traded[0]?.week_start;
    if (!weekStart || !this.weeks.starting(weekStart).some((w) => !tier || w.tier === tier)) {
      throw new WeekNotFoundError(
        `week ${weekStart ?? week} is not loaded${tier ? ` for tier ${tier}` : ''}; /darkpool/weeks lists the loaded weeks`,
      );
    }
    const rows = this.q.venueSymbols(weekStart, mpid).filter((r) => !tier || r.tier === tier);
    const total = exactSum(rows.map((r) => r.shares ?? 0));
    const data = rows.map((r) => ({
      ticker: r.symbol,
      issue_name: r.issue_name,
      tier: r.tier,
      shares: r.shares,
      trades: r.trades,
      volume_usd: usd(r.notional),
      venue_share_pct: r.shares === null || !total ? null : roundPct((r.shares / total) * 100),
      symbol_share_pct: r.shares === null || !r.symbol_shares ? null : roundPct((r.shares / r.symbol_shares) * 100),
    }));
    const weeks = traded.filter((r) => r.week_start === weekStart);
    return {
      mpid,
      name: venueName(mpid, weeks[0]?.participant_name ?? mpid),
      week_ending: weekEndingOf(weekStart),
      data,
      source: this.source(this.weeks.starting(weekStart).filter((w) => !tier || w.tier === tier)),
    };
  }

  private knownVenue(mpid: string): string {
    const known = this.q.knownVenue(mpid.trim());
    if (known) return known;
    if (this.weeks.empty) throw new NoDataError('no weeks are loaded yet');
    throw new VenueNotFoundError(`no ATS with MPID "${mpid}" in any loaded week; /darkpool/venues lists them`);
  }

  /** Every loaded week per tier with FINRA's dates and our revision counts, and the next one due. */
  weeksOverview(now: Date) {
    return this.snapshot.read(() => this.#weeksOverviewNow(now));
  }

  #weeksOverviewNow(now: Date) {
    if (this.weeks.empty) throw new NoDataError('no weeks are loaded yet');
    const all = this.weeks.all;
    const today = todayUtc(now);
    return {
      tiers: TIERS.map((tier) => {
        const weeks = all.filter((w) => w.tier === tier);
        const next = weeks[0] ? addDays(weeks[0].week_start, 7) : newestPublishedWeek(tier, today);
        return {
          tier,
          next_week_start: next,
          next_expected_publication: expectedPublicationDate(next, tier),
          weeks: weeks.map((w) => ({
            ...sourceWeek(w),
            revisions: w.revisions,
            ats_rows: w.firm_rows,
            symbols: w.symbols,
            unattributed_shares: w.unattributed_shares,
            unattributed_trades: w.unattributed_trades,
            reconciled: w.reconciled === 1,
            source: w.source.startsWith('file:') ? ('file' as const) : ('api' as const),
          })),
        };
      }),
      source: this.source([]),
    };
  }

  /** Several tickers in one call: each as /weekly answers it; unknown ones listed, not fatal. */
  weeklyMany(tickers: string[]) {
    return this.snapshot.read(() => this.#weeklyManyNow(tickers));
  }

  #weeklyManyNow(tickers: string[]) {
    if (this.weeks.empty) throw new NoDataError('no weeks are loaded yet');
    const data: ReturnType<Reports['weeklyItem']>[] = [];
    const notFound: string[] = [];
    const weeks = new Map<string, [string, Tier]>();
    for (const ticker of tickers) {
      try {
        const item = this.weeklyItem(ticker);
        if (!data.some((d) => d.ticker === item.ticker)) data.push(item);
        weeks.set(`${item.week_start} ${item.tier}`, [item.week_start, item.tier]);
      } catch (err) {
        if (!(err instanceof TickerNotFoundError)) throw err;
        notFound.push(ticker);
      }
    }
    return { data, not_found: notFound, source: this.source(this.loaded([...weeks.values()])) };
  }

  /**
   * A week's whole tiers (all of them, or `tier`) for the week file: which, how many symbols, the
   * source; WeekNotFoundError when none is loaded whole. Reads what record() needs, so that the
   * records can then be made while the connection streams them.
   */
  wholeWeek(week?: string, tier?: Tier) {
    return this.snapshot.read(() => {
      const { weekStart, weeks } = this.pickWeek(week, tier);
      return {
        week_start: weekStart,
        week_ending: weekEndingOf(weekStart),
        tiers: weeks.map((w) => w.tier).sort((a, b) => TIERS.indexOf(a) - TIERS.indexOf(b)),
        symbols: weeks.reduce((n, w) => n + w.symbols, 0),
        source: this.source(weeks),
      };
    });
  }

  /** The `count` whole weeks of a tier before `weekStart`, newest first (a trailing window). */
  wholeWeeksBefore(tier: Tier, weekStart: string, count: number): string[] {
    return this.snapshot.read(() =>
      this.weeks
        .wholeOfTier(tier)
        .filter((w) => w.week_start < weekStart)
        .slice(0, count)
        .map((w) => w.week_start),
    );
  }

  /** A symbol's record in a loaded week of `tier`, its zeros when it has no row there. */
  recordIn(symbol: string, tier: Tier, weekStart: string): SymbolWeek {
    return this.snapshot.read(() => {
      const s = this.resolve(symbol);
      return this.record({ ...s, tier }, weekStart, this.q.symbolWeek(weekStart, tier, s.symbol));
    });
  }

  /** One row of a whole week (Queries.weekRecords) as /darkpool/weekly answers it. */
  weekRecord(row: MoverRow): SymbolWeek {
    return this.record(row, row.week_start, row);
  }

  /** A ticker in any spelling, as the weekly data knows it (for answers built elsewhere). */
  symbol(ticker: string): SymbolRow {
    return this.snapshot.read(() => this.resolve(ticker));
  }

  /** The FINRA credit and freshness for answers built from these weeks elsewhere (estimates). */
  sourceFor(pairs: [string, Tier][]): Source {
    return this.snapshot.read(() => this.source(this.loaded(pairs)));
  }

  // ---------------------------------------------------------------------------------------------

  private resolve(ticker: string): SymbolRow {
    const symbol = this.q.resolveSymbol(ticker);
    if (symbol) return symbol;
    if (this.weeks.empty) throw new NoDataError('no weeks are loaded yet');
    throw new TickerNotFoundError(`no FINRA ATS or non-ATS data for "${ticker}" in any loaded week`);
  }

  /**
   * The symbol's latest week: the newest whole week of its tier, with or without volume in it, unless
   * a newer week holds FINRA's totals for the symbol.
   */
  private latestOf(ticker: string): { symbol: SymbolRow; weekStart: string } {
    const symbol = this.resolve(ticker);
    const whole = this.weeks.newestOfTier(symbol.tier);
    return { symbol, weekStart: whole && whole > symbol.newest_week ? whole : symbol.newest_week };
  }

  /** The week an answer about one symbol covers: the one containing `week` (loaded for the symbol's tier), else its latest. */
  private weekOf(ticker: string, week?: string): { symbol: SymbolRow; weekStart: string } {
    if (!week) return this.latestOf(ticker);
    const symbol = this.resolve(ticker);
    const weekStart = weekStartOf(week);
    if (!this.covers(weekStart, symbol)) {
      throw new WeekNotFoundError(
        `week ${weekStart} to ${weekEndingOf(weekStart)} is not loaded for ${symbol.symbol} (tier ${symbol.tier}); /darkpool/history/${symbol.symbol} lists its weeks`,
      );
    }
    return { symbol, weekStart };
  }

  /** A whole week covers every symbol of its tier; a totals-only week only the symbols it lists. */
  private covers(weekStart: string, symbol: Pick<SymbolRow, 'symbol' | 'tier'>): boolean {
    const week = this.weeks.week(weekStart, symbol.tier);
    if (!week) return false;
    return week.coverage === 'full' || this.q.symbolWeek(weekStart, symbol.tier, symbol.symbol) !== undefined;
  }

  /**
   * The week an aggregate answer covers: the one containing `week` (any day of it, its Monday or its
   * Sunday), else the newest loaded one; with `tier`, that tier's. Its loaded tiers come along.
   */
  private pickWeek(week?: string, tier?: Tier): { weekStart: string; weeks: LoadedWeek[] } {
    if (this.weeks.empty) throw new NoDataError('no weeks are loaded yet');
    const weekStart = week ? weekStartOf(week) : tier ? this.weeks.newestOfTier(tier) : this.weeks.newest;
    const weeks = weekStart ? this.weeks.starting(weekStart).filter((w) => !tier || w.tier === tier) : [];
    if (!weekStart || weeks.length === 0) {
      const totalsOnly = weekStart !== null && TIERS.some((t) => (!tier || t === tier) && this.weeks.week(weekStart, t));
      const what = !weekStart
        ? `no week${tier ? ` of tier ${tier}` : ''} is loaded whole, only FINRA's per-symbol totals of some symbols`
        : totalsOnly
          ? `week ${weekStart} to ${weekEndingOf(weekStart)}${tier ? ` (tier ${tier})` : ''} holds FINRA's per-symbol totals of some symbols only, not the whole week`
          : `week ${weekStart} to ${weekEndingOf(weekStart)}${tier ? ` (tier ${tier})` : ''} is not loaded`;
      throw new WeekNotFoundError(`${what}; /darkpool/weeks lists the loaded weeks`);
    }
    return { weekStart, weeks };
  }

  /**
   * A week's totals per group (sector, venue), each with its change from the week before (only when that
   * week holds the same tiers) and its share of the week's total.
   */
  private againstPreviousWeek<R extends { shares: number }>(
    weekStart: string,
    tiers: readonly Tier[],
    totals: (weekStart: string, tiers: readonly Tier[]) => R[],
    key: (row: R) => string,
  ) {
    const current = totals(weekStart, tiers);
    const prevWeek = addDays(weekStart, -7);
    const comparable = this.comparable(prevWeek, tiers);
    const basis: TrendBasis = comparable
      ? 'compared'
      : tiers.some((t) => this.weeks.week(prevWeek, t)?.coverage === 'full')
        ? 'tiers_differ'
        : 'previous_week_not_loaded';
    const previous = new Map(comparable ? totals(prevWeek, tiers).map((r) => [key(r), r.shares]) : []);
    const total = exactSum(current.map((r) => r.shares));
    return current.map((row) => {
      const change = weekOverWeek(row.shares, previous.get(key(row)) ?? 0);
      return {
        row,
        change: comparable ? { trend: change.trend, changePct: change.changePct, basis } : { trend: null, changePct: null, basis },
        sharePct: total ? roundPct((row.shares / total) * 100) : 0,
      };
    });
  }

  /** The week before can be compared only when it holds the same tiers whole: otherwise the sums differ in scope. */
  private comparable(weekStart: string, tiers: readonly Tier[]): boolean {
    return tiers.every((t) => this.weeks.week(weekStart, t)?.coverage === 'full');
  }

  /** Shares in a week for the trend rule: 0 when the week is loaded whole without the symbol, null when not known. */
  private loadedShares(weekStart: string, symbol: Pick<SymbolRow, 'symbol' | 'tier'>): number | null {
    const week = this.weeks.week(weekStart, symbol.tier);
    if (!week) return null;
    return this.q.symbolWeek(weekStart, symbol.tier, symbol.symbol)?.shares ?? (week.coverage === 'full' ? 0 : null);
  }

  /**
   * One symbol-week in the API's shape. Without a row the symbol had no ATS volume that week: zeros,
   * and a trend against the week before.
   */
  private record(
    symbol: Pick<SymbolRow, 'symbol' | 'issue_name' | 'tier' | 'sector' | 'sector_source'>,
    weekStart: string,
    row: HistoryRow | undefined,
    prevShares?: number | null,
  ): SymbolWeek {
    const shares = row?.shares ?? 0;
    const trades = row?.trades ?? 0;
    const prev = row ? row.prev_shares : prevShares !== undefined ? prevShares : this.loadedShares(addDays(weekStart, -7), symbol);
    const t = row ? { trend: row.trend, changePct: row.change_pct } : weekOverWeek(0, prev);
    const days = tradingDaysInWeek(weekStart);
    const perDay = perTradingDay(shares, days, prev, tradingDaysInWeek(addDays(weekStart, -7)));
    const coverage = this.weeks.week(weekStart, symbol.tier)?.coverage ?? 'full';
    return {
      ticker: symbol.symbol,
      issue_name: row?.issue_name ?? symbol.issue_name,
      tier: symbol.tier,
      week_start: weekStart,
      week_ending: weekEndingOf(weekStart),
      sector: symbol.sector,
      sector_source: symbol.sector_source,
      dark_pool_shares: shares,
      dark_pool_volume_usd: row ? usd(row.notional) : 0,
      dark_pool_trades: trades,
      avg_trade_size: trades > 0 ? Math.round((shares / trades) * 100) / 100 : null,
      ats_venues: coverage === 'full' ? (row?.venues ?? 0) : null,
      coverage,
      // Without the week before there is nothing to compare: no trend rather than a "stable" one.
      trend: prev === null ? null : t.trend,
      change_pct: prev === null ? null : t.changePct,
      trend_basis: prev === null ? 'previous_week_not_loaded' : 'compared',
      trading_days: days,
      trend_per_day: prev === null ? null : perDay.trend,
      change_pct_per_day: prev === null ? null : perDay.changePct,
    };
  }

  /** The loaded weeks of these (week, tier) pairs. */
  private loaded(pairs: [string, Tier][]): LoadedWeek[] {
    return pairs.map(([weekStart, tier]) => this.weeks.week(weekStart, tier)).filter((w): w is LoadedWeek => w !== undefined);
  }

  private source(weeks: LoadedWeek[]): Source {
    const out: SourceWeek[] = weeks.map((w) => ({ tier: w.tier, ...sourceWeek(w) }));
    out.sort((a, b) => b.week_start.localeCompare(a.week_start) || TIERS.indexOf(a.tier) - TIERS.indexOf(b.tier));
    const asOf = this.options.asOf ? { as_of: this.options.asOf } : {};
    return { ...FINRA_CREDIT, ...asOf, weeks: out, freshness: this.freshness() };
  }

  /** The dataset's newest week per tier and when it was loaded: carried by every data answer. */
  freshness(): Freshness[] {
    return this.weeks.freshness().sort((a, b) => TIERS.indexOf(a.tier) - TIERS.indexOf(b.tier));
  }
}

/** A loaded week as answers cite it: FINRA's dates for it and ours. */
function sourceWeek(w: LoadedWeek): Omit<SourceWeek, 'tier'> {
  return {
    week_start: w.week_start,
    week_ending: weekEndingOf(w.week_start),
    coverage: w.coverage,
    finra_published: w.initial_published,
    finra_last_update: w.last_update,
    loaded_at: w.loaded_at,
    updated_at: w.updated_at,
  };
}

/** FINRA's row that sums the non-ATS firms below its reporting threshold, in each symbol-week. */
export const DE_MINIMIS_FIRMS = 'De Minimis Firms';

/** FINRA prefixes ATS names with their MPID ("UBSA UBS ATS"); the MPID is served separately. */
export function venueName(mpid: string, participantName: string): string {
  return participantName.startsWith(`${mpid} `) ? participantName.slice(mpid.length + 1) : participantName;
}
