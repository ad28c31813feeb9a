// Full-scale FINRA weeks, generated deterministically (synthetic, for load and benchmarks only):
// about 12,300 symbols and 110,000 per-ATS rows a week across the three tiers, 35 ATSs, with
// FINRA's per-symbol totals and non-ATS totals that match, in the API's row shape.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { DAILY_COLUMNS } from '../src/finra/short-volume-file.js';
import { addDays, tradingDaysBetween } from '../src/domain/calendar.js';
import { ROW_FIELDS } from '../src/finra/client.js';
import type { Tier } from '../src/domain/tiers.js';

export type Row = Record<string, unknown>;

export const ATSS = [
  'UBSA',
  'JPBX',
  'MLIX',
  'INCR',
  'KCGM',
  'SGMT',
  'LATS',
  'EBXL',
  'CGXS',
  'BIDS',
  'ICBX',
  'IATS',
  'MSPL',
  'MSRP',
  'MSTX',
  'XSTM',
  'CODA',
  'ONEC',
  'MOON',
  'BLUE',
  'IEOS',
  'BOSS',
  'PURE',
  'ITGP',
  'BNPX',
  'ALPX',
  'DBAX',
  'GSCO',
  'CBLC',
  'NYFX',
  'TWXS',
  'AQUA',
  'LQNT',
  'FNLX',
  'HRTS',
] as const;

/** Non-ATS firms (wholesalers); each symbol trades with a few, and FINRA's "De Minimis Firms" row sums the rest. */
const WHOLESALERS = [
  'CITADEL SECURITIES LLC',
  'VIRTU AMERICAS LLC',
  'JANE STREET CAPITAL, LLC',
  'HRT FINANCIAL LP',
  'G1 EXECUTION SERVICES, LLC',
  'TWO SIGMA SECURITIES, LLC',
  'JUMP EXECUTION, LLC',
  'UBS SECURITIES LLC',
] as const;

interface TierShape {
  symbols: number;
  venues: [number, number];
  price: [number, number];
  meanShares: number;
  prefix: string;
  /** Named non-ATS firms per symbol (plus the De Minimis row). */
  wholesalers: number;
}

export const TIER_SHAPES: Record<Tier, TierShape> = {
  T1: { symbols: 1_800, venues: [18, 32], price: [15, 600], meanShares: 6_000_000, prefix: 'A', wholesalers: 8 },
  T2: { symbols: 7_000, venues: [4, 13], price: [2, 120], meanShares: 400_000, prefix: 'B', wholesalers: 4 },
  OTCE: { symbols: 3_500, venues: [1, 3], price: [0.001, 6], meanShares: 900_000, prefix: 'C', wholesalers: 2 },
};

/** mulberry32: small, fast, and the same numbers on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function symbolOf(tier: Tier, i: number): string {
  // Deterministic letters: A0000 -> "AAAAA"-like 5-letter symbols, unique per tier.
  let n = i;
  let s = '';
  for (let k = 0; k < 4; k++) {
    s = String.fromCharCode(65 + (n % 26)) + s;
    n = Math.floor(n / 26);
  }
  return `${TIER_SHAPES[tier].prefix}${s}`;
}

/** The 52 (or `count`) Mondays ending at `newest`, newest first. */
export function weeksEndingAt(newest: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => addDays(newest, -7 * i));
}

/** One (week, tier) of ATS_W_SMBL_FIRM, ATS_W_SMBL, OTC_W_SMBL and OTC_W_SMBL_FIRM rows. */
export function syntheticWeekRows(weekStart: string, tier: Tier): { firm: Row[]; totals: Row[]; nonAts: Row[]; nonAtsFirm: Row[] } {
  const shape = TIER_SHAPES[tier];
  const published = addDays(weekStart, tier === 'T1' ? 21 : 35);
  const base = {
    weekStartDate: weekStart,
    tierIdentifier: tier,
    tierDescription: tier === 'T1' ? 'NMS Tier 1' : tier === 'T2' ? 'NMS Tier 2' : 'OTCE',
    productTypeCode: tier === 'OTCE' ? 'OTCE' : 'UTP',
    initialPublishedDate: published,
    lastUpdateDate: published,
    lastReportedDate: addDays(weekStart, 4),
    summaryStartDate: weekStart,
    firmCRDNumber: null,
  };
  const firm: Row[] = [];
  const totals: Row[] = [];
  const nonAts: Row[] = [];
  const nonAtsFirm: Row[] = [];
  for (let i = 0; i < shape.symbols; i++) {
    const symbol = symbolOf(tier, i);
    const own = prng(hash(symbol)); // the symbol's character: price, size, venue count
    const week = prng(hash(`${symbol}|${weekStart}`)); // this week's draw
    const price = shape.price[0] + own() * (shape.price[1] - shape.price[0]);
    const scale = shape.meanShares * Math.exp(2 * own() - 1) * (0.7 + 0.6 * week());
    const venueCount = shape.venues[0] + Math.floor(own() * (shape.venues[1] - shape.venues[0] + 1));
    const start = Math.floor(own() * ATSS.length);
    const issueName = `${symbol} Synthetic Holdings Common Stock`;
    let shares = 0;
    let trades = 0;
    let notional = 0;
    for (let v = 0; v < venueCount; v++) {
      const mpid = ATSS[(start + v * 3) % ATSS.length]!; // 3 is coprime with 35: distinct venues
      const q = Math.max(1, Math.round((scale / venueCount) * (0.2 + 1.6 * week())));
      const t = Math.max(1, Math.round(q / (80 + 400 * week())));
      const usd = Math.round(q * price * (0.98 + 0.04 * week()) * 100) / 100;
      shares += q;
      trades += t;
      notional += usd;
      firm.push({
        ...base,
        summaryTypeCode: 'ATS_W_SMBL_FIRM',
        issueSymbolIdentifier: symbol,
        issueName,
        MPID: mpid,
        marketParticipantName: `${mpid} ${mpid} ATS`,
        totalWeeklyShareQuantity: q,
        totalWeeklyTradeCount: t,
        totalNotionalSum: usd,
      });
    }
    const total = { ...base, issueSymbolIdentifier: symbol, issueName, MPID: null, marketParticipantName: null };
    totals.push({
      ...total,
      summaryTypeCode: 'ATS_W_SMBL',
      totalWeeklyShareQuantity: shares,
      totalWeeklyTradeCount: trades,
      totalNotionalSum: Math.round(notional * 100) / 100,
    });
    const other = Math.round(shares * (1 + 3 * week()));
    const otherTrades = Math.max(1, Math.round(other / 150));
    nonAts.push({
      ...total,
      summaryTypeCode: 'OTC_W_SMBL',
      totalWeeklyShareQuantity: other,
      totalWeeklyTradeCount: otherTrades,
      totalNotionalSum: null,
    });
    // The firms' rows add up to the non-ATS total exactly, as FINRA's do; the last (De Minimis) takes the rest.
    const names = [...WHOLESALERS.slice(0, shape.wholesalers), 'De Minimis Firms'];
    let sharesLeft = other;
    let tradesLeft = otherTrades;
    names.forEach((name, k) => {
      const last = k === names.length - 1;
      const q = last ? sharesLeft : Math.floor(sharesLeft * (0.3 + 0.3 * week()));
      const t = last ? tradesLeft : Math.floor(tradesLeft * (0.3 + 0.3 * week()));
      sharesLeft -= q;
      tradesLeft -= t;
      nonAtsFirm.push({
        ...total,
        summaryTypeCode: 'OTC_W_SMBL_FIRM',
        marketParticipantName: name,
        totalWeeklyShareQuantity: q,
        totalWeeklyTradeCount: t,
        totalNotionalSum: null,
      });
    });
  }
  return { firm, totals, nonAts, nonAtsFirm };
}

