// The daily files in the store: publishing a day is one transaction that replaces the day's rows, so
// readers see the old day or the new one, never a part.
import { weekStartOf } from '../domain/calendar.js';
import { lookupKey } from '../domain/symbols.js';
import type { Validators } from '../domain/validators.js';
import type { DailyFile } from '../domain/daily-file.js';
import type { Db } from './db.js';
import { DataChanges } from './changes.js';

export type DayOutcome = 'published' | 'revised' | 'unchanged';

export interface DayMeta {
  source: string;
  now: string;
  /** FINRA's ETag and Last-Modified for the file, when it came from the CDN with them. */
  validators?: Validators | null;
}

export interface StoredDay {
  trade_date: string;
  file: string;
  rows: number;
  source: string;
  loaded_at: string;
  updated_at: string;
  revisions: number;
}

export class DailyStore {
  private readonly stmts;
  private readonly publishTx;

  constructor(
    db: Db,
    private readonly changes = new DataChanges(db),
  ) {
    this.stmts = {
      day: db.prepare<[string], { checksum: string }>('SELECT checksum FROM daily_files WHERE trade_date = ?'),
      validators: db.prepare<[string], { etag: string | null; last_modified: string | null }>(
        'SELECT etag, last_modified FROM daily_files WHERE trade_date = ?',
      ),
      setValidators: db.prepare('UPDATE daily_files SET etag = ?, last_modified = ? WHERE trade_date = ?'),
      newestDates: db.prepare<[number], string>('SELECT trade_date FROM daily_files ORDER BY trade_date DESC LIMIT ?').pluck(),
      deleteDay: db.prepare('DELETE FROM daily_volumes WHERE trade_date = ?'),
      insertRow: db.prepare(
        `INSERT INTO daily_volumes (symbol, trade_date, week_start, file_symbol, short_volume, short_exempt_volume, total_volume, markets)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      upsertSymbol: db.prepare(
        `INSERT INTO daily_symbols (symbol, lookup_key, newest_date) VALUES (?, ?, ?)
         ON CONFLICT (symbol) DO UPDATE SET newest_date = excluded.newest_date WHERE excluded.newest_date > daily_symbols.newest_date`,
      ),
      upsertFile: db.prepare(
        `INSERT INTO daily_files (trade_date, file, rows, checksum, source, loaded_at, updated_at, revisions, etag, last_modified)
         VALUES (@trade_date, @file, @rows, @checksum, @source, @now, @now, 0, @etag, @last_modified)
         ON CONFLICT (trade_date) DO UPDATE SET file = excluded.file, rows = excluded.rows, checksum = excluded.checksum,
           source = excluded.source, updated_at = excluded.updated_at, revisions = daily_files.revisions + 1,
           etag = excluded.etag, last_modified = excluded.last_modified`,
      ),
      storedBetween: db.prepare<[string, string], { trade_date: string }>(
        'SELECT trade_date FROM daily_files WHERE trade_date BETWEEN ? AND ? ORDER BY trade_date',
      ),
      all: db.prepare<[], StoredDay>(
        'SELECT trade_date, file, rows, source, loaded_at, updated_at, revisions FROM daily_files ORDER BY trade_date DESC',
      ),
      count: db.prepare<[], number>('SELECT count(*) FROM daily_files').pluck(),
      newest: db.prepare<[], StoredDay>(
        'SELECT trade_date, file, rows, source, loaded_at, updated_at, revisions FROM daily_files ORDER BY trade_date DESC LIMIT 1',
      ),
    };
    this.publishTx = db.transaction((file: DailyFile, meta: DayMeta): DayOutcome => {
      const existing = this.stmts.day.get(file.tradeDate);
      if (existing?.checksum === file.checksum) {
        // Same content under new validators: remember them, so the next check costs no body.
        if (meta.validators) this.stmts.setValidators.run(meta.validators.etag, meta.validators.lastModified, file.tradeDate);
        return 'unchanged';
      }
      const week = weekStartOf(file.tradeDate);
      this.stmts.deleteDay.run(file.tradeDate);
      for (const r of file.rows) {
        this.stmts.insertRow.run(
          r.symbol,
          file.tradeDate,
          week,
          r.fileSymbol,
          r.shortVolume,
          r.shortExemptVolume,
          r.totalVolume,
          r.markets,
        );
        this.stmts.upsertSymbol.run(r.symbol, lookupKey(r.symbol), file.tradeDate);
      }
      this.stmts.upsertFile.run({
        trade_date: file.tradeDate,
        file: file.file,
        rows: file.rows.length,
        checksum: file.checksum,
        source: meta.source,
        now: meta.now,
        etag: meta.validators?.etag ?? null,
        last_modified: meta.validators?.lastModified ?? null,
      });
      this.changes.record(meta.now);
      this.changes.event(
        `daily:${file.tradeDate}:${file.checksum.slice(0, 16)}`,
        'daily.published',
        {
          trade_date: file.tradeDate,
          file: file.file,
          rows: file.rows.length,
          revised: existing !== undefined,
        },
        meta.now,
      );
      return existing ? 'revised' : 'published';
    });
  }

  /** Stores the day unless the stored copy has the same checksum (a changed file is a revision of the day). */
  publish(file: DailyFile, meta: DayMeta): DayOutcome {
    const outcome = this.publishTx.immediate(file, meta);
    if (outcome !== 'unchanged') this.changes.notify();
    return outcome;
  }

  /** Trading days with a stored file between two dates, inclusive. */
  storedBetween(from: string, to: string): Set<string> {
    return new Set(this.stmts.storedBetween.all(from, to).map((r) => r.trade_date));
  }

  /** FINRA's validators of a stored day (null when FINRA gave none, or the day came from a file). */
  validators(tradeDate: string): Validators | null {
    const row = this.stmts.validators.get(tradeDate);
    return row ? { etag: row.etag, lastModified: row.last_modified } : null;
  }

  /** The newest `count` stored trading days, newest first. */
  newestDates(count: number): string[] {
    return this.stmts.newestDates.all(count);
  }

  days(): StoredDay[] {
    return this.stmts.all.all();
  }

  count(): number {
    return this.stmts.count.get()!;
  }

  newest(): StoredDay | undefined {
    return this.stmts.newest.get();
  }
}
