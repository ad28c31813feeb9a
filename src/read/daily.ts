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
}

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
      const files = this.s.files.all(days);
      const rows = new Map(this.s.volumes.all(symbol, files.at(-1)!.trade_date).map((r) => [r.trade_date, r]));
      const data: DailyRecord[] = files.map((f) => {
        const r = rows.get(f.trade_date);
        return {
          ticker: symbol,
          trade_date: f.trade_date,
          off_exchange_shares: r?.total_volume ?? 0,
          short_volume: r?.short_volume ?? 0,
          short_exempt_volume: r?.short_exempt_volume ?? 0,
          markets: r?.markets ?? '',
          file_symbol: r?.file_symbol ?? null,
          source_file: f.file,
        };
      });
      return { ticker: symbol, days, data, source: this.source(files) };
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
