// The real FINRA samples in fixtures/finra, read here independently of the service's own parsers
// (a plain split), so that tests compare the service against sums it did not compute itself.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Row } from './finra-double.js';

export type { Row };

export const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
export const OTCE_FILES = {
  '2025-11-10': `${FIXTURES}finra/ats_otce_published_2025-12-15.psv`,
  '2025-11-17': `${FIXTURES}finra/ats_otce_published_2025-12-22.psv`,
} as const;
export const TQQQ_JSON = `${FIXTURES}finra/tqqq_2025-11-17_T2.api.json`;

/** A website export as API rows of the ATS_W_SMBL_FIRM grain, with the week and tier it belongs to. */
export function otceFirmRows(weekStart: keyof typeof OTCE_FILES): Row[] {
  const [header, ...lines] = readFileSync(OTCE_FILES[weekStart], 'utf8').trim().split('\n');
  const cols = header!.split('|');
  return lines.map((line) => {
    const v = Object.fromEntries(line.split('|').map((x, i) => [cols[i], x]));
    return {
      weekStartDate: weekStart,
      tierIdentifier: 'OTCE',
      tierDescription: 'OTCE',
      summaryTypeCode: 'ATS_W_SMBL_FIRM',
      issueSymbolIdentifier: v.issueSymbolIdentifier,
      issueName: v.issueName,
      MPID: v.MPID,
      marketParticipantName: v.marketParticipantName,
      totalWeeklyShareQuantity: Number(v.totalWeeklyShareQuantity),
      totalWeeklyTradeCount: Number(v.totalWeeklyTradeCount),
      totalNotionalSum: null,
      productTypeCode: 'OTCE',
      initialPublishedDate: v.lastUpdateDate,
      lastUpdateDate: v.lastUpdateDate,
    };
  });
}

/**
 * FINRA's website export holds only firm rows. The double also needs ATS_W_SMBL totals for these
 * weeks, so they are DERIVED here by summing the firm rows, which is what FINRA's own totals equal
 * (checked on the real TQQQ rows). Reconciliation against real FINRA totals is tested on TQQQ.
 */
export function derivedSymbolTotals(firm: Row[]): Row[] {
  const totals = new Map<string, Row>();
  for (const r of firm) {
    const t = totals.get(r.issueSymbolIdentifier as string) ?? {
      ...r,
      summaryTypeCode: 'ATS_W_SMBL',
      MPID: null,
      marketParticipantName: null,
      totalWeeklyShareQuantity: 0,
      totalWeeklyTradeCount: 0,
    };
    t.totalWeeklyShareQuantity = (t.totalWeeklyShareQuantity as number) + (r.totalWeeklyShareQuantity as number);
    t.totalWeeklyTradeCount = (t.totalWeeklyTradeCount as number) + (r.totalWeeklyTradeCount as number);
    totals.set(r.issueSymbolIdentifier as string, t);
  }
  return [...totals.values()];
}

/** The real TQQQ week (T2, 2025-11-17): 26 ATS rows, 21 non-ATS rows and FINRA's two totals. */
export function tqqqRows(): Row[] {
  return (JSON.parse(readFileSync(TQQQ_JSON, 'utf8')) as Row[]).map((r) => ({
    ...r,
    initialPublishedDate: r.lastUpdateDate,
  }));
}

/** Everything the double serves by default: two OTCE weeks (more rows than one page) and TQQQ. */
export function defaultFinraRows(): Row[] {
  const w1 = otceFirmRows('2025-11-10');
  const w2 = otceFirmRows('2025-11-17');
  return [...w1, ...derivedSymbolTotals(w1), ...w2, ...derivedSymbolTotals(w2), ...tqqqRows()];
}

export interface ExpectedSymbol {
  shares: number;
  trades: number;
  venues: number;
}

/** Per-symbol sums of firm rows, computed the obvious way. */
export function sumFirmRows(rows: Row[]): Map<string, ExpectedSymbol> {
  const out = new Map<string, ExpectedSymbol>();
  for (const r of rows) {
    if (r.summaryTypeCode !== 'ATS_W_SMBL_FIRM') continue;
    const e = out.get(r.issueSymbolIdentifier as string) ?? { shares: 0, trades: 0, venues: 0 };
    e.shares += r.totalWeeklyShareQuantity as number;
    e.trades += r.totalWeeklyTradeCount as number;
    if ((r.totalWeeklyShareQuantity as number) > 0) e.venues++;
    out.set(r.issueSymbolIdentifier as string, e);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// FINRA's daily short-sale volume files of December 2021 (gzip, byte-exact inside), and FINRA's
// per-symbol weekly ATS totals of AAPL and BRK.B.

export const REGSHO_DIR = `${FIXTURES}finra/regsho/`;
export const AAPL_BRKB_WEEKS = `${FIXTURES}finra/ats_w_smbl_T1_AAPL_BRK.B_248_weeks.json`;

/** File name -> gzip bytes, as the CDN double serves them. */
export function regshoFiles(): Map<string, Buffer> {
  return new Map(
    readdirSync(REGSHO_DIR)
      .filter((f) => f.endsWith('.txt.gz'))
      .map((f) => [f.slice(0, -3), readFileSync(`${REGSHO_DIR}${f}`)]),
  );
}

export interface RegshoRow {
  symbol: string;
  short: number;
  exempt: number;
  total: number;
  market: string;
}

const regshoCache = new Map<string, Map<string, RegshoRow>>();

/** A day's rows by the file's own symbol, read with a plain split (not the service's parser). */
export function regshoRows(file: string): Map<string, RegshoRow> {
  const cached = regshoCache.get(file);
  if (cached) return cached;
  const lines = gunzipSync(readFileSync(`${REGSHO_DIR}${file}.gz`))
    .toString('latin1')
    .split('\r\n')
    .filter(Boolean);
  const rows = new Map(
    lines.slice(1, -1).map((l) => {
      const [, symbol, short, exempt, total, market] = l.split('|') as [string, string, string, string, string, string];
      return [symbol, { symbol, short: Number(short), exempt: Number(exempt), total: Number(total), market }];
    }),
  );
  regshoCache.set(file, rows);
  return rows;
}

/** FINRA's ATS_W_SMBL rows for AAPL and BRK.B (T1), as its API returned them. */
export function aaplBrkbTotals(): Row[] {
  return JSON.parse(readFileSync(AAPL_BRKB_WEEKS, 'utf8')) as Row[];
}

// ------------------------------------------------------------------------------------------------
// Real rows under other weeks: the shape and numbers stay FINRA's, only the week (and the dates that
// follow from it on FINRA's calendar) change. For tests that need many weeks of one tier.

/** `rows` (one week of one tier) moved to `weekStart` of `tier`, published `delayDays` after the week starts. */
export function relabelWeek(rows: Row[], weekStart: string, tier: string, delayDays = 35): Row[] {
  const published = new Date(Date.parse(`${weekStart}T00:00:00Z`) + delayDays * 86_400_000).toISOString().slice(0, 10);
  return rows.map((r) => ({
    ...r,
    weekStartDate: weekStart,
    tierIdentifier: tier,
    initialPublishedDate: published,
    lastUpdateDate: published,
  }));
}

/** Mondays, newest first: `count` weeks ending with `newest`. */
export function mondaysBack(newest: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    new Date(Date.parse(`${newest}T00:00:00Z`) - i * 7 * 86_400_000).toISOString().slice(0, 10),
  );
}
