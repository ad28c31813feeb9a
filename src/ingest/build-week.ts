// Turns one (week, tier) of FINRA rows into what the store publishes: the per-ATS rows, and per
// symbol the sums of those rows. Pure: no I/O. Refuses the week (throws WeekRefusedError) when the
// rows cannot be trusted, so that a bad week is never half-published.
import { ExactSum } from '../domain/exact-sum.js';
import type { FinraRow } from '../finra/schema.js';
import { SUMMARY_TYPES } from '../finra/schema.js';
import type { Tier } from '../domain/tiers.js';
import {
  checksum,
  UNATTRIBUTED,
  type AtsRow,
  type BuiltWeek,
  type NonAtsFirmRow,
  type SymbolAggregate,
  type Unattributed,
} from '../domain/week.js';
import { collect, RefusedError } from '../domain/refusal.js';

export interface WeekRows {
  weekStart: string;
  tier: Tier;
  /** ATS_W_SMBL_FIRM rows: one per symbol per ATS. */
  firm: FinraRow[];
  /** ATS_W_SMBL rows, FINRA's per-symbol totals; null when the source has none (website exports). */
  symbolTotals: FinraRow[] | null;
  /** OTC_W_SMBL rows (non-ATS off-exchange volume); null when the source has none. */
  nonAts: FinraRow[] | null;
  /** OTC_W_SMBL_FIRM rows (per non-ATS firm); absent or null when the source has none. */
  nonAtsFirm?: FinraRow[] | null;
  /**
   * A file of FINRA's per-symbol totals without the per-ATS rows: the week is loaded for its symbols
   * only, labelled as such. Never set for the API, whose weeks are whole or refused.
   */
  totalsOnly?: boolean;
}

export type RefusalReason = 'empty_week' | 'reconciliation' | 'duplicate_key' | 'wrong_partition' | 'incomplete_row';

export class WeekRefusedError extends RefusedError<RefusalReason> {
  override name = 'WeekRefusedError';
}

export function buildWeek(input: WeekRows): BuiltWeek {
  if (input.firm.length === 0 && input.totalsOnly && input.symbolTotals?.length) return buildTotalsWeek(input);
  // A published week always has ATS volume; an empty answer would zero every symbol's week.
  if (input.firm.length === 0) throw new WeekRefusedError('empty_week', ['no ATS_W_SMBL_FIRM rows for the week']);
  checkPartition(input);
  const { rows, unattributed } = firmRows(input.firm);
  const keptAside: string[] = [];
  const symbols = aggregate(rows, input.nonAts, keptAside);
  const reconciled = input.symbolTotals !== null;
  if (input.symbolTotals) reconcile(symbols, unattributed, input.symbolTotals);
  const nonAtsFirms = nonAtsFirmRows(input, keptAside);
  if (unattributed.rows) {
    keptAside.unshift(
      `${unattributed.rows} ATS rows without a symbol (${unattributed.venues.join(', ')}): ${unattributed.shares} shares, ` +
        `${unattributed.trades} trades kept as unattributed volume`,
    );
  }

  return {
    weekStart: input.weekStart,
    tier: input.tier,
    coverage: 'full',
    ...publicationDates(input),
    rows,
    symbols,
    nonAtsFirms,
    unattributed,
    keptAside,
    checksum: checksum(rows, symbols, 'full', nonAtsFirms),
    reconciled,
    hasNonAts: symbols.some((s) => s.nonAtsShares !== null),
    nullQuantities: rows.filter((r) => r.shares === null || r.trades === null).length,
  };
}

/**
 * A week of FINRA's per-symbol totals only: each symbol's shares and trades as FINRA published them,
 * no venue. Nothing to reconcile against; a symbol twice, or a total FINRA left null, refuses the week.
 */
