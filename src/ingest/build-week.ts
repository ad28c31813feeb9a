// Turns one (week, tier) of FINRA rows into what the store publishes: the per-ATS rows, and per
// symbol the sums of those rows. Pure: no I/O. Refuses the week (throws WeekRefusedError) when the
// rows cannot be trusted, so that a bad week is never half-published.
import { createHash } from 'node:crypto';
import type { FinraRow } from '../finra/schema.js';
import { SUMMARY_TYPES } from '../finra/schema.js';
import type { Tier } from '../finra/tiers.js';
import { collect, RefusedError } from './refusal.js';

export interface WeekRows {
  weekStart: string;
  tier: Tier;
  /** ATS_W_SMBL_FIRM rows: one per symbol per ATS. */
  firm: FinraRow[];
  /** ATS_W_SMBL rows, FINRA's per-symbol totals; null when the source has none (website exports). */
  symbolTotals: FinraRow[] | null;
  /** OTC_W_SMBL rows (non-ATS off-exchange volume); null when the source has none. */
  nonAts: FinraRow[] | null;
}

export interface AtsRow {
  symbol: string;
  mpid: string;
  participantName: string;
  issueName: string | null;
  shares: number | null;
  trades: number | null;
  notional: number | null;
  lastUpdate: string | null;
}

export interface SymbolAggregate {
  symbol: string;
  issueName: string | null;
  shares: number;
  trades: number;
  notional: number | null;
  venues: number;
  nonAtsShares: number | null;
  nonAtsTrades: number | null;
  /** Firm rows of this symbol with a null share count: its share sum is then not known exactly. */
  nullShareRows: number;
  nullTradeRows: number;
}

export interface BuiltWeek {
  weekStart: string;
  tier: Tier;
  rows: AtsRow[];
  symbols: SymbolAggregate[];
  initialPublished: string | null;
  lastUpdate: string | null;
  /** Over every stored field: an unchanged re-pull has the same checksum and is a no-op. */
  checksum: string;
  reconciled: boolean;
  hasNonAts: boolean;
  /** Firm rows whose share or trade count FINRA left null (kept null, never read as 0). */
  nullQuantities: number;
}

export type RefusalReason = 'empty_week' | 'reconciliation' | 'duplicate_key' | 'wrong_partition' | 'incomplete_row';

export class WeekRefusedError extends RefusedError<RefusalReason> {
  override name = 'WeekRefusedError';
}

export function buildWeek(input: WeekRows): BuiltWeek {
  // A published week always has ATS volume; an empty answer would zero every symbol's week.
  if (input.firm.length === 0) throw new WeekRefusedError('empty_week', ['no ATS_W_SMBL_FIRM rows for the week']);
  checkPartition(input);
  const rows = firmRows(input.firm);
  const symbols = aggregate(rows, input.nonAts);
  const reconciled = input.symbolTotals !== null;
  if (input.symbolTotals) reconcile(symbols, input.symbolTotals);

  let initialPublished: string | null = null;
  let lastUpdate: string | null = null;
  for (const r of [...input.firm, ...(input.symbolTotals ?? []), ...(input.nonAts ?? [])]) {
    if (r.initialPublishedDate && (!initialPublished || r.initialPublishedDate < initialPublished)) {
      initialPublished = r.initialPublishedDate;
    }
    if (r.lastUpdateDate && (!lastUpdate || r.lastUpdateDate > lastUpdate)) lastUpdate = r.lastUpdateDate;
  }

  return {
    weekStart: input.weekStart,
    tier: input.tier,
    rows,
    symbols,
    initialPublished,
    lastUpdate,
    checksum: checksum(rows, symbols),
    reconciled,
    hasNonAts: symbols.some((s) => s.nonAtsShares !== null),
    nullQuantities: rows.filter((r) => r.shares === null || r.trades === null).length,
  };
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
  if (problems.length) throw new WeekRefusedError('wrong_partition', problems);
}

function firmRows(firm: FinraRow[]): AtsRow[] {
  const incomplete: string[] = [];
  const duplicates: string[] = [];
  const seen = new Set<string>();
  const rows: AtsRow[] = [];
  firm.forEach((r, i) => {
    if (!r.issueSymbolIdentifier || !r.MPID) {
      collect(incomplete, `firm row ${i} lacks ${r.issueSymbolIdentifier ? 'MPID' : 'issueSymbolIdentifier'}`);
      return;
    }
    const key = `${r.issueSymbolIdentifier}\u0000${r.MPID}`;
    if (seen.has(key)) collect(duplicates, `${r.issueSymbolIdentifier} at ${r.MPID} appears twice`);
    seen.add(key);
    rows.push({
      symbol: r.issueSymbolIdentifier,
      mpid: r.MPID,
      participantName: r.marketParticipantName ?? r.MPID,
      issueName: r.issueName,
      shares: r.totalWeeklyShareQuantity,
      trades: r.totalWeeklyTradeCount,
      notional: r.totalNotionalSum,
      lastUpdate: r.lastUpdateDate,
    });
  });
  if (incomplete.length) throw new WeekRefusedError('incomplete_row', incomplete);
  if (duplicates.length) throw new WeekRefusedError('duplicate_key', duplicates);
  rows.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.mpid < b.mpid ? -1 : a.mpid > b.mpid ? 1 : 0));
  return rows;
}

