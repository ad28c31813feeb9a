// What the store holds: loaded weeks per tier. Used by `status`, planning, health and freshness.
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
}

export class WeekStatus {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      newest: db.prepare<[string], { week_start: string | null }>('SELECT max(week_start) AS week_start FROM weeks WHERE tier = ?'),
      all: db.prepare<[], LoadedWeek>(
        `SELECT week_start, tier, initial_published, last_update, firm_rows, symbols, reconciled, has_non_ats,
                null_quantities, source, loaded_at, updated_at, revisions
         FROM weeks ORDER BY tier, week_start DESC`,
      ),
    };
  }

  newestWeek(tier: Tier): string | undefined {
    return this.stmts.newest.get(tier)?.week_start ?? undefined;
  }

  loadedWeeks(): LoadedWeek[] {
    return this.stmts.all.all();
  }
}