function buildTotalsWeek(input: WeekRows): BuiltWeek {
  checkPartition(input);
  const keptAside: string[] = [];
  const bySymbol = new Map<string, SymbolAggregate>();
  const problems: string[] = [];
  let symbolLess = 0;
  for (const t of input.symbolTotals ?? []) {
    const symbol = t.issueSymbolIdentifier;
    if (!symbol) {
      symbolLess++;
      continue;
    }
    if (bySymbol.has(symbol)) collect(problems, `${symbol}: two FINRA totals`);
    if (t.totalWeeklyShareQuantity === null || t.totalWeeklyTradeCount === null) collect(problems, `${symbol}: FINRA's total is null`);
    bySymbol.set(symbol, {
      ...newAggregate(symbol, t.issueName),
      shares: t.totalWeeklyShareQuantity ?? 0,
      trades: t.totalWeeklyTradeCount ?? 0,
      notional: t.totalNotionalSum,
    });
  }
  if (problems.length) throw new WeekRefusedError('duplicate_key', problems);
  if (symbolLess) keptAside.push(`${symbolLess} ATS totals without a symbol, attributed to no symbol`);
  attachNonAts(bySymbol, input.nonAts, keptAside);
  const symbols = [...bySymbol.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  return {
    weekStart: input.weekStart,
    tier: input.tier,
    coverage: 'symbol_totals',
    ...publicationDates(input),
    rows: [],
    symbols,
    nonAtsFirms: [],
    unattributed: { rows: 0, shares: 0, trades: 0, venues: [] },
    keptAside,
    checksum: checksum([], symbols, 'symbol_totals'),
    reconciled: false,
    hasNonAts: symbols.some((s) => s.nonAtsShares !== null),
    nullQuantities: 0,
  };
}

/** FINRA's initialPublishedDate (earliest) and lastUpdateDate (newest) over every row of the week. */
function publicationDates(input: WeekRows): { initialPublished: string | null; lastUpdate: string | null } {
  let initialPublished: string | null = null;
  let lastUpdate: string | null = null;
  for (const r of [...input.firm, ...(input.symbolTotals ?? []), ...(input.nonAts ?? []), ...(input.nonAtsFirm ?? [])]) {
    if (r.initialPublishedDate && (!initialPublished || r.initialPublishedDate < initialPublished)) {
      initialPublished = r.initialPublishedDate;
    }
    if (r.lastUpdateDate && (!lastUpdate || r.lastUpdateDate > lastUpdate)) lastUpdate = r.lastUpdateDate;
  }
  return { initialPublished, lastUpdate };
}

/** Every row must belong to the requested week, tier and grain: a filter FINRA ignored shows here. */
function checkPartition(input: WeekRows) {
  const problems: string[] = [];
  const check = (rows: FinraRow[] | null, type: string) => {
    rows?.forEach((r, i) => {
      if (r.weekStartDate && r.weekStartDate !== input.weekStart) {
        collect(problems, `${type} row ${i} has weekStartDate ${r.weekStartDate}`);
      }
      if (r.tierIdentifier && r.tierIdentifier !== input.tier) {
        collect(problems, `${type} row ${i} has tierIdentifier ${r.tierIdentifier}`);
      }
      if (r.summaryTypeCode && r.summaryTypeCode !== type) {
        collect(problems, `${type} row ${i} has summaryTypeCode ${r.summaryTypeCode}`);
      }
    });
  };
  check(input.firm, SUMMARY_TYPES.atsFirm);
  check(input.symbolTotals, SUMMARY_TYPES.atsSymbol);
  check(input.nonAts, SUMMARY_TYPES.otcSymbol);
  check(input.nonAtsFirm ?? null, SUMMARY_TYPES.otcFirm);
  if (problems.length) throw new WeekRefusedError('wrong_partition', problems);
}

function firmRows(firm: FinraRow[]): { rows: AtsRow[]; unattributed: Unattributed } {
  const incomplete: string[] = [];
  const duplicates: string[] = [];
  const seen = new Set<string>();
  const rows: AtsRow[] = [];
  // Symbol-less rows are summed per venue: FINRA gives them no key of their own, and reconciliation
  // against FINRA's empty-symbol total still checks every one of them.
  const symbolLess = new Map<string, { row: AtsRow; shares: ExactSum; nullShares: boolean; nullTrades: boolean }>();
  let symbolLessRows = 0;
  firm.forEach((r, i) => {
    if (!r.MPID) {
      collect(incomplete, `firm row ${i} (${r.issueSymbolIdentifier ?? 'no symbol'}) lacks the ATS's MPID`);
      return;
    }
    const row: AtsRow = {
      symbol: r.issueSymbolIdentifier ?? UNATTRIBUTED,
      mpid: r.MPID,
      participantName: r.marketParticipantName ?? r.MPID,
      issueName: r.issueName,
      shares: r.totalWeeklyShareQuantity,
      trades: r.totalWeeklyTradeCount,
      notional: r.totalNotionalSum,
      lastUpdate: r.lastUpdateDate,
    };
    if (row.symbol === UNATTRIBUTED) {
      symbolLessRows++;
      const acc = symbolLess.get(row.mpid);
      if (!acc) {
        const shares = new ExactSum();
        if (row.shares !== null) shares.add(row.shares);
        symbolLess.set(row.mpid, {
          row: { ...row, issueName: null },
          shares,
          nullShares: row.shares === null,
          nullTrades: row.trades === null,
        });
        return;
      }
      if (row.shares === null) acc.nullShares = true;
      else acc.shares.add(row.shares);
      if (row.trades === null) acc.nullTrades = true;
      else acc.row.trades = (acc.row.trades ?? 0) + row.trades;
      if (row.notional !== null) acc.row.notional = (acc.row.notional ?? 0) + row.notional;
      if (row.lastUpdate && (!acc.row.lastUpdate || row.lastUpdate > acc.row.lastUpdate)) acc.row.lastUpdate = row.lastUpdate;
      return;
    }
    const key = `${row.symbol}\u0000${row.mpid}`;
    if (seen.has(key)) collect(duplicates, `${row.symbol} at ${row.mpid} appears twice`);
    seen.add(key);
    rows.push(row);
  });
  if (incomplete.length) throw new WeekRefusedError('incomplete_row', incomplete);
  if (duplicates.length) throw new WeekRefusedError('duplicate_key', duplicates);
  const unattributed: Unattributed = { rows: symbolLessRows, shares: 0, trades: 0, venues: [] };
  const total = new ExactSum();
  for (const [mpid, acc] of [...symbolLess].sort(([a], [b]) => (a < b ? -1 : 1))) {
    acc.row.shares = acc.nullShares ? null : acc.shares.value();
    if (acc.nullTrades) acc.row.trades = null;
    rows.push(acc.row);
    unattributed.venues.push(mpid);
    total.add(acc.shares.value());
    unattributed.trades += acc.row.trades ?? 0;
  }
  unattributed.shares = total.value();
  rows.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.mpid < b.mpid ? -1 : a.mpid > b.mpid ? 1 : 0));
  return { rows, unattributed };
}

