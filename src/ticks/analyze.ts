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
import {
  CANDLE_NUMBERS,
  CLOSE,
  CLOSE_MS,
  ELIGIBLE_VOLUME,
  EMPTY_BAR,
  HIGH,
  LOW,
  NOTIONAL,
  OPEN,
  OPEN_MS,
  RAW_HIGH,
  RAW_LOW,
  TRADES,
  TRADES_LATE,
  TRADES_LIT,
  TRADES_ODD_LOT,
  TRADES_OFF_EXCHANGE,
  TRADES_ROUND_LOT,
  VOLUME,
  VOLUME_LATE,
  VOLUME_LIT,
  VOLUME_ODD_LOT,
  VOLUME_OFF_EXCHANGE,
  VOLUME_ROUND_LOT,
} from './bar.js';
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
  /** The most bars (symbols x intervals x print classes) to hold: the API bounds an upload's memory with it. */
  maxBars: number;
}

/** The input makes more bars than `maxBars`. */
export class TooManyBarsError extends Error {
  constructor(maxBars: number) {
    super(`the trades make more than ${maxBars} candles (symbols x intervals x print classes)`);
    this.name = 'TooManyBarsError';
  }
}

export const DEFAULT_ANALYZE_OPTIONS = {
  intervalSeconds: 60,
  largeSize: 5_000,
  largeNotional: 200_000,
  delaySeconds: 10,
  prints: ['all'] as readonly PrintClass[],
  excludeLate: false,
  maxBars: Infinity,
} as const;

/** Print-size buckets (shares): their lower bounds. */
export const SIZE_BUCKETS = [0, 100, 200, 500, 1_000, 5_000, 10_000] as const;
export const SIZE_BUCKET_LABELS = ['1-99', '100-199', '200-499', '500-999', '1000-4999', '5000-9999', '10000+'] as const;

/** The fields of a bar's numbers that add up when two parts of a file meet in one bar. */
const SUMS = [
  NOTIONAL,
  ELIGIBLE_VOLUME,
  VOLUME,
  VOLUME_ROUND_LOT,
  VOLUME_ODD_LOT,
  VOLUME_OFF_EXCHANGE,
  VOLUME_LIT,
  TRADES,
  TRADES_ROUND_LOT,
  TRADES_ODD_LOT,
  TRADES_OFF_EXCHANGE,
  TRADES_LIT,
  TRADES_LATE,
  VOLUME_LATE,
];

/**
 * One symbol's bars of one print class: their numbers side by side in one array of doubles, each
 * bar found by its interval's number (start / interval). Not an object per bar: V8 keeps each
 * floating-point field of an object as an object of its own, so a tape of 2,000 symbols (a bar for
 * nearly every trade) made millions of objects for the garbage collector to copy and walk, and for
 * a worker thread to copy across (2.4 s for 881,720 trades on 2 threads; 1.3 s this way).
 */
export interface CandleBook {
  /** Interval number to the offset of its bar's numbers in `values`. */
  slots: Map<number, number>;
  /**
   * Room for more bars than it holds (slots.size): it grows by doubling. A part read on another
   * thread arrives as a view of one Float64Array (see file.ts), only read or grown from then on.
   */
  values: number[] | Float64Array;
}

/** A double (-0 is not a small integer) keeps the array's elements unboxed doubles from the start. */
export const newCandleBook = (): CandleBook => ({ slots: new Map(), values: new Array<number>(4 * CANDLE_NUMBERS).fill(-0) });

/** The offset of the bar of interval `n` (starting at `startMs`), made empty if it is new. */
function barOf(book: CandleBook, n: number, startMs: number): number {
  let at = book.slots.get(n);
  if (at === undefined) {
    at = book.slots.size * CANDLE_NUMBERS;
    if (at + CANDLE_NUMBERS > book.values.length) reserve(book, Math.max(4, 2 * book.slots.size));
    const v = book.values;
    v[at] = startMs;
    for (let i = 1; i < CANDLE_NUMBERS; i++) v[at + i] = EMPTY_BAR[i]!;
    book.slots.set(n, at);
  }
  return at;
}

/** Room for `bars` bars in all. */
function reserve(book: CandleBook, bars: number) {
  const { values } = book;
  if (bars * CANDLE_NUMBERS <= values.length) return;
  const room = new Array<number>(bars * CANDLE_NUMBERS - values.length).fill(-0);
  // concat copies an array of doubles as one block, where a loop ran cold (it runs a few times per book).
  book.values = Array.isArray(values) ? values.concat(room) : [...values, ...room];
}

