// Week and publication-calendar arithmetic. Dates are ISO `YYYY-MM-DD` strings throughout; all math
// is done in UTC so that no local time zone can shift a day.
import type { Tier } from './tiers.js';

const DAY_MS = 86_400_000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isIsoDate(value: string): boolean {
  if (!ISO_DATE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

function toUtc(date: string): Date {
  return new Date(`${date}T00:00:00Z`);
}

function fromUtc(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * Date strings come back again and again (the same weeks in every answer), and Date parsing is
 * slow next to a Map lookup: pure functions of a date string remember their answers, up to a bound.
 * Keyed by the date string itself: building a key per call would cost as much as the lookup saves.
 */
function memo<R>(fn: (date: string) => R, bound = 20_000): (date: string) => R {
  const cache = new Map<string, R>();
  return (date) => {
    let v = cache.get(date);
    if (v === undefined) {
      if (cache.size >= bound) cache.clear();
      v = fn(date);
      cache.set(date, v);
    }
    return v;
  };
}

/** One memo per distance in days (the callers use a handful: -7, 6, 1, ...), all of them bounded. */
const addDaysBy = new Map<number, (date: string) => string>();

export function addDays(date: string, days: number): string {
  let add = addDaysBy.get(days);
  if (add === undefined) {
    if (addDaysBy.size >= 64) addDaysBy.clear();
    add = memo((d) => fromUtc(new Date(toUtc(d).getTime() + days * DAY_MS)), 5_000);
    addDaysBy.set(days, add);
  }
  return add(date);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((toUtc(to).getTime() - toUtc(from).getTime()) / DAY_MS);
}

/** 0 = Sunday ... 6 = Saturday */
export function weekday(date: string): number {
  return toUtc(date).getUTCDay();
}

/** The Monday starting the week that contains `date` (FINRA's `weekStartDate`). */
export function weekStartOf(date: string): string {
  const offset = (weekday(date) + 6) % 7;
  return addDays(date, -offset);
}

/** The Sunday ending a week that starts on `weekStart`: the `week_ending` the API serves. */
export function weekEndingOf(weekStart: string): string {
  return addDays(weekStart, 6);
}

export function todayUtc(now: Date): string {
  return fromUtc(now);
}

// ---------------------------------------------------------------------------------------------
// US equity market holidays (NYSE rule 7.2). FINRA publishes on business days, and a week's trading
// days decide whether a raw week-over-week change is comparable.

/** Closures that follow no rule (national days of mourning, weather). */
const SPECIAL_CLOSURES = new Set([
  '2001-09-11',
  '2001-09-12',
  '2001-09-13',
  '2001-09-14',
  '2004-06-11',
  '2007-01-02',
  '2012-10-29',
  '2012-10-30',
  '2018-12-05',
  '2025-01-09',
]);

function nthWeekday(year: number, month: number, dow: number, n: number): string {
  const first = new Date(Date.UTC(year, month - 1, 1));
  const shift = (dow - first.getUTCDay() + 7) % 7;
  return fromUtc(new Date(Date.UTC(year, month - 1, 1 + shift + (n - 1) * 7)));
}

function lastWeekday(year: number, month: number, dow: number): string {
  const last = new Date(Date.UTC(year, month, 0));
  const shift = (last.getUTCDay() - dow + 7) % 7;
  return fromUtc(new Date(Date.UTC(year, month - 1, last.getUTCDate() - shift)));
}

/** A fixed-date holiday moves to Friday when it falls on Saturday, to Monday on Sunday. */
function observed(date: string): string {
  const dow = weekday(date);
  if (dow === 6) return addDays(date, -1);
  if (dow === 0) return addDays(date, 1);
  return date;
}

function easterSunday(year: number): string {
  // Anonymous Gregorian algorithm (Meeus/Jones/Butcher).
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return fromUtc(new Date(Date.UTC(year, month - 1, day)));
}

const holidayCache = new Map<number, Set<string>>();

export function marketHolidays(year: number): Set<string> {
  const cached = holidayCache.get(year);
  if (cached) return cached;
  const pad = (n: number) => String(n).padStart(2, '0');
  const fixed = (m: number, d: number) => `${year}-${pad(m)}-${pad(d)}`;
  const days = [
    nthWeekday(year, 1, 1, 3), // Martin Luther King Jr. Day
    nthWeekday(year, 2, 1, 3), // Washington's Birthday
    addDays(easterSunday(year), -2), // Good Friday
    lastWeekday(year, 5, 1), // Memorial Day
    observed(fixed(7, 4)),
    nthWeekday(year, 9, 1, 1), // Labor Day
    nthWeekday(year, 11, 4, 4), // Thanksgiving
    observed(fixed(12, 25)),
  ];
  // New Year's Day on a Saturday is not observed on the Friday before (it would close the prior year).
  if (weekday(fixed(1, 1)) !== 6) days.push(observed(fixed(1, 1)));
  if (year >= 2022) days.push(observed(fixed(6, 19))); // Juneteenth
  const set = new Set(days);
  for (const d of SPECIAL_CLOSURES) if (d.startsWith(`${year}-`)) set.add(d);
  holidayCache.set(year, set);
  return set;
}

export function isMarketHoliday(date: string): boolean {
  return marketHolidays(Number(date.slice(0, 4))).has(date);
}

export function isBusinessDay(date: string): boolean {
  const dow = weekday(date);
  return dow !== 0 && dow !== 6 && !isMarketHoliday(date);
}

export function nextBusinessDayOnOrAfter(date: string): string {
  let d = date;
  while (!isBusinessDay(d)) d = addDays(d, 1);
  return d;
}

/** Trading sessions in the Monday-to-Friday week starting `weekStart` (5, or fewer in holiday weeks). */
export const tradingDaysInWeek = memo((weekStart) => {
  let n = 0;
  for (let i = 0; i < 5; i++) if (isBusinessDay(addDays(weekStart, i))) n++;
  return n;
});

/** Trading days between two dates, inclusive, oldest first. */
export function tradingDaysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) if (isBusinessDay(d)) out.push(d);
  return out;
}

// ---------------------------------------------------------------------------------------------
// FINRA's publication calendar: Tier 1 weeks appear on the Monday 21 days after the week starts,
// Tier 2 and OTC equity weeks 35 days after; a holiday Monday moves it to the next business day.

export const PUBLICATION_DELAY_DAYS: Record<Tier, number> = { T1: 21, T2: 35, OTCE: 35 };

export function expectedPublicationDate(weekStart: string, tier: Tier): string {
  return nextBusinessDayOnOrAfter(addDays(weekStart, PUBLICATION_DELAY_DAYS[tier]));
}

/** The newest week of a tier that FINRA's calendar says is published on `today`. */
export function newestPublishedWeek(tier: Tier, today: string): string {
  let week = weekStartOf(addDays(today, -PUBLICATION_DELAY_DAYS[tier]));
  while (expectedPublicationDate(week, tier) > today) week = addDays(week, -7);
  return week;
}

/** The `count` newest weeks of a tier published by `today`, newest first. */
export function publishedWeeks(tier: Tier, today: string, count: number): string[] {
  const newest = newestPublishedWeek(tier, today);
  return Array.from({ length: count }, (_, i) => addDays(newest, -7 * i));
}

/**
 * The week a FINRA website export belongs to, inferred from its publication date (the file's
 * `lastUpdateDate` on first publication): the week whose expected publication date is that day.
 */
export function weekPublishedOn(publicationDate: string, tier: Tier): string | null {
  const candidate = weekStartOf(addDays(publicationDate, -PUBLICATION_DELAY_DAYS[tier]));
  for (const week of [candidate, addDays(candidate, -7)]) {
    if (expectedPublicationDate(week, tier) === publicationDate) return week;
  }
  return null;
}