function aggregate(rows: AtsRow[], nonAts: FinraRow[] | null, keptAside: string[]): SymbolAggregate[] {
  const bySymbol = new Map<string, SymbolAggregate>();
  const shareSums = new Map<string, ExactSum>();
  for (const r of rows) {
    if (r.symbol === UNATTRIBUTED) continue;
    let agg = bySymbol.get(r.symbol);
    if (!agg) {
      agg = newAggregate(r.symbol, r.issueName);
      bySymbol.set(r.symbol, agg);
      shareSums.set(r.symbol, new ExactSum());
    }
    agg.issueName ??= r.issueName;
    if (r.shares === null) agg.nullShareRows++;
    else shareSums.get(r.symbol)!.add(r.shares);
    if (r.trades === null) agg.nullTradeRows++;
    else agg.trades += r.trades;
    if (r.notional !== null) agg.notional = (agg.notional ?? 0) + r.notional;
    if ((r.shares ?? 0) > 0) agg.venues++;
  }
  for (const [symbol, sum] of shareSums) bySymbol.get(symbol)!.shares = sum.value();
  attachNonAts(bySymbol, nonAts, keptAside);
  for (const agg of bySymbol.values()) {
    if (!Number.isSafeInteger(Math.trunc(agg.shares)) || !Number.isSafeInteger(agg.trades)) {
      throw new WeekRefusedError('incomplete_row', [`${agg.symbol}: sum exceeds the safe integer range`]);
    }
  }
  return [...bySymbol.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

/** FINRA's non-ATS totals (OTC_W_SMBL) onto the symbols, adding symbols with non-ATS volume only. */
function attachNonAts(bySymbol: Map<string, SymbolAggregate>, nonAts: FinraRow[] | null, keptAside: string[]) {
  // A week in which FINRA published no non-ATS rows at all is missing data, not a week of zeros.
  const nonAtsRows = nonAts?.filter((r) => r.issueSymbolIdentifier) ?? [];
  const symbolLess = (nonAts?.length ?? 0) - nonAtsRows.length;
  if (symbolLess) keptAside.push(`${symbolLess} non-ATS totals without a symbol, attributed to no symbol`);
  if (nonAtsRows.length > 0) {
    for (const agg of bySymbol.values()) {
      agg.nonAtsShares = 0;
      agg.nonAtsTrades = 0;
    }
    const duplicates: string[] = [];
    const seen = new Set<string>();
    for (const r of nonAtsRows) {
      const symbol = r.issueSymbolIdentifier as string;
      if (seen.has(symbol)) collect(duplicates, `${symbol}: two FINRA non-ATS totals`);
      seen.add(symbol);
      let agg = bySymbol.get(symbol);
      if (!agg) {
        agg = { ...newAggregate(symbol, r.issueName), nonAtsShares: 0, nonAtsTrades: 0 };
        bySymbol.set(symbol, agg);
      }
      agg.nonAtsShares = r.totalWeeklyShareQuantity;
      agg.nonAtsTrades = r.totalWeeklyTradeCount;
    }
    if (duplicates.length) throw new WeekRefusedError('duplicate_key', duplicates);
  }
}

function newAggregate(symbol: string, issueName: string | null): SymbolAggregate {
  return {
    symbol,
    issueName,
    shares: 0,
    trades: 0,
    notional: null,
    venues: 0,
    nonAtsShares: null,
    nonAtsTrades: null,
    nullShareRows: 0,
    nullTradeRows: 0,
  };
}

/**
 * FINRA's ATS_W_SMBL total must equal the sum of the symbol's firm rows, for shares and for trades.
 * A null on either side is compared as null, never as 0. Symbol-less rows are checked against FINRA's
 * empty-symbol total the same way.
 */
function reconcile(symbols: SymbolAggregate[], unattributed: Unattributed, totals: FinraRow[]) {
  const mismatches: string[] = [];
  const bySymbol = new Map<string, FinraRow>();
  const symbolLess: FinraRow[] = [];
  for (const t of totals) {
    if (!t.issueSymbolIdentifier) {
      symbolLess.push(t);
      continue;
    }
    if (bySymbol.has(t.issueSymbolIdentifier)) collect(mismatches, `${t.issueSymbolIdentifier}: two FINRA totals`);
    bySymbol.set(t.issueSymbolIdentifier, t);
  }
  const compare = (
    label: string,
    shares: number | null,
    trades: number | null,
    total: { shares: number | null; trades: number | null },
  ) => {
    if (total.shares !== shares) collect(mismatches, `${label}: firm rows sum to ${shares} shares, FINRA's total is ${total.shares}`);
    if (total.trades !== trades) collect(mismatches, `${label}: firm rows sum to ${trades} trades, FINRA's total is ${total.trades}`);
  };
  for (const s of symbols) {
    const hasFirmRows = s.venues > 0 || s.shares > 0 || s.trades > 0 || s.nullShareRows > 0 || s.nullTradeRows > 0;
    if (!hasFirmRows && !bySymbol.has(s.symbol)) continue; // a symbol with non-ATS volume only
    const total = bySymbol.get(s.symbol);
    bySymbol.delete(s.symbol);
    if (!total) {
      collect(mismatches, `${s.symbol}: firm rows sum to ${s.shares} shares but FINRA gives no total`);
      continue;
    }
    compare(s.symbol, s.nullShareRows ? null : s.shares, s.nullTradeRows ? null : s.trades, {
      shares: total.totalWeeklyShareQuantity,
      trades: total.totalWeeklyTradeCount,
    });
  }
  for (const [symbol, total] of bySymbol) {
    if (total.totalWeeklyShareQuantity === 0 && total.totalWeeklyTradeCount === 0) continue;
    collect(mismatches, `${symbol}: FINRA's total is ${total.totalWeeklyShareQuantity} shares but no firm rows`);
  }
  if (unattributed.rows || symbolLess.length) {
    const sum = (pick: (r: FinraRow) => number | null) => {
      const acc = new ExactSum();
      for (const t of symbolLess) {
        const v = pick(t);
        if (v === null) return null;
        acc.add(v);
      }
      return acc.value();
    };
    compare('rows without a symbol', unattributed.shares, unattributed.trades, {
      shares: sum((t) => t.totalWeeklyShareQuantity),
      trades: sum((t) => t.totalWeeklyTradeCount),
    });
  }
  if (mismatches.length) throw new WeekRefusedError('reconciliation', mismatches);
}

/**
 * FINRA's per-firm non-ATS rows (wholesalers), each symbol's summed exactly and checked against
 * FINRA's non-ATS total for it (OTC_W_SMBL), shares and trades: they must agree, as the ATS rows must
 * agree with ATS_W_SMBL, or the week is refused. FINRA's "De Minimis Firms" row is one of them (it is
 * in the total). A source without per-firm rows has no breakdown: said, not refused.
 */
/** Where non-ATS rows that name no firm are summed, per symbol. */
export const UNNAMED_FIRMS = '(firms FINRA did not name)';

function nonAtsFirmRows(input: WeekRows, keptAside: string[]): NonAtsFirmRow[] {
  const firmRows = input.nonAtsFirm ?? [];
  if (firmRows.length === 0) {
    if (input.nonAtsFirm && input.nonAts?.length) keptAside.push('no non-ATS per-firm rows: the week has no wholesaler breakdown');
    return [];
  }
  const duplicates: string[] = [];
  const mismatches: string[] = [];
  const rows: NonAtsFirmRow[] = [];
  const seen = new Set<string>();
  // Rows that name no firm are summed per symbol under UNNAMED_FIRMS: their volume is real and
  // reconciled with the rest; only a named firm twice is a duplicate.
  const unnamed = new Map<string, { row: NonAtsFirmRow; shares: ExactSum | null }>();
  let symbolLess = 0;
  let unnamedRows = 0;
  for (const r of firmRows) {
    const symbol = r.issueSymbolIdentifier;
    if (!symbol) {
      symbolLess++;
      continue;
    }
    const row = {
      symbol,
      firm: r.marketParticipantName ?? UNNAMED_FIRMS,
      shares: r.totalWeeklyShareQuantity,
      trades: r.totalWeeklyTradeCount,
      lastUpdate: r.lastUpdateDate,
    };
    if (!r.marketParticipantName) {
      unnamedRows++;
      const acc = unnamed.get(symbol);
      if (!acc) {
        unnamed.set(symbol, { row, shares: row.shares === null ? null : new ExactSum().add(row.shares) });
        rows.push(row);
        continue;
      }
      if (row.shares === null) acc.shares = null;
      else acc.shares?.add(row.shares);
      acc.row.shares = acc.shares?.value() ?? null;
      acc.row.trades = row.trades === null || acc.row.trades === null ? null : acc.row.trades + row.trades;
      if (row.lastUpdate && (!acc.row.lastUpdate || row.lastUpdate > acc.row.lastUpdate)) acc.row.lastUpdate = row.lastUpdate;
      continue;
    }
    const key = `${symbol}\u0000${row.firm}`;
    if (seen.has(key)) collect(duplicates, `${symbol} at non-ATS firm ${row.firm} appears twice`);
    seen.add(key);
    rows.push(row);
  }
  if (duplicates.length) throw new WeekRefusedError('duplicate_key', duplicates);
  if (symbolLess) keptAside.push(`${symbolLess} non-ATS firm rows without a symbol, attributed to no symbol`);
  if (unnamedRows) keptAside.push(`${unnamedRows} non-ATS firm rows name no firm: summed per symbol as "${UNNAMED_FIRMS}"`);

  const sums = new Map<string, { shares: ExactSum | null; trades: number | null }>();
  for (const r of rows) {
    const acc = sums.get(r.symbol) ?? { shares: new ExactSum(), trades: 0 };
    if (r.shares === null) acc.shares = null;
    else acc.shares?.add(r.shares);
    acc.trades = r.trades === null || acc.trades === null ? null : acc.trades + r.trades;
    sums.set(r.symbol, acc);
  }
  for (const t of input.nonAts ?? []) {
    if (!t.issueSymbolIdentifier) continue;
    const acc = sums.get(t.issueSymbolIdentifier);
    sums.delete(t.issueSymbolIdentifier);
    const shares = acc ? (acc.shares?.value() ?? null) : 0;
    const trades = acc ? acc.trades : 0;
    if (shares !== t.totalWeeklyShareQuantity || trades !== t.totalWeeklyTradeCount) {
      collect(
        mismatches,
        `${t.issueSymbolIdentifier}: non-ATS firm rows sum to ${shares} shares, ${trades} trades; FINRA's non-ATS total is ` +
          `${t.totalWeeklyShareQuantity} shares, ${t.totalWeeklyTradeCount} trades`,
      );
    }
  }
  for (const symbol of sums.keys()) collect(mismatches, `${symbol}: non-ATS firm rows but no FINRA non-ATS total`);
  if (mismatches.length) throw new WeekRefusedError('reconciliation', mismatches);
  return rows.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.firm < b.firm ? -1 : a.firm > b.firm ? 1 : 0));
}
