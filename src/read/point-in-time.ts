// The figures as FINRA had published them on a date (`as_of`), for backtests that must not see the
// future. A revision keeps the version it replaces (store/publish.ts), so any date's data can be put
// back together: each (week, tier) as its newest version published on or before the date, weeks not
// yet published left out, and every trend compared with the previous week as it stood then.
//
// How: a read-only connection per date, on which TEMP views named like the store's tables (weeks,
// symbol_weeks, venue_weeks, ats_rows, otc_firm_rows, symbols) shadow them. SQLite resolves an unqualified name in
// the temp schema first, so the very same Queries and Reports answer for the date, with no second
// copy of any query.
import { weekOverWeek } from '../domain/trend.js';
import { openDatabase, type Db } from '../store/db.js';
import { Queries } from './queries.js';
import { Snapshot } from './snapshot.js';
import { Reports } from './weekly.js';

/**
 * When a version became public: FINRA's newest lastUpdateDate over its rows (its first publication
 * date when never revised), else the day it was loaded here (files without dates).
 */
const PUBLISHED = 'substr(coalesce(last_update, initial_published, updated_at), 1, 10)';

const WEEK_COLUMNS = `week_start, tier, initial_published, last_update, firm_rows, symbols, checksum, reconciled, has_non_ats,
  null_quantities, source, loaded_at, updated_at, revisions, unattributed_rows, unattributed_shares, unattributed_trades, coverage`;
const SYMBOL_FIGURES = 'week_start, tier, symbol, issue_name, shares, trades, notional, venues, non_ats_shares, non_ats_trades';
const VENUE_COLUMNS = `week_start, tier, mpid, participant_name, shares, trades, notional, with_notional, rows, symbols,
  unattributed_shares, unattributed_trades`;
const ROW_COLUMNS = 'week_start, tier, symbol, mpid, participant_name, shares, trades, notional, last_update';
const FIRM_COLUMNS = 'week_start, tier, symbol, firm, shares, trades, last_update';

/** The current version's rows (`current`), or the archived version's (`*_versions`), of each visible week. */
const visible = (columns: string, current: string, archived: string) => `
  SELECT ${prefixed('x', columns)} FROM main.${current} x
    JOIN temp.pit_versions v ON v.week_start = x.week_start AND v.tier = x.tier AND v.current = 1
  UNION ALL
  SELECT ${prefixed('x', columns)} FROM main.${archived} x
    JOIN temp.pit_versions v ON v.week_start = x.week_start AND v.tier = x.tier AND v.version = x.version AND v.current = 0`;

const prefixed = (alias: string, columns: string) =>
  columns
    .split(',')
    .map((c) => `${alias}.${c.trim()}`)
    .join(', ');

const VIEWS = `
  CREATE TEMP TABLE pit_date (as_of TEXT NOT NULL);
  CREATE TEMP TABLE pit_versions (
    week_start TEXT NOT NULL, tier TEXT NOT NULL, version INTEGER NOT NULL, current INTEGER NOT NULL,
    PRIMARY KEY (week_start, tier)
  );

  CREATE TEMP VIEW weeks AS
    SELECT ${prefixed('x', WEEK_COLUMNS)} FROM main.weeks x
      JOIN temp.pit_versions v ON v.week_start = x.week_start AND v.tier = x.tier AND v.current = 1
    UNION ALL
    SELECT ${prefixed('x', WEEK_COLUMNS.replace('revisions', 'version - 1 AS revisions'))} FROM main.week_versions x
      JOIN temp.pit_versions v ON v.week_start = x.week_start AND v.tier = x.tier AND v.version = x.version AND v.current = 0;

  CREATE TEMP VIEW pit_symbol_figures AS ${visible(SYMBOL_FIGURES, 'symbol_weeks', 'symbol_week_versions')};

  -- The trend of each symbol-week against the previous week as it stood on the date (the stored one
  -- compares with the previous week's current version). A symbol missing from a whole week had 0 there,
  -- from a totals-only week an unknown figure; without the previous week there is nothing to compare.
  CREATE TEMP VIEW symbol_weeks AS
    SELECT ${SYMBOL_FIGURES}, prev_shares, wow_change_pct(shares, prev_shares) AS change_pct, wow_trend(shares, prev_shares) AS trend
    FROM (
      SELECT f.*,
        CASE (SELECT p.coverage FROM temp.weeks p WHERE p.week_start = date(f.week_start, '-7 days') AND p.tier = f.tier)
          WHEN 'full' THEN coalesce(
            (SELECT p.shares FROM temp.pit_symbol_figures p
             WHERE p.symbol = f.symbol AND p.tier = f.tier AND p.week_start = date(f.week_start, '-7 days')), 0)
          ELSE (SELECT p.shares FROM temp.pit_symbol_figures p
                WHERE p.symbol = f.symbol AND p.tier = f.tier AND p.week_start = date(f.week_start, '-7 days'))
        END AS prev_shares
      FROM temp.pit_symbol_figures f
    );

  CREATE TEMP VIEW venue_weeks AS ${visible(VENUE_COLUMNS, 'venue_weeks', 'venue_week_versions')};
  CREATE TEMP VIEW ats_rows AS ${visible(ROW_COLUMNS, 'ats_rows', 'ats_row_versions')};
  CREATE TEMP VIEW otc_firm_rows AS ${visible(FIRM_COLUMNS, 'otc_firm_rows', 'otc_firm_row_versions')};

  -- A symbol as it stood on the date: its tier and name from its newest visible week; only symbols
  -- some visible week holds. Sectors are ours, not FINRA's: today's classification.
  CREATE TEMP VIEW symbols AS
    SELECT s.symbol, s.lookup_key, n.issue_name, n.tier, n.week_start AS newest_week, s.sector, s.sector_source
    FROM main.symbols s JOIN temp.pit_symbol_figures n ON n.symbol = s.symbol
    WHERE (n.week_start, n.tier) = (SELECT x.week_start, x.tier FROM temp.pit_symbol_figures x
                                    WHERE x.symbol = s.symbol ORDER BY x.week_start DESC, x.tier LIMIT 1);
`;

