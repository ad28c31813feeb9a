// What FINRA changed after publishing a week, and when: every revision the store kept (store/publish.ts
// archives the version a revision replaces), as the difference between consecutive versions.
import { weekEndingOf, weekStartOf } from '../domain/calendar.js';
import { exactSum } from '../domain/exact-sum.js';
import type { Tier } from '../domain/tiers.js';
import type { Coverage } from '../domain/week.js';
import type { Db } from '../store/db.js';
import type { Snapshot } from './snapshot.js';
import { usd, type Reports } from './weekly.js';

interface VersionRow {
  week_start: string;
  tier: Tier;
  version: number;
  last_update: string | null;
  updated_at: string;
  coverage: Coverage;
}

interface Figures {
  symbol: string;
  shares: number;
  trades: number;
  notional: number | null;
}

/** One symbol's figures in a version: 0 when a whole week does not list it, unknown (null) in a totals-only week. */
interface SymbolFigures {
  dark_pool_shares: number | null;
  dark_pool_trades: number | null;
  dark_pool_volume_usd: number | null;
}

export interface RevisionQuery {
  ticker?: string;
  week?: string;
  limit?: number;
}

export class Revisions {
  private readonly s;

  constructor(
    db: Db,
    private readonly reports: Reports,
    private readonly snapshot: Snapshot,
  ) {
    this.s = {
      // Every version of the revised weeks: the archived ones and the current one (revisions + 1).
      versions: db.prepare<{ week: string | null }, VersionRow>(
        `SELECT week_start, tier, version, last_update, updated_at, coverage FROM week_versions
         WHERE @week IS NULL OR week_start = @week
         UNION ALL
         SELECT week_start, tier, revisions + 1, last_update, updated_at, coverage FROM weeks
         WHERE revisions > 0 AND (@week IS NULL OR week_start = @week)
         ORDER BY week_start DESC, tier, version`,
      ),
      archived: db.prepare<[string, string, number], Figures>(
        'SELECT symbol, shares, trades, notional FROM symbol_week_versions WHERE week_start = ? AND tier = ? AND version = ?',
      ),
      current: db.prepare<[string, string], Figures>(
        'SELECT symbol, shares, trades, notional FROM symbol_weeks WHERE week_start = ? AND tier = ?',
      ),
      archivedOne: db.prepare<[string, string, string, number], Figures>(
        'SELECT symbol, shares, trades, notional FROM symbol_week_versions WHERE symbol = ? AND tier = ? AND week_start = ? AND version = ?',
      ),
      currentOne: db.prepare<[string, string, string], Figures>(
        'SELECT symbol, shares, trades, notional FROM symbol_weeks WHERE symbol = ? AND tier = ? AND week_start = ?',
      ),
    };
  }

  /** Revisions newest first (by when they were loaded here); with `ticker`, only those that changed its figures. */
  list(query: RevisionQuery = {}) {
    return this.snapshot.read(() => this.#listNow(query));
  }

  #listNow({ ticker, week, limit = 100 }: RevisionQuery) {
    const symbol = ticker ? this.reports.symbol(ticker).symbol : null;
    const versions = this.s.versions.all({ week: week ? weekStartOf(week) : null });
    const data = [];
    for (let i = 1; i < versions.length; i++) {
      const before = versions[i - 1]!;
      const after = versions[i]!;
      if (before.week_start !== after.week_start || before.tier !== after.tier) continue;
      // With a ticker, its two figures decide first: the whole versions are read only for revisions it shows.
      const mine = symbol ? { before: this.of(symbol, before, versions), after: this.of(symbol, after, versions) } : null;
      if (mine && sameFigures(mine.before, mine.after)) continue;
      const old = this.figures(before, versions);
      const now = this.figures(after, versions);
      data.push({
        week_start: after.week_start,
        week_ending: weekEndingOf(after.week_start),
        tier: after.tier,
        version: after.version,
        finra_last_update_before: before.last_update,
        finra_last_update: after.last_update,
        loaded_before: before.updated_at,
        loaded_at: after.updated_at,
        coverage_before: before.coverage,
        coverage: after.coverage,
        ...changedSymbols(old, now),
        dark_pool_shares_before: exactSum([...old.values()].map((f) => f.shares)),
        dark_pool_shares: exactSum([...now.values()].map((f) => f.shares)),
        symbol: mine && symbol ? { ticker: symbol, before: mine.before, after: mine.after } : null,
      });
    }
    data.sort((a, b) => b.loaded_at.localeCompare(a.loaded_at) || b.week_start.localeCompare(a.week_start));
    const shown = data.slice(0, limit);
    const pairs = [...new Map(shown.map((r) => [`${r.week_start}|${r.tier}`, [r.week_start, r.tier] as [string, Tier]])).values()];
    return { ticker: symbol, data: shown, source: this.reports.sourceFor(pairs) };
  }

  private figures(v: VersionRow, all: VersionRow[]): Map<string, Figures> {
    const rows = isCurrent(v, all) ? this.s.current.all(v.week_start, v.tier) : this.s.archived.all(v.week_start, v.tier, v.version);
    return new Map(rows.map((r) => [r.symbol, r]));
  }

  private of(symbol: string, v: VersionRow, all: VersionRow[]): SymbolFigures {
    const f = isCurrent(v, all)
      ? this.s.currentOne.get(symbol, v.tier, v.week_start)
      : this.s.archivedOne.get(symbol, v.tier, v.week_start, v.version);
    if (f) return { dark_pool_shares: f.shares, dark_pool_trades: f.trades, dark_pool_volume_usd: usd(f.notional) };
    const none = v.coverage === 'full' ? 0 : null;
    return { dark_pool_shares: none, dark_pool_trades: none, dark_pool_volume_usd: none };
  }
}

/** The current version is the newest of its week: no later one is archived. */
const isCurrent = (v: VersionRow, all: VersionRow[]) =>
  !all.some((x) => x.week_start === v.week_start && x.tier === v.tier && x.version > v.version);

function sameFigures(a: SymbolFigures, b: SymbolFigures): boolean {
  return (
    a.dark_pool_shares === b.dark_pool_shares &&
    a.dark_pool_trades === b.dark_pool_trades &&
    a.dark_pool_volume_usd === b.dark_pool_volume_usd
  );
}

function changedSymbols(before: Map<string, Figures>, after: Map<string, Figures>) {
  let changed = 0;
  let added = 0;
  let removed = 0;
  for (const [symbol, f] of after) {
    const old = before.get(symbol);
    if (!old) added++;
    else if (old.shares !== f.shares || old.trades !== f.trades || old.notional !== f.notional) changed++;
  }
  for (const symbol of before.keys()) if (!after.has(symbol)) removed++;
  return { symbols_changed: changed, symbols_added: added, symbols_removed: removed };
}
