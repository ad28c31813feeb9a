// The tape analysis as JSON (and candles as CSV): per symbol and for the whole run.
import {
  SIZE_BUCKET_LABELS,
  type AnalyzeOptions,
  type DelayedPrint,
  type Print,
  type PrintClass,
  type SymbolTape,
  type TapeAnalyzer,
} from './analyze.js';
import * as bar from './bar.js';
import { jsonChunks, LazyRecords, type JsonSpace } from './json-text.js';
import type { ParseSummary } from './parse.js';
import { isoTime as iso, newYorkDate } from './session.js';

const r6 = (v: number) => Math.round(v * 1e6) / 1e6;
const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
const price = (v: number) => (Number.isFinite(v) ? v : null);

export type DarkToLitBand = 'lit-dominant' | 'elevated' | 'heavy';

/** Off-exchange volume over lit volume: below 0.3 lit-dominant, 0.3 to 0.6 elevated, above 0.6 heavy. */
export function darkToLit(offVolume: number, litVolume: number): { ratio: number | null; band: DarkToLitBand | null } {
  if (litVolume <= 0) return { ratio: null, band: null };
  const ratio = offVolume / litVolume;
  return { ratio: r4(ratio), band: ratio < 0.3 ? 'lit-dominant' : ratio <= 0.6 ? 'elevated' : 'heavy' };
}

interface Counts {
  trades: number;
  volume: number;
  offTrades: number;
  offVolume: number;
  oddTrades: number;
  oddVolume: number;
  excludedPrints: number;
}

function statistics(c: Counts, facilities: Map<string, number>) {
  const litVolume = c.volume - c.offVolume;
  const share = (part: number, whole: number) => (whole > 0 ? r4(part / whole) : null);
  const dl = darkToLit(c.offVolume, litVolume);
  return {
    trades: c.trades,
    volume: r6(c.volume),
    off_exchange_trades: c.offTrades,
    off_exchange_volume: r6(c.offVolume),
    lit_trades: c.trades - c.offTrades,
    lit_volume: r6(litVolume),
    odd_lot_trades: c.oddTrades,
    odd_lot_volume: r6(c.oddVolume),
    round_lot_trades: c.trades - c.oddTrades,
    round_lot_volume: r6(c.volume - c.oddVolume),
    off_exchange_trade_share: share(c.offTrades, c.trades),
    off_exchange_volume_share: share(c.offVolume, c.volume),
    odd_lot_trade_share: share(c.oddTrades, c.trades),
    odd_lot_volume_share: share(c.oddVolume, c.volume),
    dark_to_lit_ratio: dl.ratio,
    dark_to_lit_band: dl.band,
    prints_without_statistics: c.excludedPrints,
    off_exchange_volume_by_facility: Object.fromEntries([...facilities].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, r6(v)])),
  };
}

/** A bar's numbers (`v` from offset `at`) as the report's candle. */
export function candleRecord(v: ArrayLike<number>, at: number, intervalMs: number, prints: PrintClass) {
  const high = price(v[at + bar.HIGH]!);
  const low = price(v[at + bar.LOW]!);
  const eligibleVolume = v[at + bar.ELIGIBLE_VOLUME]!;
  return {
    prints,
    start: iso(v[at + bar.START]!),
    end: iso(v[at + bar.START]! + intervalMs),
    open: price(v[at + bar.OPEN]!),
    high,
    low,
    close: price(v[at + bar.CLOSE]!),
    vwap: eligibleVolume > 0 ? r6(v[at + bar.NOTIONAL]! / eligibleVolume) : null,
    raw_high: price(v[at + bar.RAW_HIGH]!),
    raw_low: price(v[at + bar.RAW_LOW]!),
    // The naive candle (every print) reaches beyond the one the rules allow.
    phantom_high: v[at + bar.RAW_HIGH]! > (high ?? -Infinity),
    phantom_low: v[at + bar.RAW_LOW]! < (low ?? Infinity),
    volume: r6(v[at + bar.VOLUME]!),
    volume_round_lot: r6(v[at + bar.VOLUME_ROUND_LOT]!),
    volume_odd_lot: r6(v[at + bar.VOLUME_ODD_LOT]!),
    volume_off_exchange: r6(v[at + bar.VOLUME_OFF_EXCHANGE]!),
    volume_lit: r6(v[at + bar.VOLUME_LIT]!),
    trades: v[at + bar.TRADES]!,
    trades_round_lot: v[at + bar.TRADES_ROUND_LOT]!,
    trades_odd_lot: v[at + bar.TRADES_ODD_LOT]!,
    trades_off_exchange: v[at + bar.TRADES_OFF_EXCHANGE]!,
    trades_lit: v[at + bar.TRADES_LIT]!,
    trades_late: v[at + bar.TRADES_LATE]!,
    volume_late: r6(v[at + bar.VOLUME_LATE]!),
  };
}

/** A number's JSON text (JSON.stringify writes null for NaN and the infinities). */
const num = (v: number) => (Number.isFinite(v) ? String(v) : 'null');