// The newest version of each (week, tier) public on the date; recomputed whenever the store changes.
const REFRESH_VERSIONS = `
  INSERT INTO temp.pit_versions (week_start, tier, version, current)
  SELECT week_start, tier, max(version), current FROM (
    SELECT week_start, tier, revisions + 1 AS version, 1 AS current, ${PUBLISHED} AS published FROM main.weeks
    UNION ALL
    SELECT week_start, tier, version, 0, ${PUBLISHED} FROM main.week_versions
  ) WHERE published <= (SELECT as_of FROM temp.pit_date)
  GROUP BY week_start, tier`;

/** The service's read models as of one date, on their own connection. */
class DatedReports {
  readonly reports: Reports;

  constructor(
    readonly db: Db,
    asOf: string,
  ) {
    // The trend rule stays in one place (domain/trend.ts): the views call it.
    db.function('wow_change_pct', { deterministic: true }, (cur, prev) => weekOverWeek(cur as number, prev as number | null).changePct);
    db.function('wow_trend', { deterministic: true }, (cur, prev) => weekOverWeek(cur as number, prev as number | null).trend);
    db.exec(VIEWS);
    db.prepare('INSERT INTO temp.pit_date (as_of) VALUES (?)').run(asOf);
    const clear = db.prepare('DELETE FROM temp.pit_versions');
    const refresh = db.prepare(REFRESH_VERSIONS);
    const snapshot = new Snapshot(db);
    // Registered before the read models: the versions are current before they re-read anything.
    snapshot.onChange(() => {
      clear.run();
      refresh.run();
    });
    this.reports = new Reports(new Queries(db), snapshot, { asOf });
  }
}

/**
 * Read models per `as_of` date, each on a read-only connection to the store's file; the few most
 * recently asked dates stay open (a backtest walks forward one date at a time).
 */
export class PointInTime {
  private readonly open = new Map<string, DatedReports>();

  constructor(
    /** The store's file; a store in memory cannot be opened twice. */
    private readonly path: string,
    private readonly keep = 8,
  ) {}

  reports(asOf: string): Reports {
    const found = this.open.get(asOf);
    if (found) {
      // Most recently used last: the first entry is the one to close.
      this.open.delete(asOf);
      this.open.set(asOf, found);
      return found.reports;
    }
    if (this.path === ':memory:' || this.path === '') throw new Error('as_of needs a store in a file');
    const dated = new DatedReports(openDatabase(this.path, { readonly: true }), asOf);
    this.open.set(asOf, dated);
    if (this.open.size > this.keep) {
      const [oldest, entry] = this.open.entries().next().value!;
      this.open.delete(oldest);
      entry.db.close();
    }
    return dated.reports;
  }

  close(): void {
    for (const entry of this.open.values()) entry.db.close();
    this.open.clear();
  }
}
