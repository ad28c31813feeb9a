// What a loaded (week, tier) is, whatever its source: the per-ATS rows, the per-symbol sums, what
// was kept apart, and the checksum that makes an unchanged re-pull a no-op. Shared by the ingest
// (which builds it) and the store (which publishes it); pure.
import { createHash } from 'node:crypto';
import type { Tier } from './tiers.js';

/** `full`: every per-ATS row of the tier-week; `symbol_totals`: FINRA's per-symbol totals of some symbols, no venues. */
export type Coverage = 'full' | 'symbol_totals';

/** The `symbol` of an ATS row FINRA published without one (private-securities ATSs): never a ticker. */
export const UNATTRIBUTED = '';

export interface AtsRow {
  /** UNATTRIBUTED for FINRA's symbol-less rows, summed per venue. */
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

/**
 * One non-ATS firm's off-exchange volume in a symbol (FINRA's OTC_W_SMBL_FIRM: wholesalers,
 * internalizers; FINRA's "De Minimis Firms" row sums the small ones). Not dark-pool volume.
 */
export interface NonAtsFirmRow {
  symbol: string;
  firm: string;
  shares: number | null;
  trades: number | null;
  lastUpdate: string | null;
}

/** ATS volume in rows without a symbol: the venue's and the week's, never a ticker's. */
export interface Unattributed {
  /** FINRA's rows, before they are summed per venue. */
  rows: number;
  shares: number;
  trades: number;
  venues: string[];
}

export interface BuiltWeek {
  weekStart: string;
  tier: Tier;
  coverage: Coverage;
  /** Per (symbol, venue); symbol-less rows summed per venue under UNATTRIBUTED. */
  rows: AtsRow[];
  symbols: SymbolAggregate[];
  /** Per (symbol, non-ATS firm), reconciled with FINRA's non-ATS totals; empty when the source has none. */
  nonAtsFirms: NonAtsFirmRow[];
  unattributed: Unattributed;
  /** What was loaded but not attributed to a symbol, in words, for the run log. */
  keptAside: string[];
  initialPublished: string | null;
  lastUpdate: string | null;
  /** Over every stored field: an unchanged re-pull has the same checksum and is a no-op. */
  checksum: string;
  reconciled: boolean;
  hasNonAts: boolean;
  /** Firm rows whose share or trade count FINRA left null (kept null, never read as 0). */
  nullQuantities: number;
}

export function checksum(rows: AtsRow[], symbols: SymbolAggregate[], coverage: Coverage, nonAtsFirms: NonAtsFirmRow[] = []): string {
  const hash = createHash('sha256');
  // A whole week's figures are its rows; a totals-only week's are the totals themselves.
  if (coverage === 'symbol_totals')
    for (const s of symbols) hash.update(`totals|${s.symbol}|${s.issueName}|${s.shares}|${s.trades}|${s.notional}\n`);
  for (const r of rows) {
    hash.update(`${r.symbol}|${r.mpid}|${r.participantName}|${r.issueName}|${r.shares}|${r.trades}|${r.notional}|${r.lastUpdate}\n`);
  }
  for (const s of symbols) hash.update(`${s.symbol}|${s.nonAtsShares}|${s.nonAtsTrades}\n`);
  // Only when there are some: a week without the breakdown keeps the checksum it always had.
  for (const f of nonAtsFirms) hash.update(`otc|${f.symbol}|${f.firm}|${f.shares}|${f.trades}|${f.lastUpdate}\n`);
  return hash.digest('hex');
}
