// Classifies each print by the rule set and folds it into candles and statistics, per symbol.
// Only aggregates are kept (never the trades), so memory grows with symbols x intervals, not with
// the file.
import {
  compileRules,
  NO_LAST,
  NO_PRICE,
  NO_STATISTIC,
  ODD_LOT,
  OFF_EXCHANGE,
  roundLot,
  type CompiledRules,
  type RuleSet,
} from './rules.js';
import type { Trade } from './parse.js';
import { newYorkOffsetMinutes, SESSION_CLOSE_MIN, SESSION_MIDPOINT_MIN, SESSION_OPEN_MIN } from './session.js';

const DAY_MS = 86_400_000;

/**
 * Which prints build a set of candles: every print, the lit ones (on an exchange), the off-exchange
 * ones (reported through FINRA), round lots, or lit round lots. A class leaves the others out of
 * its bars entirely: out of volume as well as out of the price.
 */
export const PRINT_CLASSES = ['all', 'lit', 'off-exchange', 'round-lot', 'lit-round-lot'] as const;
export type PrintClass = (typeof PRINT_CLASSES)[number];

export function isPrintClass(name: string): name is PrintClass {
  return (PRINT_CLASSES as readonly string[]).includes(name);
}

function inClass(printClass: PrintClass, offExchange: boolean, oddLot: boolean): boolean {
  switch (printClass) {
    case 'all':
      return true;
    case 'lit':
      return !offExchange;
    case 'off-exchange':
      return offExchange;
    case 'round-lot':
      return !oddLot;
    case 'lit-round-lot':
      return !offExchange && !oddLot;
  }
}

export interface AnalyzeOptions {
  rules: RuleSet;
  intervalSeconds: number;
  largeSize: number;
  largeNotional: number;
  /** A print published more than this after its execution is late. */
  delaySeconds: number;
  /** The classes of prints to build candles from, each side by side with the others. */
  prints: readonly PrintClass[];
  /** Keep late prints out of a bar's open, high, low, close and volume (they are still counted as late). */
  excludeLate: boolean;
}

export const DEFAULT_ANALYZE_OPTIONS = {
  intervalSeconds: 60,
  largeSize: 5_000,
  largeNotional: 200_000,
  delaySeconds: 10,
  prints: ['all'] as readonly PrintClass[],
  excludeLate: false,
} as const;

/** Print-size buckets (shares): their lower bounds. */
export const SIZE_BUCKETS = [0, 100, 200, 500, 1_000, 5_000, 10_000] as const;
export const SIZE_BUCKET_LABELS = ['1-99', '100-199', '200-499', '500-999', '1000-4999', '5000-9999', '10000+'] as const;

export class Candle {
  open = NaN;
  openMs = Infinity;
  close = NaN;
  closeMs = -Infinity;
  high = -Infinity;
  low = Infinity;
  rawHigh = -Infinity;
  rawLow = Infinity;
  notional = 0; // price x size of eligible prints: the VWAP numerator
  eligibleVolume = 0;
  volume = 0;
  volumeRoundLot = 0;
  volumeOddLot = 0;
  volumeOffExchange = 0;
  volumeLit = 0;
  trades = 0;
  tradesRoundLot = 0;
  tradesOddLot = 0;
  tradesOffExchange = 0;
  tradesLit = 0;
  /** Prints published more than the delay threshold after execution (kept out of the bar with excludeLate). */
  tradesLate = 0;
  volumeLate = 0;
  constructor(readonly startMs: number) {}
}

/** A candle's fields that add up when two parts of a file meet in one bar. */
const CANDLE_SUMS = [
  'notional',
  'eligibleVolume',
  'volume',
  'volumeRoundLot',
  'volumeOddLot',
  'volumeOffExchange',
  'volumeLit',
  'trades',
  'tradesRoundLot',
  'tradesOddLot',
  'tradesOffExchange',
  'tradesLit',
  'tradesLate',
  'volumeLate',
] as const satisfies readonly (keyof Candle)[];

