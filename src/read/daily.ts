// What /darkpool/daily answers: FINRA's daily figures for a symbol, per stored trading day, newest
// first. These are FINRA's numbers as the files give them, not estimates.
import type { Snapshot } from './snapshot.js';
import { resolveSpelling } from './symbols.js';
import type { Db } from '../store/db.js';
import { FINRA_CREDIT, TickerNotFoundError } from './weekly.js';

export class NoDailyDataError extends Error {
  override name = 'NoDailyDataError';
}

export const DAILY_CREDIT = {
  provider: 'FINRA',
  name: "FINRA daily short sale volume files (consolidated NMS): regular-hours off-exchange volume reported to FINRA's TRFs and ADF",
  url: 'https://www.finra.org/finra-data/browse-catalog/short-sale-volume-data/daily-short-sale-volume-files',
  terms: FINRA_CREDIT.terms,
} as const;

interface FileRow {
  trade_date: string;
  file: string;
  loaded_at: string;
  updated_at: string;
}

interface VolumeRow {
  trade_date: string;
  file_symbol: string;
  short_volume: number;
  short_exempt_volume: number;
  total_volume: number;
  markets: string;
}

export interface DailyRecord {
  ticker: string;
  trade_date: string;
  off_exchange_shares: number;
  short_volume: number;
  short_exempt_volume: number;
  markets: string;
  /** The symbol as the file writes it; null on a day whose file does not list the symbol (no volume). */
  file_symbol: string | null;
  source_file: string;
  /** short_volume / off_exchange_shares; null without off-exchange volume. */
  short_volume_ratio: number | null;
  /** The ratio's mean over this day and the 19 stored trading days before it that have one; null with fewer than 20 stored days. */
  short_volume_ratio_20d: number | null;
  short_volume_ratio_20d_days: number;
}

/** What the ratio is, and what it is not: the "dark pool index" other services sell is this number. */
export const SHORT_VOLUME_RATIO_DEFINITION =
  "short_volume_ratio is the day's short sale volume reported to FINRA's trade reporting facilities divided by the day's off-exchange " +
  "volume, both from FINRA's daily file; short_volume_ratio_20d is its mean over the 20 stored trading days ending that day. It is not " +
  'short interest (positions), and it is not dark-pool buying or selling: most of it is market makers and wholesalers selling short to ' +
  'fill buy orders, a routine step of off-exchange execution.';

const TRAILING_DAYS = 20;

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

export class DailyReports {
  private readonly s;

  constructor(
    db: Db,
    private readonly snapshot: Snapshot,
  ) {
    this.s = {
      exact: db.prepare<[string], string>('SELECT symbol FROM daily_symbols WHERE symbol = ?').pluck(),
      noCase: db
        .prepare<[string], string>('SELECT symbol FROM daily_symbols WHERE symbol = ? COLLATE NOCASE ORDER BY newest_date DESC LIMIT 1')
        .pluck(),
      byKey: db
        .prepare<[string], string>('SELECT symbol FROM daily_symbols WHERE lookup_key = ? ORDER BY newest_date DESC, symbol LIMIT 1')
        .pluck(),
      files: db.prepare<[number], FileRow>(
        'SELECT trade_date, file, loaded_at, updated_at FROM daily_files ORDER BY trade_date DESC LIMIT ?',
      ),
      filesBetween: db.prepare<[string, string], FileRow>(
        'SELECT trade_date, file, loaded_at, updated_at FROM daily_files WHERE trade_date BETWEEN ? AND ? ORDER BY trade_date DESC',
      ),
      newest: db.prepare<[], FileRow>('SELECT trade_date, file, loaded_at, updated_at FROM daily_files ORDER BY trade_date DESC LIMIT 1'),
      range: db.prepare<[], { first: string | null; last: string | null }>(
        'SELECT min(trade_date) AS first, max(trade_date) AS last FROM daily_files',
      ),
      volumes: db.prepare<[string, string], VolumeRow>(
        `SELECT trade_date, file_symbol, short_volume, short_exempt_volume, total_volume, markets
         FROM daily_volumes WHERE symbol = ? AND trade_date >= ?`,
      ),
    };
  }

  /** The symbol's `days` newest stored trading days; a day whose file lacks the symbol shows zeros. */
  daily(ticker: string, days: number) {
    return this.snapshot.read(() => {
      const symbol = this.resolve(ticker);
      // 19 more days than shown: the oldest shown day's trailing mean needs them.
      const stored = this.s.files.all(days + TRAILING_DAYS - 1);
      const rows = new Map(this.s.volumes.all(symbol, stored.at(-1)!.trade_date).map((r) => [r.trade_date, r]));
      const ratios = stored.map((f) => {
        const r = rows.get(f.trade_date);
        return r && r.total_volume > 0 ? r.short_volume / r.total_volume : null;
      });
      const files = stored.slice(0, days);
      const data: DailyRecord[] = files.map((f, i) => {
        const r = rows.get(f.trade_date);
        const window = i + TRAILING_DAYS <= stored.length ? ratios.slice(i, i + TRAILING_DAYS).filter((v) => v !== null) : null;
        const ratio = ratios[i] ?? null;
        return {
          ticker: symbol,
          trade_date: f.trade_date,
          off_exchange_shares: r?.total_volume ?? 0,
          short_volume: r?.short_volume ?? 0,
          short_exempt_volume: r?.short_exempt_volume ?? 0,
          markets: r?.markets ?? '',
          file_symbol: r?.file_symbol ?? null,
          source_file: f.file,
          short_volume_ratio: ratio === null ? null : round6(ratio),
          short_volume_ratio_20d: window?.length ? round6(window.reduce((a, b) => a + b, 0) / window.length) : null,
          short_volume_ratio_20d_days: window?.length ?? 0,
        };
      });
      return { ticker: symbol, days, definition: SHORT_VOLUME_RATIO_DEFINITION, data, source: this.source(files) };
    });
  }

  /** The FINRA credit, the files an answer used, and the newest stored day. */
  source(files: FileRow[]) {
    const newest = this.s.newest.get();
    return {
      ...DAILY_CREDIT,
      files: files.map((f) => ({ trade_date: f.trade_date, file: f.file, loaded_at: f.loaded_at, updated_at: f.updated_at })),
      newest_trade_date: newest?.trade_date ?? null,
      newest_loaded_at: newest?.loaded_at ?? null,
    };
  }

  /** Source of the files of trading days between two dates (estimates name the days they summed). */
  sourceBetween(from: string, to: string) {
    return this.source(this.s.filesBetween.all(from, to));
  }

  /** The daily files name the symbol (in FINRA's weekly spelling) on some stored day. */
  lists(symbol: string): boolean {
    return this.s.exact.get(symbol) !== undefined;
  }

  /** The first and last stored trading days; null before any. */
  range(): { first: string; last: string } | null {
    const r = this.s.range.get();
    return r?.first && r.last ? { first: r.first, last: r.last } : null;
  }

  hasData(): boolean {
    return this.s.newest.get() !== undefined;
  }

  private resolve(ticker: string): string {
    const symbol = resolveSpelling(ticker, {
      exact: (t) => this.s.exact.get(t),
      noCase: (t) => this.s.noCase.get(t),
      byKey: (k) => this.s.byKey.get(k),
    });
    if (symbol) return symbol;
    if (!this.hasData()) throw new NoDailyDataError('no daily file is loaded yet');
    throw new TickerNotFoundError(
      `no FINRA daily off-exchange volume for "${ticker}" in any loaded day (the daily files cover NMS stocks, not OTC equities)`,
    );
  }
}