/**
 * FINRA's daily short-sale volume files of one week, consistent with the weekly rows: each T1 and T2
 * symbol's off-exchange volume of the week (ATS + non-ATS) split over its trading days (the files do
 * not cover OTC equities). Written as FINRA writes them: header, CRLF lines, a row-count trailer.
 */
export function syntheticDailyFiles(weekStart: string): { tradeDate: string; text: string }[] {
  const days = tradingDaysBetween(weekStart, addDays(weekStart, 4));
  const lines: string[][] = days.map(() => []);
  for (const tier of ['T1', 'T2'] as const) {
    const { totals, nonAts } = syntheticWeekRows(weekStart, tier);
    totals.forEach((total, i) => {
      const symbol = total.issueSymbolIdentifier as string;
      const off = (total.totalWeeklyShareQuantity as number) + (nonAts[i]!.totalWeeklyShareQuantity as number);
      const draw = prng(hash(`${symbol}|${weekStart}|daily`));
      const weights = days.map(() => 0.5 + draw());
      const sum = weights.reduce((a, b) => a + b, 0);
      let left = off;
      days.forEach((day, k) => {
        const volume = k === days.length - 1 ? left : Math.floor((off * weights[k]!) / sum);
        left -= volume;
        const short = Math.round(volume * (0.3 + 0.3 * draw()));
        lines[k]!.push(`${day.replaceAll('-', '')}|${symbol}|${short}|${Math.round(short * 0.01)}|${volume}|B,Q,N`);
      });
    });
  }
  return days.map((tradeDate, k) => ({
    tradeDate,
    text: `${[DAILY_COLUMNS.join('|'), ...lines[k]!, String(lines[k]!.length)].join('\r\n')}\r\n`,
  }));
}

/** The rows of one summary type, as FINRA's API filters them. */
export function rowsOfType(rows: ReturnType<typeof syntheticWeekRows>, type: string): Row[] {
  const byType: Record<string, Row[]> = {
    ATS_W_SMBL_FIRM: rows.firm,
    ATS_W_SMBL: rows.totals,
    OTC_W_SMBL: rows.nonAts,
    OTC_W_SMBL_FIRM: rows.nonAtsFirm,
  };
  return byType[type] ?? [];
}

/** Where the week files are kept; the name changes with what the generator writes. */
export const WEEK_FILES_DIR = 'bench/data/finra-weeks-2';

/**
 * The weeks as files of FINRA API rows (one JSON object per line, only the fields the service asks
 * for), written once and reused: serving them costs the FINRA double nothing but reading and gzip.
 */
export function weekFile(dir: string, weekStart: string, tier: Tier): string {
  return join(dir, `${weekStart}_${tier}.jsonl.gz`);
}

export function ensureWeekFiles(dir: string, weeks: string[], tiers: readonly Tier[], onWrite?: (file: string) => void): void {
  mkdirSync(dir, { recursive: true });
  for (const week of weeks) {
    for (const tier of tiers) {
      const file = weekFile(dir, week, tier);
      if (existsSync(file)) continue;
      const { firm, totals, nonAts, nonAtsFirm } = syntheticWeekRows(week, tier);
      const lines = [...firm, ...totals, ...nonAts, ...nonAtsFirm].map((r) =>
        JSON.stringify(Object.fromEntries(ROW_FIELDS.map((f) => [f, r[f] ?? null]))),
      );
      writeFileSync(`${file}.tmp`, gzipSync(lines.join('\n')));
      renameSync(`${file}.tmp`, file);
      onWrite?.(file);
    }
  }
}

export function readWeekFile(file: string): string[] {
  return gunzipSync(readFileSync(file)).toString('utf8').split('\n');
}