/**
 * The members of candleRecord's object as JSON text, each after its key's text in `keys` (see
 * LazyRecords): a report writes thousands of bars, and made this way, with no object per bar and no
 * value's type looked at, the seed count's 19,321 took 46 ms against 92, most of it before the JIT
 * compiler had warmed up. `prints` is the print class's JSON text. A test holds the two equal.
 */
export function candleMembers(v: ArrayLike<number>, at: number, intervalMs: number, prints: string, keys: readonly string[]): string {
  const high = price(v[at + bar.HIGH]!);
  const low = price(v[at + bar.LOW]!);
  const eligibleVolume = v[at + bar.ELIGIBLE_VOLUME]!;
  return (
    `${keys[0]}${prints}${keys[1]}"${iso(v[at + bar.START]!)}"${keys[2]}"${iso(v[at + bar.START]! + intervalMs)}"` +
    `${keys[3]}${num(v[at + bar.OPEN]!)}${keys[4]}${num(v[at + bar.HIGH]!)}${keys[5]}${num(v[at + bar.LOW]!)}${keys[6]}${num(v[at + bar.CLOSE]!)}` +
    `${keys[7]}${eligibleVolume > 0 ? num(r6(v[at + bar.NOTIONAL]! / eligibleVolume)) : 'null'}` +
    `${keys[8]}${num(v[at + bar.RAW_HIGH]!)}${keys[9]}${num(v[at + bar.RAW_LOW]!)}` +
    `${keys[10]}${v[at + bar.RAW_HIGH]! > (high ?? -Infinity)}${keys[11]}${v[at + bar.RAW_LOW]! < (low ?? Infinity)}` +
    `${keys[12]}${num(r6(v[at + bar.VOLUME]!))}${keys[13]}${num(r6(v[at + bar.VOLUME_ROUND_LOT]!))}` +
    `${keys[14]}${num(r6(v[at + bar.VOLUME_ODD_LOT]!))}${keys[15]}${num(r6(v[at + bar.VOLUME_OFF_EXCHANGE]!))}` +
    `${keys[16]}${num(r6(v[at + bar.VOLUME_LIT]!))}${keys[17]}${num(v[at + bar.TRADES]!)}` +
    `${keys[18]}${num(v[at + bar.TRADES_ROUND_LOT]!)}${keys[19]}${num(v[at + bar.TRADES_ODD_LOT]!)}` +
    `${keys[20]}${num(v[at + bar.TRADES_OFF_EXCHANGE]!)}${keys[21]}${num(v[at + bar.TRADES_LIT]!)}` +
    `${keys[22]}${num(v[at + bar.TRADES_LATE]!)}${keys[23]}${num(r6(v[at + bar.VOLUME_LATE]!))}`
  );
}

/** Every class's candles of a symbol, by start time, the classes in the order asked for within a start. */
function sortedCandles(s: SymbolTape, classes: readonly PrintClass[]) {
  const all = classes.flatMap((printClass, k) => {
    const { slots, values } = s.candles[k]!;
    return Array.from(slots, ([interval, at]) => ({ interval, at, values, k, printClass }));
  });
  return all.sort((a, b) => a.interval - b.interval || a.k - b.k);
}

/** The record of one of sortedCandles' bars. */
const recordOf = (sorted: ReturnType<typeof sortedCandles>[number], intervalMs: number) =>
  candleRecord(sorted.values, sorted.at, intervalMs, sorted.printClass);

function printRecord(p: Print) {
  return {
    time: iso(p.timeMs),
    price: p.price,
    size: p.size,
    notional: r6(p.price * p.size),
    exchange: p.exchange,
    conditions: p.conditions,
    off_exchange: p.offExchange,
  };
}

function sizeDistribution(s: SymbolTape) {
  const half = (h: 0 | 1) => {
    const total = s.halfTrades[h]!.reduce((n, v) => n + v, 0);
    return SIZE_BUCKET_LABELS.map((label, b) => ({
      bucket: label,
      trades: s.halfTrades[h]![b]!,
      volume: r6(s.halfVolume[h]![b]!),
      trade_share: total > 0 ? r4(s.halfTrades[h]![b]! / total) : null,
    }));
  };
  const first = half(0);
  const second = half(1);
  return {
    session: 'regular session 09:30-16:00 New York time, halves split at 12:45',
    first_half: first,
    second_half: second,
    // Percentage points of trades that moved into (or out of) each bucket from the first half to the second.
    shift_pct_points: SIZE_BUCKET_LABELS.map((label, b) => ({
      bucket: label,
      change:
        first[b]!.trade_share === null || second[b]!.trade_share === null
          ? null
          : r4((second[b]!.trade_share! - first[b]!.trade_share!) * 100),
    })),
  };
}

export interface FinraCrossCheck {
  status: 'loaded' | 'week_not_loaded' | 'no_store';
  [key: string]: unknown;
}