/** The later part's prints of a bar into the earlier part's: the same bar one pass over both would build. */
function mergeCandle(c: Candle, later: Candle) {
  if (later.rawHigh > c.rawHigh) c.rawHigh = later.rawHigh;
  if (later.rawLow < c.rawLow) c.rawLow = later.rawLow;
  if (later.high > c.high) c.high = later.high;
  if (later.low < c.low) c.low = later.low;
  // As in one pass: the first print of an instant opens the bar, the last one closes it.
  if (later.openMs < c.openMs) {
    c.openMs = later.openMs;
    c.open = later.open;
  }
  if (later.closeMs >= c.closeMs && later.closeMs !== -Infinity) {
    c.closeMs = later.closeMs;
    c.close = later.close;
  }
  for (const field of CANDLE_SUMS) c[field] += later[field];
}

export interface Print {
  timeMs: number;
  price: number;
  size: number;
  exchange: string;
  conditions: string;
  offExchange: boolean;
}

export interface DelayedPrint extends Print {
  participantMs: number;
  delaySeconds: number;
}

export class SymbolTape {
  /** Per print class (in the order asked for), the candles by start time. */
  readonly candles: Map<number, Candle>[];
  /** Per print class, the candle of its previous print: trades mostly arrive in time order. */
  readonly lastCandle: (Candle | null)[];
  firstMs = Infinity;
  lastMs = -Infinity;
  trades = 0;
  volume = 0;
  offTrades = 0;
  offVolume = 0;
  oddTrades = 0;
  oddVolume = 0;
  /** Prints that update no statistic (official open/close reports): counted, not summed. */
  excludedPrints = 0;
  largeBySize = 0;
  largeByNotional = 0;
  readonly largest: Print[] = [];
  delayedCount = 0;
  readonly delayed: DelayedPrint[] = [];
  withParticipantTime = 0;
  /** [half][bucket] trade counts and volumes for the two halves of the regular session. */
  readonly halfTrades = [new Float64Array(SIZE_BUCKETS.length), new Float64Array(SIZE_BUCKETS.length)];
  readonly halfVolume = [new Float64Array(SIZE_BUCKETS.length), new Float64Array(SIZE_BUCKETS.length)];
  readonly facilityVolume = new Map<string, number>();
  constructor(
    readonly symbol: string,
    classes: number,
  ) {
    this.candles = Array.from({ length: classes }, () => new Map<number, Candle>());
    this.lastCandle = new Array<Candle | null>(classes).fill(null);
  }
}

/** A symbol tape's counts that add up across parts of a file. */
const TAPE_SUMS = [
  'trades',
  'volume',
  'offTrades',
  'offVolume',
  'oddTrades',
  'oddVolume',
  'excludedPrints',
  'largeBySize',
  'largeByNotional',
  'delayedCount',
  'withParticipantTime',
] as const satisfies readonly (keyof SymbolTape)[];

/**
 * A later part of the file's tape of a symbol into the earlier part's. Ties go to the earlier part,
 * as in one pass; only the order of floating-point additions can differ, far below the report's
 * six decimals.
 */
function mergeTape(s: SymbolTape, later: SymbolTape) {
  if (later.firstMs < s.firstMs) s.firstMs = later.firstMs;
  if (later.lastMs > s.lastMs) s.lastMs = later.lastMs;
  for (const field of TAPE_SUMS) s[field] += later[field];
  for (const p of later.largest) keepTop(s.largest, p, (q) => q.size);
  for (const p of later.delayed) keepTop(s.delayed, p, (q) => q.delaySeconds);
  for (let half = 0; half < 2; half++) {
    for (let b = 0; b < SIZE_BUCKETS.length; b++) {
      s.halfTrades[half]![b]! += later.halfTrades[half]![b]!;
      s.halfVolume[half]![b]! += later.halfVolume[half]![b]!;
    }
  }
  for (const [facility, volume] of later.facilityVolume) s.facilityVolume.set(facility, (s.facilityVolume.get(facility) ?? 0) + volume);
  later.candles.forEach((bars, k) => {
    for (const [start, bar] of bars) {
      const mine = s.candles[k]!.get(start);
      if (mine) mergeCandle(mine, bar);
      else s.candles[k]!.set(start, bar);
    }
  });
}

const TOP_N = 10;

// A print's verdict, as bits: counts in volume, odd lot, off-exchange, moves high/low, moves open/close, late.
const COUNTS = 1;
const ODD = 2;
const OFF = 4;
const MOVES = 8;
const LAST = 16;
const LATE = 32;

function sizeBucket(size: number): number {
  let b = SIZE_BUCKETS.length - 1;
  while (size < SIZE_BUCKETS[b]!) b--;
  return b;
}

