// The whole week in one file: every symbol of a week's tiers, with the fields /darkpool/weekly serves,
// produced one row at a time so that memory stays flat whatever the number of symbols. Each file is
// read on a read-only connection of its own, inside one read transaction: it shows one snapshot
// from the first record to the last even while an ingest commits, and the service's own connection
// stays free for other answers while a slow client downloads.
import type { Tier } from '../domain/tiers.js';
import { openDatabase } from '../store/db.js';
import { Queries } from './queries.js';
import { Snapshot } from './snapshot.js';
import { Reports, type SymbolWeek } from './weekly.js';

export type WeekFileHead = ReturnType<Reports['wholeWeek']>;

export interface WeekFile {
  head: WeekFileHead;
  /** The records, in tier then symbol order; the connection closes when they end. */
  records: Generator<SymbolWeek, void, undefined>;
  /** Closes the connection, whether or not the records were read (idempotent). */
  close(): void;
}

export class WeekFiles {
  constructor(
    /** The store's file: a store in memory cannot be opened twice. */
    private readonly path: string,
  ) {}

  /** Opens a week for reading; WeekNotFoundError (before anything is streamed) when it is not loaded whole. */
  open(week: string, tier?: Tier): WeekFile {
    if (this.path === ':memory:' || this.path === '') throw new Error('the week file needs a store in a file');
    const db = openDatabase(this.path, { readonly: true });
    try {
      db.exec('BEGIN');
      const queries = new Queries(db);
      const reports = new Reports(queries, new Snapshot(db));
      const head = reports.wholeWeek(week, tier);
      const rows = queries.weekRecords(head.week_start, head.tiers);
      const close = () => {
        if (!db.open) return;
        rows.return?.();
        db.close();
      };
      const records = (function* () {
        try {
          for (const row of rows) yield reports.weekRecord(row);
        } finally {
          close();
        }
      })();
      return { head, records, close };
    } catch (err) {
      db.close();
      throw err;
    }
  }
}