export type CrossCheck = (symbol: string, newYorkDate: string, offExchangeVolume: number) => FinraCrossCheck;

export function buildReport(analyzer: TapeAnalyzer, parse: ParseSummary, crossCheck: CrossCheck | null) {
  const intervalMs = analyzer.options.intervalSeconds * 1000;
  return assemble(analyzer, parse, crossCheck, (s) => sortedCandles(s, analyzer.options.prints).map((bar) => recordOf(bar, intervalMs)));
}

/**
 * The report's JSON text, as `JSON.stringify(buildReport(...), null, space)` gives it, in chunks of
 * 64 to 128 KB, each candle made as it is written (see json-text.ts).
 */
export function reportJson(
  analyzer: TapeAnalyzer,
  parse: ParseSummary,
  crossCheck: CrossCheck | null,
  space: JsonSpace,
): Generator<string> {
  const intervalMs = analyzer.options.intervalSeconds * 1000;
  const printsText = analyzer.options.prints.map((p) => JSON.stringify(p));
  const report = assemble(analyzer, parse, crossCheck, (s) => {
    // Sorted when the symbol's turn comes, and let go after its last bar: sorted all at once, a whole
    // market's bars would each hold an entry in memory until the end (4 million of them).
    let sorted: ReturnType<typeof sortedCandles> | null = null;
    const count = s.candles.reduce((n, book) => n + book.slots.size, 0);
    const barAt = (i: number) => {
      sorted ??= sortedCandles(s, analyzer.options.prints);
      const found = sorted[i]!;
      if (i === count - 1) sorted = null;
      return found;
    };
    return new LazyRecords(
      count,
      (i) => recordOf(barAt(i), intervalMs),
      (i, keys) => {
        const found = barAt(i);
        return candleMembers(found.values, found.at, intervalMs, printsText[found.k]!, keys);
      },
    );
  });
  return jsonChunks(report, space);
}

function assemble<C>(analyzer: TapeAnalyzer, parse: ParseSummary, crossCheck: CrossCheck | null, candlesOf: (s: SymbolTape) => C) {
  const options: AnalyzeOptions = analyzer.options;
  const total: Counts = { trades: 0, volume: 0, offTrades: 0, offVolume: 0, oddTrades: 0, oddVolume: 0, excludedPrints: 0 };
  const facilities = new Map<string, number>();
  const symbols = bySymbol(analyzer).map((s) => {
    for (const k of Object.keys(total) as (keyof Counts)[]) total[k] += s[k];
    for (const [f, v] of s.facilityVolume) facilities.set(f, (facilities.get(f) ?? 0) + v);
    const day = newYorkDate(s.firstMs);
    return {
      symbol: s.symbol,
      first_trade: iso(s.firstMs),
      last_trade: iso(s.lastMs),
      statistics: statistics(s, s.facilityVolume),
      large_prints: {
        size_threshold: options.largeSize,
        notional_threshold: options.largeNotional,
        by_size: s.largeBySize,
        by_notional: s.largeByNotional,
        largest: s.largest.map(printRecord),
      },
      delayed_prints: {
        threshold_seconds: options.delaySeconds,
        with_participant_time: s.withParticipantTime,
        count: s.delayedCount,
        longest: s.delayed.map((p: DelayedPrint) => ({
          ...printRecord(p),
          participant_time: iso(p.participantMs),
          delay_seconds: r6(p.delaySeconds),
        })),
      },
      size_distribution: sizeDistribution(s),
      finra: crossCheck ? crossCheck(s.symbol, day, s.offVolume) : { status: 'no_store' as const },
      candles: candlesOf(s),
    };
  });
  return {
    rules: { name: options.rules.name, description: options.rules.description },
    interval_seconds: options.intervalSeconds,
    prints: [...options.prints],
    late_prints: { threshold_seconds: options.delaySeconds, excluded_from_candles: options.excludeLate },
    input: {
      format: parse.format,
      layout: parse.layout,
      lines: parse.lines,
      trades: parse.trades,
      malformed: parse.malformed,
      malformed_rows: parse.malformedRows,
      superseded: parse.superseded,
      other_symbols: parse.otherSymbols,
    },
    totals: statistics(total, facilities),
    symbols,
  };
}

export type TapeReport = ReturnType<typeof buildReport>;

export const CANDLE_CSV_COLUMNS = ['symbol', ...Object.keys(candleRecord(bar.EMPTY_BAR, 0, 1, 'all'))];

/** The candles of every symbol as CSV rows (the columns above), each made as it is read. */
export function* candleRows(analyzer: TapeAnalyzer) {
  const intervalMs = analyzer.options.intervalSeconds * 1000;
  for (const s of bySymbol(analyzer)) {
    for (const sorted of sortedCandles(s, analyzer.options.prints)) yield { symbol: s.symbol, ...recordOf(sorted, intervalMs) };
  }
}

const bySymbol = (analyzer: TapeAnalyzer) => [...analyzer.symbols.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : 1));