/** Keeps the N largest by `key`, largest first. */
function keepTop<T>(list: T[], item: T, key: (t: T) => number) {
  if (list.length === TOP_N && key(item) <= key(list[TOP_N - 1]!)) return;
  let i = list.length;
  while (i > 0 && key(list[i - 1]!) < key(item)) i--;
  list.splice(i, 0, item);
  if (list.length > TOP_N) list.pop();
}

export class TapeAnalyzer {
  readonly symbols = new Map<string, SymbolTape>();
  private readonly compiled: CompiledRules;
  private readonly intervalMs: number;
  private last: SymbolTape | null = null;
  // The regular session of the New York day of the previous print, in UTC ms.
  private dayStart = Infinity;
  private dayEnd = -Infinity;
  private sessionOpen = 0;
  private sessionMid = 0;
  private sessionClose = 0;

  constructor(readonly options: AnalyzeOptions) {
    this.compiled = compileRules(options.rules);
    this.intervalMs = options.intervalSeconds * 1000;
  }

  /**
   * Takes in the tapes of a later part of the same file, analysed apart (on another thread, so
   * possibly copied as plain data): afterwards the analyzer holds what one pass over both parts gives.
   */
  absorb(later: Iterable<SymbolTape>): void {
    for (const tape of later) {
      const mine = this.symbols.get(tape.symbol);
      if (mine) mergeTape(mine, tape);
      else this.symbols.set(tape.symbol, tape);
    }
  }

  add(t: Trade): void {
    let s = this.last;
    if (s === null || s.symbol !== t.symbol) {
      s = this.symbols.get(t.symbol) ?? null;
      if (s === null) {
        s = new SymbolTape(t.symbol, this.options.prints.length);
        this.symbols.set(t.symbol, s);
      }
      this.last = s;
    }
    const { offExchangeParticipant, rules } = this.compiled;
    const table = this.compiled.conditionFlags[(t.timeMs < rules.oddLotConditionsSinceMs ? 2 : 0) + (t.tape === 'C' ? 1 : 0)]!;
    let flags = 0;
    for (let i = 0; i < t.conditions.length; i++) {
      const code = t.conditions.charCodeAt(i);
      if (code < 128) flags |= table[code]!;
    }
    const exchangeCode = t.exchange.charCodeAt(0);
    const offExchange = (exchangeCode < 128 && offExchangeParticipant[exchangeCode] === 1) || (flags & OFF_EXCHANGE) !== 0;
    const oddLot = (flags & ODD_LOT) !== 0 || (rules.oddLotBySize && t.size < roundLot(t.price, t.timeMs));
    const countsVolume = (flags & NO_STATISTIC) === 0;
    const movesPrice = countsVolume && !oddLot && (flags & NO_PRICE) === 0;
    const movesLast = movesPrice && (flags & NO_LAST) === 0;

    if (t.timeMs < s.firstMs) s.firstMs = t.timeMs;
    if (t.timeMs > s.lastMs) s.lastMs = t.timeMs;

    const late = !Number.isNaN(t.participantMs) && (t.timeMs - t.participantMs) / 1000 > this.options.delaySeconds;
    // The rules' verdict as bits: no object per trade on the hot path.
    const verdict =
      (countsVolume ? COUNTS : 0) |
      (oddLot ? ODD : 0) |
      (offExchange ? OFF : 0) |
      (movesPrice ? MOVES : 0) |
      (movesLast ? LAST : 0) |
      (late ? LATE : 0);
    const start = Math.floor(t.timeMs / this.intervalMs) * this.intervalMs;
    const classes = this.options.prints;
    for (let k = 0; k < classes.length; k++) {
      if (!inClass(classes[k]!, offExchange, oddLot)) continue;
      let c: Candle | null = s.lastCandle[k] ?? null;
      if (c === null || c.startMs !== start) {
        c = s.candles[k]!.get(start) ?? null;
        if (c === null) {
          c = new Candle(start);
          s.candles[k]!.set(start, c);
        }
        s.lastCandle[k] = c;
      }
      this.fold(c, t, verdict);
    }

    if (!countsVolume) {
      s.excludedPrints++;
      return;
    }
    const size = t.size;
    s.trades++;
    s.volume += size;
    if (oddLot) {
      s.oddTrades++;
      s.oddVolume += size;
    }
    if (offExchange) {
      s.offTrades++;
      s.offVolume += size;
      const facility = this.facility(t);
      s.facilityVolume.set(facility, (s.facilityVolume.get(facility) ?? 0) + size);
    }

    const half = this.sessionHalf(t.timeMs);
    if (half >= 0) {
      const b = sizeBucket(size);
      s.halfTrades[half]![b]!++;
      s.halfVolume[half]![b]! += size;
    }

    const notional = t.price * size;
    const bySize = size >= this.options.largeSize;
    const byNotional = notional >= this.options.largeNotional;
    if (bySize) s.largeBySize++;
    if (byNotional) s.largeByNotional++;
    if (bySize || byNotional) keepTop(s.largest, this.print(t, offExchange), (p) => p.size);

    if (!Number.isNaN(t.participantMs)) {
      s.withParticipantTime++;
      const delay = (t.timeMs - t.participantMs) / 1000;
      if (delay > this.options.delaySeconds) {
        s.delayedCount++;
        keepTop(s.delayed, { ...this.print(t, offExchange), participantMs: t.participantMs, delaySeconds: delay }, (p) => p.delaySeconds);
      }
    }
  }

