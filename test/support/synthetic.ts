// Hand-written FINRA rows for behaviours the real samples do not exercise (exact trend boundaries,
// class-share spellings). Labelled as synthetic wherever they are used; never used for sums that
// claim to be FINRA's.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row } from './finra-double.js';
import { derivedSymbolTotals } from './fixtures.js';
import { tempDir } from './harness.js';

export interface SyntheticFirmRow {
  symbol: string;
  mpid: string;
  shares: number;
  trades: number;
  notional?: number | null;
  name?: string;
}

/** One (week, tier) in API shape: the firm rows and FINRA-style per-symbol totals that match them. */
export function syntheticWeek(weekStart: string, tier: string, firm: SyntheticFirmRow[]): Row[] {
  // Published as FINRA's calendar does: 21 days after the week starts for T1, 35 for T2 and OTCE.
  const published = new Date(Date.parse(`${weekStart}T00:00:00Z`) + (tier === 'T1' ? 21 : 35) * 86_400_000).toISOString().slice(0, 10);
  const base = { weekStartDate: weekStart, tierIdentifier: tier, lastUpdateDate: published, initialPublishedDate: published };
  const rows: Row[] = firm.map((f) => ({
    ...base,
    summaryTypeCode: 'ATS_W_SMBL_FIRM',
    issueSymbolIdentifier: f.symbol,
    issueName: f.name ?? `${f.symbol} Synthetic Test Issue`,
    MPID: f.mpid,
    marketParticipantName: `${f.mpid} TEST ATS`,
    totalWeeklyShareQuantity: f.shares,
    totalWeeklyTradeCount: f.trades,
    totalNotionalSum: f.notional ?? null,
  }));
  return [...rows, ...derivedSymbolTotals(rows)];
}

export function writeJson(rows: Row[], name = 'rows.json'): string {
  const path = join(tempDir(), name);
  writeFileSync(path, JSON.stringify(rows));
  return path;
}
