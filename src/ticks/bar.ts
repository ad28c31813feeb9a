// A bar's running state is numbers side by side, CANDLE_NUMBERS of them, at these offsets: analyze.ts
// folds prints into them, report.ts writes them out.
export const START = 0; // the bar's start, UTC ms
export const OPEN = 1;
export const OPEN_MS = 2;
export const CLOSE = 3;
export const CLOSE_MS = 4;
export const HIGH = 5;
export const LOW = 6;
export const RAW_HIGH = 7;
export const RAW_LOW = 8;
export const NOTIONAL = 9; // price x size of eligible prints: the VWAP numerator
export const ELIGIBLE_VOLUME = 10;
export const VOLUME = 11;
export const VOLUME_ROUND_LOT = 12;
export const VOLUME_ODD_LOT = 13;
export const VOLUME_OFF_EXCHANGE = 14;
export const VOLUME_LIT = 15;
export const TRADES = 16;
export const TRADES_ROUND_LOT = 17;
export const TRADES_ODD_LOT = 18;
export const TRADES_OFF_EXCHANGE = 19;
export const TRADES_LIT = 20;
/** Prints published more than the delay threshold after execution (kept out of the bar with excludeLate). */
export const TRADES_LATE = 21;
export const VOLUME_LATE = 22;
export const CANDLE_NUMBERS = 23;

/** A bar before its first print: no price yet, nothing counted. */
export const EMPTY_BAR: readonly number[] = [
  0,
  NaN,
  Infinity,
  NaN,
  -Infinity,
  -Infinity,
  Infinity,
  -Infinity,
  Infinity,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
];