  /** One print into one bar, by the rules' verdict on it. */
  private fold(c: Candle, t: Trade, verdict: number) {
    // The naive candle takes every print.
    if (t.price > c.rawHigh) c.rawHigh = t.price;
    if (t.price < c.rawLow) c.rawLow = t.price;
    if ((verdict & COUNTS) === 0) return;
    const size = t.size;
    if (verdict & LATE) {
      c.tradesLate++;
      c.volumeLate += size;
      if (this.options.excludeLate) return;
    }
    c.volume += size;
    c.trades++;
    if (verdict & ODD) {
      c.volumeOddLot += size;
      c.tradesOddLot++;
    } else {
      c.volumeRoundLot += size;
      c.tradesRoundLot++;
    }
    if (verdict & OFF) {
      c.volumeOffExchange += size;
      c.tradesOffExchange++;
    } else {
      c.volumeLit += size;
      c.tradesLit++;
    }
    if (verdict & MOVES) {
      if (t.price > c.high) c.high = t.price;
      if (t.price < c.low) c.low = t.price;
      if (verdict & LAST && t.timeMs < c.openMs) {
        c.openMs = t.timeMs;
        c.open = t.price;
      }
      if (verdict & LAST && t.timeMs >= c.closeMs) {
        c.closeMs = t.timeMs;
        c.close = t.price;
      }
      c.notional += t.price * size;
      c.eligibleVolume += size;
    }
  }

  /** 0 = first half of the regular session, 1 = second half, -1 = outside it. */
  private sessionHalf(timeMs: number): number {
    if (timeMs < this.dayStart || timeMs >= this.dayEnd) {
      const offsetMs = newYorkOffsetMinutes(timeMs) * 60_000;
      this.dayStart = Math.floor((timeMs + offsetMs) / DAY_MS) * DAY_MS - offsetMs;
      this.dayEnd = this.dayStart + DAY_MS;
      this.sessionOpen = this.dayStart + SESSION_OPEN_MIN * 60_000;
      this.sessionMid = this.dayStart + SESSION_MIDPOINT_MIN * 60_000;
      this.sessionClose = this.dayStart + SESSION_CLOSE_MIN * 60_000;
    }
    if (timeMs < this.sessionOpen || timeMs >= this.sessionClose) return -1;
    return timeMs < this.sessionMid ? 0 : 1;
  }

  private print(t: Trade, offExchange: boolean): Print {
    return { timeMs: t.timeMs, price: t.price, size: t.size, exchange: t.exchange, conditions: t.conditions, offExchange };
  }

  /** Which FINRA facility an off-exchange print went through, by its tape's TRF id table. */
  private facility(t: Trade): string {
    if (t.trfId === '') return 'facility not given';
    const table =
      t.tape === 'C' ? this.compiled.rules.facilities.UTP : t.tape === 'A' || t.tape === 'B' ? this.compiled.rules.facilities.CTS : null;
    if (!table) return t.trfId ? `TRF id ${t.trfId} (tape unknown)` : 'unknown facility';
    return table[t.trfId] ?? `unknown TRF id ${t.trfId}`;
  }
}