function aggregate(rows: AtsRow[], nonAts: FinraRow[] | null): SymbolAggregate[] {
  const bySymbol = new Map<string, SymbolAggregate>();
  for (const r of rows) {
    let agg = bySymbol.get(r.symbol);
    if (!agg) {
      agg = newAggregate(r.symbol, r.issueName);
      bySymbol.set(r.symbol, agg);
    }
    agg.issueName ??= r.issueName;
    if (r.shares === null) agg.nullShareRows++;
    else agg.shares += r.shares;
    if (r.trades === null) agg.nullTradeRows++;
    else agg.trades += r.trades;
    if (r.notional !== null) agg.notional = (agg.notional ?? 0) + r.notional;
    if ((r.shares ?? 0) > 0) agg.venues++;
  }
  // A week in which FINRA published no non-ATS rows at all is missing data, not a week of zeros.
  const nonAtsRows = nonAts?.filter((r) => r.issueSymbolIdentifier) ?? [];
  if (nonAtsRows.length > 0) {
    for (const agg of bySymbol.values()) {
      agg.nonAtsShares = 0;
      agg.nonAtsTrades = 0;
    }
    for (const r of nonAtsRows) {
      const symbol = r.issueSymbolIdentifier as string;
      let agg = bySymbol.get(symbol);
      if (!agg) {
        agg = { ...newAggregate(symbol, r.issueName), nonAtsShares: 0, nonAtsTrades: 0 };
        bySymbol.set(symbol, agg);
      }
      agg.nonAtsShares = r.totalWeeklyShareQuantity === null ? null : (agg.nonAtsShares ?? 0) + r.totalWeeklyShareQuantity;
      agg.nonAtsTrades = r.totalWeeklyTradeCount === null ? null : (agg.nonAtsTrades ?? 0) + r.totalWeeklyTradeCount;
    }
  }
  for (const agg of bySymbol.values()) {
    if (!Number.isSafeInteger(agg.shares) || !Number.isSafeInteger(agg.trades)) {
      throw new WeekRefusedError('incomplete_row', [`${agg.symbol}: sum exceeds the safe integer range`]);
    }
  }
  return [...bySymbol.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

function newAggregate(symbol: string, issueName: string | null): SymbolAggregate {
  return { symbol, issueName, shares: 0, trades: 0, notional: null, venues: 0, nonAtsShares: null, nonAtsTrades: null, nullShareRows: 0, nullTradeRows: 0 };
}

/**
 * FINRA's ATS_W_SMBL total must equal the sum of the symbol's firm rows, for shares and for trades.
 * A null on either side is compared as null, never as 0.
 */
function reconcile(symbols: SymbolAggregate[], totals: FinraRow[]) {
  const mismatches: string[] = [];
  const bySymbol = new Map<string, FinraRow>();
  for (const t of totals) {
    if (!t.issueSymbolIdentifier) continue;
    if (bySymbol.has(t.issueSymbolIdentifier)) collect(mismatches, `${t.issueSymbolIdentifier}: two FINRA totals`);
    bySymbol.set(t.issueSymbolIdentifier, t);
  }
  for (const s of symbols) {
    const hasFirmRows = s.venues > 0 || s.shares > 0 || s.trades > 0 || s.nullShareRows > 0 || s.nullTradeRows > 0;
    if (!hasFirmRows && !bySymbol.has(s.symbol)) continue; // a symbol with non-ATS volume only
    const total = bySymbol.get(s.symbol);
    bySymbol.delete(s.symbol);
    if (!total) {
      collect(mismatches, `${s.symbol}: firm rows sum to ${s.shares} shares but FINRA gives no total`);
      continue;
    }
    const shares = s.nullShareRows ? null : s.shares;
    const trades = s.nullTradeRows ? null : s.trades;
    if (total.totalWeeklyShareQuantity !== shares) {
      collect(mismatches, `${s.symbol}: firm rows sum to ${shares} shares, FINRA's total is ${total.totalWeeklyShareQuantity}`);
    }
    if (total.totalWeeklyTradeCount !== trades) {
      collect(mismatches, `${s.symbol}: firm rows sum to ${trades} trades, FINRA's total is ${total.totalWeeklyTradeCount}`);
    }
  }
  for (const [symbol, total] of bySymbol) {
    if (total.totalWeeklyShareQuantity === 0 && total.totalWeeklyTradeCount === 0) continue;
    collect(mismatches, `${symbol}: FINRA's total is ${total.totalWeeklyShareQuantity} shares but no firm rows`);
  }
  if (mismatches.length) throw new WeekRefusedError('reconciliation', mismatches);
}

function checksum(rows: AtsRow[], symbols: SymbolAggregate[]): string {
  const hash = createHash('sha256');
  for (const r of rows) {
    hash.update(`${r.symbol}|${r.mpid}|${r.participantName}|${r.issueName}|${r.shares}|${r.trades}|${r.notional}|${r.lastUpdate}\n`);
  }
  for (const s of symbols) hash.update(`${s.symbol}|${s.nonAtsShares}|${s.nonAtsTrades}\n`);
  return hash.digest('hex');
}