/** A later part's bars into the earlier part's: the same bars one pass over both would build. */
function mergeBook(book: CandleBook, later: CandleBook) {
  // Room for both at once, rather than doubling: the bars of a whole market are gigabytes.
  reserve(book, book.slots.size + later.slots.size);
  const l = later.values;
  const v = book.values;
  for (const [n, from] of later.slots) {
    let at = book.slots.get(n);
    if (at === undefined) {
      // A bar of the later part alone: its numbers are what folding them into an empty bar gives.
      at = book.slots.size * CANDLE_NUMBERS;
      for (let i = 0; i < CANDLE_NUMBERS; i++) v[at + i] = l[from + i]!;
      book.slots.set(n, at);
      continue;
    }
    if (l[from + RAW_HIGH]! > v[at + RAW_HIGH]!) v[at + RAW_HIGH] = l[from + RAW_HIGH]!;
    if (l[from + RAW_LOW]! < v[at + RAW_LOW]!) v[at + RAW_LOW] = l[from + RAW_LOW]!;
    if (l[from + HIGH]! > v[at + HIGH]!) v[at + HIGH] = l[from + HIGH]!;
    if (l[from + LOW]! < v[at + LOW]!) v[at + LOW] = l[from + LOW]!;
    // As in one pass: the first print of an instant opens the bar, the last one closes it.
    if (l[from + OPEN_MS]! < v[at + OPEN_MS]!) {
      v[at + OPEN_MS] = l[from + OPEN_MS]!;
      v[at + OPEN] = l[from + OPEN]!;
    }
    if (l[from + CLOSE_MS]! >= v[at + CLOSE_MS]! && l[from + CLOSE_MS] !== -Infinity) {
      v[at + CLOSE_MS] = l[from + CLOSE_MS]!;
      v[at + CLOSE] = l[from + CLOSE]!;
    }
    for (const field of SUMS) v[at + field]! += l[from + field]!;
  }
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
  /** Per print class (in the order asked for), its bars. */
  readonly candles: CandleBook[];
  /** Per print class, the interval of its previous print and the offset of that bar: trades mostly arrive in time order. */
  readonly lastInterval: number[];
  readonly lastBar: number[];
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
    this.candles = Array.from({ length: classes }, newCandleBook);
    this.lastInterval = new Array<number>(classes).fill(NaN);
    this.lastBar = new Array<number>(classes).fill(-1);
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
  later.candles.forEach((book, k) => mergeBook(s.candles[k]!, book));
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
  private bars = 0;
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
    // The interval's number keys the bar: a small integer, where a start in ms would be a boxed double.
    const interval = Math.floor(t.timeMs / this.intervalMs);
    const classes = this.options.prints;
    for (let k = 0; k < classes.length; k++) {
      if (!inClass(classes[k]!, offExchange, oddLot)) continue;
      const book = s.candles[k]!;
      if (s.lastInterval[k] !== interval) {
        const before = book.slots.size;
        s.lastBar[k] = barOf(book, interval, interval * this.intervalMs);
        s.lastInterval[k] = interval;
        if (book.slots.size > before && ++this.bars > this.options.maxBars) throw new TooManyBarsError(this.options.maxBars);
      }
      this.fold(book.values, s.lastBar[k]!, t, verdict);
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

  /** One print into one bar (its numbers at `at` in `v`), by the rules' verdict on it. */
  private fold(v: CandleBook['values'], at: number, t: Trade, verdict: number) {
    const price = t.price;
    // The naive candle takes every print.
    if (price > v[at + RAW_HIGH]!) v[at + RAW_HIGH] = price;
    if (price < v[at + RAW_LOW]!) v[at + RAW_LOW] = price;
    if ((verdict & COUNTS) === 0) return;
    const size = t.size;
    if (verdict & LATE) {
      v[at + TRADES_LATE]!++;
      v[at + VOLUME_LATE]! += size;
      if (this.options.excludeLate) return;
    }
    v[at + VOLUME]! += size;
    v[at + TRADES]!++;
    if (verdict & ODD) {
      v[at + VOLUME_ODD_LOT]! += size;
      v[at + TRADES_ODD_LOT]!++;
    } else {
      v[at + VOLUME_ROUND_LOT]! += size;
      v[at + TRADES_ROUND_LOT]!++;
    }
    if (verdict & OFF) {
      v[at + VOLUME_OFF_EXCHANGE]! += size;
      v[at + TRADES_OFF_EXCHANGE]!++;
    } else {
      v[at + VOLUME_LIT]! += size;
      v[at + TRADES_LIT]!++;
    }
    if (verdict & MOVES) {
      if (price > v[at + HIGH]!) v[at + HIGH] = price;
      if (price < v[at + LOW]!) v[at + LOW] = price;
      if (verdict & LAST && t.timeMs < v[at + OPEN_MS]!) {
        v[at + OPEN_MS] = t.timeMs;
        v[at + OPEN] = price;
      }
      if (verdict & LAST && t.timeMs >= v[at + CLOSE_MS]!) {
        v[at + CLOSE_MS] = t.timeMs;
        v[at + CLOSE] = price;
      }
      v[at + NOTIONAL]! += price * size;
      v[at + ELIGIBLE_VOLUME]! += size;
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
