// What the store holds: loaded weeks per tier. Used by `status`, planning, health and freshness.
import { addDays } from '../finra/calendar.js';
import type { Tier } from '../finra/tiers.js';
import type { Db } from './db.js';

export interface LoadedWeek {
  week_start: string;
  tier: Tier;
  initial_published: string | null;
  last_update: string | null;
  firm_rows: number;
  symbols: number;
  reconciled: number;
  has_non_ats: number;
  null_quantities: number;
  source: string;
  loaded_at: string;
  updated_at: string;
  revisions: number;
  unattributed_rows: number;
  unattributed_shares: number;
  unattributed_trades: number;
}

const CHANGES_KEY = 'finra_changes_loaded_through';

export class WeekStatus {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      newest: db.prepare<[string], { week_start: string | null }>('SELECT max(week_start) AS week_start FROM weeks WHERE tier = ?'),
      oldest: db.prepare<[string], { week_start: string | null }>('SELECT min(week_start) AS week_start FROM weeks WHERE tier = ?'),
      newestUpdate: db.prepare<[], { last_update: string | null }>("SELECT max(last_update) AS last_update FROM weeks WHERE source LIKE 'api%'"),
      meta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      all: db.prepare<[], LoadedWeek>(
        `SELECT week_start, tier, initial_published, last_update, firm_rows, symbols, reconciled, has_non_ats,
                null_quantities, source, loaded_at, updated_at, revisions,
                unattributed_rows, unattributed_shares, unattributed_trades
         FROM weeks ORDER BY tier, week_start DESC`,
      ),
    };
  }

  newestWeek(tier: Tier): string | undefined {
    return this.stmts.newest.get(tier)?.week_start ?? undefined;
  }

  oldestWeek(tier: Tier): string | undefined {
    return this.stmts.oldest.get(tier)?.week_start ?? undefined;
  }

  /**
   * FINRA's changes dated up to this day are loaded: ask for lastUpdateDate GREATER than it. Before any
   * run has set it, the day before the newest lastUpdateDate pulled from FINRA's API (null: nothing pulled).
   */
  changesCheckedThrough(): string | null {
    const set = this.stmts.meta.get(CHANGES_KEY)?.value;
    if (set) return set;
    const newest = this.stmts.newestUpdate.get()?.last_update;
    return newest ? addDays(newest, -1) : null;
  }

  /**
   * After a run on `today` in which every changed week loaded. FINRA dates a change by day, so a change
   * made later on the day of the run is only certain to be seen on a later day: today is never marked.
   */
  markChangesLoaded(today: string): void {
    const newest = this.stmts.newestUpdate.get()?.last_update;
    if (!newest) return;
    const yesterday = addDays(today, -1);
    this.stmts.setMeta.run(CHANGES_KEY, newest < yesterday ? newest : yesterday);
  }

  loadedWeeks(): LoadedWeek[] {
    return this.stmts.all.all();
  }
}
