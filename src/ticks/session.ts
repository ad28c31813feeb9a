// New York time for the regular session (09:30-16:00 ET). Offsets follow US daylight saving time
// (second Sunday of March to first Sunday of November since 2007); the switch happens at 2 a.m. on
// a Sunday, so one offset per calendar day is exact for trading hours.
const DAY_MS = 86_400_000;

function nthSundayUtc(year: number, month: number, n: number): number {
  const first = new Date(Date.UTC(year, month, 1)).getUTCDay();
  return Date.UTC(year, month, 1 + ((7 - first) % 7) + (n - 1) * 7);
}

const offsetCache = new Map<number, number>();

/** Minutes to add to UTC for New York local time on the UTC day containing `timeMs`. */
export function newYorkOffsetMinutes(timeMs: number): number {
  const day = Math.floor(timeMs / DAY_MS);
  let offset = offsetCache.get(day);
  if (offset === undefined) {
    const year = new Date(day * DAY_MS).getUTCFullYear();
    const dstStart = nthSundayUtc(year, 2, 2);
    const dstEnd = nthSundayUtc(year, 10, 1);
    const dayStart = day * DAY_MS;
    offset = dayStart >= dstStart && dayStart < dstEnd ? -240 : -300;
    offsetCache.set(day, offset);
  }
  return offset;
}

/** Minutes since New York midnight. */
export function newYorkMinuteOfDay(timeMs: number): number {
  const local = timeMs + newYorkOffsetMinutes(timeMs) * 60_000;
  return (((local % DAY_MS) + DAY_MS) % DAY_MS) / 60_000;
}

/** The New York calendar date (YYYY-MM-DD) of a trade. */
export function newYorkDate(timeMs: number): string {
  return new Date(timeMs + newYorkOffsetMinutes(timeMs) * 60_000).toISOString().slice(0, 10);
}

/** Times from 1970 to 9999, as toISOString writes them with a four-digit year; others go through Date. */
const ISO_FAST_END_MS = 253_402_300_800_000;
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let isoDay = NaN;
let isoDayPrefix = '';

/**
 * `new Date(ms).toISOString()` at under a fifth of its cost: a report writes two for each of its
 * thousands of candles, all within a few days, so the date part is made once per day.
 */
export function isoTime(timeMs: number): string {
  const ms = Math.trunc(timeMs); // as Date keeps it
  if (!(ms >= 0 && ms < ISO_FAST_END_MS)) return new Date(timeMs).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== isoDay) {
    isoDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    isoDay = day;
  }
  let rest = ms - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return `${isoDayPrefix}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[rest - seconds * 1000]}Z`;
}

export const SESSION_OPEN_MIN = 9 * 60 + 30;
export const SESSION_MIDPOINT_MIN = 12 * 60 + 45;
export const SESSION_CLOSE_MIN = 16 * 60;

/** 0 = first half of the regular session, 1 = second half, -1 = outside it. */
export function sessionHalf(timeMs: number): number {
  const m = newYorkMinuteOfDay(timeMs);
  if (m < SESSION_OPEN_MIN || m >= SESSION_CLOSE_MIN) return -1;
  return m < SESSION_MIDPOINT_MIN ? 0 : 1;
}
