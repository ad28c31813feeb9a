// Reads FINRA files into the same WeekRows the API path produces: website export files
// (pipe-delimited, header row, one row per symbol per ATS) and saved API JSON (any summary types).
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';
import { daysBetween, weekPublishedOn, weekStartOf } from '../domain/calendar.js';
import { KNOWN_SUMMARY_TYPES, parseFinraRow, SUMMARY_TYPES, type FinraRow } from '../finra/schema.js';
import { isTier, type Tier } from '../domain/tiers.js';
import type { WeekRows } from './build-week.js';

const gunzipAsync = promisify(gunzip);

export interface FileOptions {
  week?: string;
  tier?: Tier;
  /**
   * Only the weeks FINRA had published by this date (YYYY-MM-DD), as it had published them: a week
   * revised after it is left out, since the file holds only the revised figures.
   */
  publishedThrough?: string;
  /** Today (YYYY-MM-DD): no file can hold a week that starts later. */
  today?: string;
  /** Load a website export whose --week is more than 35 days before its publication date. */
  force?: boolean;
}

/** FINRA publishes T2 and OTCE weeks 35 days after they start (T1 after 21): an export's week is not older. */
const EXPORT_MAX_AGE_DAYS = 35;

export interface ParsedFile {
  file: string;
  weeks: WeekRows[];
  /** Things the user should know: an inferred week, ignored summary types. */
  notes: string[];
}

export class FileFormatError extends Error {
  override name = 'FileFormatError';
}

/** FINRA's website writes `OTC` where the API writes `OTCE`. */
const TIER_BY_DESCRIPTION: Record<string, Tier> = {
  'NMS Tier 1': 'T1',
  'NMS Tier 2': 'T2',
  OTC: 'OTCE',
  OTCE: 'OTCE',
};

/** A file's text, gunzipped when it is gzip (by its first bytes, whatever its name says). */
export async function readTextFile(path: string, encoding: BufferEncoding = 'utf8'): Promise<string> {
  const bytes = await readFile(path);
  return (bytes[0] === 0x1f && bytes[1] === 0x8b ? await gunzipAsync(bytes) : bytes).toString(encoding);
}

export async function readFinraFile(path: string, options: FileOptions): Promise<ParsedFile> {
  const text = (await readTextFile(path)).replace(/^\uFEFF/, '');
  const file = basename(path);
  const trimmed = text.trimStart();
  const rows = trimmed.startsWith('[') || trimmed.startsWith('{') ? jsonRows(text, file) : delimitedRows(text, file);
  return groupIntoWeeks(rows, file, options);
}

function jsonRows(text: string, file: string): Record<string, unknown>[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new FileFormatError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(data)) throw new FileFormatError(`${file}: expected a JSON array of FINRA rows, as the API returns`);
  return data as Record<string, unknown>[];
}

function delimitedRows(text: string, file: string): Record<string, unknown>[] {
  const headerLine = text.slice(0, text.indexOf('\n') >>> 0);
  const delimiter = headerLine.includes('|') ? '|' : ',';
  try {
    return parse(text, {
      delimiter,
      columns: true,
      skip_empty_lines: true,
      trim: true,
      // FINRA's exports do not quote; a stray quote in an issue name must stay part of the name.
      quote: delimiter === '|' ? false : '"',
    }) as Record<string, unknown>[];
  } catch (err) {
    throw new FileFormatError(`${file}: ${(err as Error).message}`);
  }
}

function groupIntoWeeks(raw: Record<string, unknown>[], file: string, options: FileOptions): ParsedFile {
  const notes: string[] = [];
  if (raw.length === 0) throw new FileFormatError(`${file}: no rows`);
  const isExport = !('summaryTypeCode' in raw[0]!);
  if (isExport && !('MPID' in raw[0]!)) {
    throw new FileFormatError(`${file}: rows have neither summaryTypeCode nor MPID; cannot tell their grain`);
  }

  const rows: FinraRow[] = raw.map((r, i) => {
    const row = parseFinraRow(r, i + 1);
    if (isExport) row.summaryTypeCode = SUMMARY_TYPES.atsFirm;
    if (!row.summaryTypeCode) throw new FileFormatError(`${file}: row ${i + 1} has no summaryTypeCode`);
    row.tierIdentifier = resolveTier(row, options, file, i + 1);
    return row;
  });

  const weekOf = resolveWeek(rows, options, file, notes);
  const groups = new Map<string, WeekRows>();
  const ignored = new Map<string, number>();
  for (const row of rows) {
    const weekStart = weekOf(row);
    const tier = row.tierIdentifier as Tier;
    const key = `${weekStart} ${tier}`;
    let group = groups.get(key);
    if (!group) {
      group = { weekStart, tier, firm: [], symbolTotals: null, nonAts: null, totalsOnly: true };
      groups.set(key, group);
    }
    row.weekStartDate = weekStart;
    switch (row.summaryTypeCode) {
      case SUMMARY_TYPES.atsFirm:
        group.firm.push(row);
        group.totalsOnly = false;
        break;
      case SUMMARY_TYPES.atsSymbol:
        (group.symbolTotals ??= []).push(row);
        break;
      case SUMMARY_TYPES.otcSymbol:
        (group.nonAts ??= []).push(row);
        break;
      case SUMMARY_TYPES.otcFirm:
        (group.nonAtsFirm ??= []).push(row);
        break;
      default: {
        const code = row.summaryTypeCode as string;
        ignored.set(code, (ignored.get(code) ?? 0) + 1);
      }
    }
  }
  for (const [code, n] of ignored) {
    notes.push(
      KNOWN_SUMMARY_TYPES.has(code)
        ? `${n} ${code} rows not used (the service sums ATS_W_SMBL_FIRM)`
        : `${n} rows of unknown summaryTypeCode ${code} ignored`,
    );
  }
  const weeks = [...groups.values()].filter((g) => g.firm.length > 0 || g.symbolTotals);
  const totalsOnly = weeks.filter((g) => g.totalsOnly).length;
  if (totalsOnly)
    notes.push(`${totalsOnly} weeks hold FINRA's per-symbol totals only (no per-ATS rows): loaded for their symbols, without venues`);
  // Only the weeks kept are checked: --published-through leaves the later ones out anyway.
  const kept = publishedBy(weeks, options.publishedThrough, notes);
  for (const w of kept) checkWeekDates(w, file, options, isExport);
  return { file, weeks: kept, notes };
}

