// One trade as the analysis reads it, whatever layout it came in, and the readers' shared pieces.

export interface Trade {
  symbol: string;
  timeMs: number;
  price: number;
  size: number;
  exchange: string;
  conditions: string;
  trfId: string;
  /** NaN when the feed gives no participant (execution) timestamp. */
  participantMs: number;
  tape: string;
}

/** A row that cannot become a trade: counted and reported with its line, never silently dropped. */
export class BadRow extends Error {}

/** The input as a whole cannot be read (a header without the columns, a layout that does not fit). */
export class TradeFormatError extends Error {
  override name = 'TradeFormatError';
}

export const SYMBOL = /^[A-Za-z0-9.\-/^ ]{1,20}$/;

/**
 * Epoch seconds, milliseconds, microseconds or nanoseconds (told apart by their digits), or
 * ISO-8601 with Z or an offset. Nanoseconds exceed a double's precision, so they are split.
 */
export function parseTimestamp(text: string): number {
  const c = text.charCodeAt(0);
  if (c >= 48 && c <= 57 && text.length <= 20 && /^\d+(\.\d+)?$/.test(text)) {
    const dot = text.indexOf('.');
    const digits = dot === -1 ? text.length : dot;
    if (digits <= 11) return Number(text) * 1000;
    if (digits <= 14) return Number(text);
    if (digits <= 17) return Number(text) / 1000;
    const whole = text.slice(0, digits);
    return Number(whole.slice(0, -6)) + Number(whole.slice(-6)) / 1e6;
  }
  return parseIso(text);
}

// ISO dates repeat their day and zone on every line of a file: parse that part once.
let isoDayKey = '';
let isoDayMs = NaN;
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

function parseIso(text: string): number {
  const m = ISO.exec(text);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as string[];
  const key = `${y}-${mo}-${d}${zone}`;
  if (key !== isoDayKey) {
    const zoneMs =
      zone === 'Z' ? 0 : (zone!.startsWith('-') ? -1 : 1) * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(-2))) * 60_000;
    const day = Date.UTC(Number(y), Number(mo) - 1, Number(d));
    const check = new Date(day);
    if (check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1) return NaN;
    isoDayKey = key;
    isoDayMs = day - zoneMs;
  }
  const hh = Number(h);
  const mm = Number(mi);
  const ss = Number(s);
  if (hh > 23 || mm > 59 || ss > 60) return NaN;
  const fraction = frac ? Number(`0.${frac}`) * 1000 : 0;
  return isoDayMs + ((hh * 60 + mm) * 60 + ss) * 1000 + fraction;
}
