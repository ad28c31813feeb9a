// What changed in the data, newest first: each FINRA week as it was first published here and each
// revision of it (store/publish.ts keeps every version), for the Atom feed.
import { weekEndingOf } from '../domain/calendar.js';
import type { Tier } from '../domain/tiers.js';
import type { Coverage } from '../domain/week.js';
import type { Db } from '../store/db.js';
import type { Snapshot } from './snapshot.js';

export interface Publication {
  kind: 'published' | 'revised';
  week_start: string;
  week_ending: string;
  tier: Tier;
  version: number;
  /** When this version was loaded here (ISO 8601). */
  loaded_at: string;
  finra_last_update: string | null;
  symbols: number;
  coverage: Coverage;
}

type Row = Omit<Publication, 'kind' | 'week_ending'>;

export class Publications {
  private readonly newest;

  constructor(
    db: Db,
    private readonly snapshot: Snapshot,
  ) {
    this.newest = db.prepare<[number], Row>(
      `SELECT week_start, tier, version, updated_at AS loaded_at, last_update AS finra_last_update, symbols, coverage FROM week_versions
       UNION ALL
       SELECT week_start, tier, revisions + 1, updated_at, last_update, symbols, coverage FROM weeks
       ORDER BY loaded_at DESC, week_start DESC, tier LIMIT ?`,
    );
  }

  /** The `limit` newest publications and revisions. */
  list(limit = 100): Publication[] {
    return this.snapshot.read(() =>
      this.newest.all(limit).map((r) => ({
        kind: r.version === 1 ? 'published' : 'revised',
        week_ending: weekEndingOf(r.week_start),
        ...r,
      })),
    );
  }
}