/**
 * A file cannot hold a week from the future: one that starts after today, or after the file's own
 * publication date (its rows' earliest), is refused with both dates named; so is a website export's
 * --week more than 35 days before its publication date (a typo, most likely), unless --force.
 */
function checkWeekDates(w: WeekRows, file: string, options: FileOptions, isExport: boolean): void {
  const rows = [...w.firm, ...(w.symbolTotals ?? []), ...(w.nonAts ?? []), ...(w.nonAtsFirm ?? [])];
  const published = rows
    .map((r) => r.initialPublishedDate ?? r.lastUpdateDate)
    .filter((d): d is string => !!d)
    .sort()[0];
  if (options.today && w.weekStart > options.today) {
    throw new FileFormatError(`${file}: week ${w.weekStart} starts after today (${options.today}): FINRA cannot have published it`);
  }
  if (published && w.weekStart > published) {
    throw new FileFormatError(
      `${file}: week ${w.weekStart} starts after the file's publication date ${published}: FINRA publishes a week after it ends`,
    );
  }
  if (isExport && published && !options.force && daysBetween(w.weekStart, published) > EXPORT_MAX_AGE_DAYS) {
    throw new FileFormatError(
      `${file}: week ${w.weekStart} is ${daysBetween(w.weekStart, published)} days before the export's publication date ${published}; ` +
        `FINRA publishes a week ${EXPORT_MAX_AGE_DAYS} days after it starts at most (T1: 21): check --week, or give --force`,
    );
  }
}

/** The weeks as FINRA had published them on `date`: later weeks, and weeks revised later, left out. */
function publishedBy(weeks: WeekRows[], date: string | undefined, notes: string[]): WeekRows[] {
  if (!date) return weeks;
  let later = 0;
  const kept = weeks.filter((w) => {
    const rows = [...w.firm, ...(w.symbolTotals ?? []), ...(w.nonAts ?? []), ...(w.nonAtsFirm ?? [])];
    const published = rows
      .map((r) => r.initialPublishedDate ?? r.lastUpdateDate)
      .filter((d): d is string => !!d)
      .sort()[0];
    const revised = rows
      .map((r) => r.lastUpdateDate)
      .filter((d): d is string => !!d)
      .sort()
      .at(-1);
    if (!published)
      throw new FileFormatError(
        `week ${w.weekStart} ${w.tier}: its rows carry no publication date, so --published-through cannot place it`,
      );
    if (published > date) {
      later++;
      return false;
    }
    if (revised && revised > date) {
      notes.push(
        `week ${w.weekStart} ${w.tier} left out: FINRA revised it on ${revised}, after ${date}, and the file holds only the revised figures`,
      );
      return false;
    }
    return true;
  });
  if (later) notes.push(`${later} weeks FINRA published after ${date} left out`);
  return kept;
}

function resolveTier(row: FinraRow, options: FileOptions, file: string, line: number): Tier {
  const fromRow = isTier(row.tierIdentifier)
    ? row.tierIdentifier
    : row.tierDescription
      ? TIER_BY_DESCRIPTION[row.tierDescription]
      : undefined;
  if (options.tier && fromRow && fromRow !== options.tier) {
    throw new FileFormatError(`${file}: row ${line} is tier ${fromRow}, not --tier ${options.tier}`);
  }
  const tier = options.tier ?? fromRow;
  if (!tier) throw new FileFormatError(`${file}: row ${line} names no tier FINRA uses; give --tier T1|T2|OTCE`);
  return tier;
}

/**
 * Website exports carry no weekStartDate. `--week` gives it (any day of the week); without it the week
 * is inferred from the publication date, which is only safe when every row carries the same one.
 */
function resolveWeek(rows: FinraRow[], options: FileOptions, file: string, notes: string[]): (row: FinraRow) => string {
  if (options.week) {
    const week = weekStartOf(options.week);
    return (row) => {
      if (row.weekStartDate && row.weekStartDate !== week) {
        throw new FileFormatError(`${file}: a row is for week ${row.weekStartDate}, not --week ${week}`);
      }
      return week;
    };
  }
  if (rows.every((r) => r.weekStartDate)) return (row) => row.weekStartDate as string;

  const dates = new Set(rows.map((r) => r.lastUpdateDate));
  const tiers = new Set(rows.map((r) => r.tierIdentifier));
  const [date] = dates;
  const [tier] = tiers;
  const week = dates.size === 1 && tiers.size === 1 && date ? weekPublishedOn(date, tier as Tier) : null;
  if (!week) {
    throw new FileFormatError(
      `${file}: rows carry no weekStartDate and their lastUpdateDate is not one publication day; give --week YYYY-MM-DD`,
    );
  }
  notes.push(
    `week ${week} inferred from the publication date ${date} (${tier} weeks appear ${tier === 'T1' ? 21 : 35} days after they start); give --week to override`,
  );
  return () => week;
}
