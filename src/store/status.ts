// What the store holds: loaded weeks per tier. Used by `status`, planning, health and freshness.
import { addDays } from '../domain/calendar.js';
import type { Tier } from '../domain/tiers.js';
import type { Coverage } from '../domain/week.js';
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
  /** `symbol_totals`: FINRA's per-symbol totals of some symbols only, no venues (see build-week.ts). */
  coverage: Coverage;
}

const CHANGES_KEY = 'finra_changes_loaded_through';

export class WeekStatus {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      // Whole weeks only: a week held as per-symbol totals is still to be pulled whole.
      newest: db.prepare<[string], { week_start: string | null }>(
        "SELECT max(week_start) AS week_start FROM weeks WHERE tier = ? AND coverage = 'full'",
      ),
      oldest: db.prepare<[string], { week_start: string | null }>(
        "SELECT min(week_start) AS week_start FROM weeks WHERE tier = ? AND coverage = 'full'",
      ),
      newestUpdate: db.prepare<[], { last_update: string | null }>(
        "SELECT max(last_update) AS last_update FROM weeks WHERE source LIKE 'api%'",
      ),
      meta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      all: db.prepare<[], LoadedWeek>(
        `SELECT week_start, tier, initial_published, last_update, firm_rows, symbols, reconciled, has_non_ats,
                null_quantities, source, loaded_at, updated_at, revisions,
                unattributed_rows, unattributed_shares, unattributed_trades, coverage
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
   * The newest day whose FINRA changes are known to be loaded: set by the last run in which every
   * changed week loaded, else the newest lastUpdateDate of a week pulled from FINRA's API (null:
   * nothing pulled yet). Runs ask for changes dated from that day on, the day itself included: a
   * change FINRA dates that same day but made after the run must not be missed.
   */
  changesCheckedThrough(): string | null {
    return this.stmts.meta.get(CHANGES_KEY)?.value ?? this.stmts.newestUpdate.get()?.last_update ?? null;
  }

  /** After a run on `today` in which every changed week loaded; never later than the day before the run. */
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
