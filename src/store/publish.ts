// Publishing a built week: one synchronous transaction that replaces the (week, tier) rows, writes
// the per-symbol sums with their trends, and refreshes the trends of the week after it. Readers see
// the old week or the new one, never a mix; a crash mid-way leaves the old one. A revision keeps the
// version it replaces (read/point-in-time.ts serves it for dates before the revision).
import { addDays } from '../domain/calendar.js';
import { exactSum } from '../domain/exact-sum.js';
import { lookupKey } from '../domain/symbols.js';
import type { Tier } from '../domain/tiers.js';
import { checksum, type BuiltWeek, type Coverage, type SymbolAggregate } from '../domain/week.js';
import { weekOverWeek } from '../domain/trend.js';
import type { Db } from './db.js';
import { DataChanges } from './changes.js';

/** Places a symbol in a sector as it is published (sectors/table.ts is the service's). */
export interface SectorClassifier {
  /** Changes when the classification does: stored symbols are then placed again. */
  readonly version: string;
  classify(symbol: string, issueName: string | null): { sector: string; source: string };
}

/**
 * Scores what was served for a week (estimates) against FINRA's figures when FINRA first publishes
 * it, inside the publish transaction; the estimate model provides it (see compose.ts).
 */
export interface PublishScorer {
  /** Read before anything of the week is written. */
  estimatesBefore(weekStart: string, tier: Tier): readonly unknown[];
  /** After: the week's published shares per symbol. */
  record(estimates: readonly unknown[], published: ReadonlyMap<string, number>, now: string): void;
}

export interface PublishResult {
  outcome: 'published' | 'revised' | 'unchanged';
  /** For a revision: what FINRA changed, in a line. */
  detail: string | null;
}

export interface PublishMeta {
  source: string;
  now: string; // ISO timestamp
}

export class Publisher {
  private readonly stmts;
  private readonly publishTx;

  constructor(
    db: Db,
    private readonly sectors: SectorClassifier,
    /** Scores the estimates of a week when FINRA first publishes it. */
    private readonly scorer: PublishScorer | null = null,
    private readonly changes = new DataChanges(db),
  ) {
    this.stmts = {
      week: db.prepare<
        [string, string],
        { checksum: string; last_update: string | null; initial_published: string | null; coverage: Coverage }
      >('SELECT checksum, last_update, initial_published, coverage FROM weeks WHERE week_start = ? AND tier = ?'),
      storedTotals: db.prepare<[string, string], SymbolAggregate>(
        `SELECT symbol, issue_name AS issueName, shares, trades, notional, venues, non_ats_shares AS nonAtsShares,
                non_ats_trades AS nonAtsTrades, 0 AS nullShareRows, 0 AS nullTradeRows
         FROM symbol_weeks WHERE week_start = ? AND tier = ?`,
      ),
      // A revision keeps what it replaces, whole: the superseded version moves to the *_versions tables.
      archiveWeek: db.prepare(
        `INSERT INTO week_versions (week_start, tier, version, initial_published, last_update, firm_rows, symbols, checksum,
           reconciled, has_non_ats, null_quantities, source, loaded_at, updated_at, unattributed_rows, unattributed_shares,
           unattributed_trades, coverage, superseded_at)
         SELECT week_start, tier, revisions + 1, initial_published, last_update, firm_rows, symbols, checksum, reconciled,
                has_non_ats, null_quantities, source, loaded_at, updated_at, unattributed_rows, unattributed_shares,
                unattributed_trades, coverage, @now
         FROM weeks WHERE week_start = @week AND tier = @tier`,
      ),
      archiveSymbols: db.prepare(
        `INSERT INTO symbol_week_versions (week_start, tier, version, symbol, issue_name, shares, trades, notional, venues,
           non_ats_shares, non_ats_trades)
         SELECT s.week_start, s.tier, w.revisions + 1, s.symbol, s.issue_name, s.shares, s.trades, s.notional, s.venues,
                s.non_ats_shares, s.non_ats_trades
         FROM symbol_weeks s JOIN weeks w ON w.week_start = s.week_start AND w.tier = s.tier
         WHERE s.week_start = @week AND s.tier = @tier`,
      ),
      archiveVenues: db.prepare(
        `INSERT INTO venue_week_versions (week_start, tier, version, mpid, participant_name, shares, trades, notional,
           with_notional, rows, symbols, unattributed_shares, unattributed_trades)
         SELECT v.week_start, v.tier, w.revisions + 1, v.mpid, v.participant_name, v.shares, v.trades, v.notional,
                v.with_notional, v.rows, v.symbols, v.unattributed_shares, v.unattributed_trades
         FROM venue_weeks v JOIN weeks w ON w.week_start = v.week_start AND w.tier = v.tier
         WHERE v.week_start = @week AND v.tier = @tier`,
      ),
      archiveRows: db.prepare(
        `INSERT INTO ats_row_versions (week_start, tier, version, symbol, mpid, participant_name, shares, trades, notional, last_update)
         SELECT a.week_start, a.tier, w.revisions + 1, a.symbol, a.mpid, a.participant_name, a.shares, a.trades, a.notional, a.last_update
         FROM ats_rows a JOIN weeks w ON w.week_start = a.week_start AND w.tier = a.tier
         WHERE a.week_start = @week AND a.tier = @tier`,
      ),
      archiveFirms: db.prepare(
        `INSERT INTO otc_firm_row_versions (week_start, tier, version, symbol, firm, shares, trades, last_update)
         SELECT o.week_start, o.tier, w.revisions + 1, o.symbol, o.firm, o.shares, o.trades, o.last_update
         FROM otc_firm_rows o JOIN weeks w ON w.week_start = o.week_start AND w.tier = o.tier
         WHERE o.week_start = @week AND o.tier = @tier`,
      ),
      deleteFirms: db.prepare('DELETE FROM otc_firm_rows WHERE week_start = ? AND tier = ?'),
      insertFirm: db.prepare(
        'INSERT INTO otc_firm_rows (week_start, tier, symbol, firm, shares, trades, last_update) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      deleteRows: db.prepare('DELETE FROM ats_rows WHERE week_start = ? AND tier = ?'),
      deleteSymbols: db.prepare('DELETE FROM symbol_weeks WHERE week_start = ? AND tier = ?'),
      deleteVenues: db.prepare('DELETE FROM venue_weeks WHERE week_start = ? AND tier = ?'),
      // (symbol, mpid) is the rows' key, so a venue's rows are its symbols; its symbol-less row ('')
      // counts in its volume and apart as unattributed, never as a symbol.
      sumVenues: db.prepare(
        `INSERT INTO venue_weeks (week_start, tier, mpid, participant_name, shares, trades, notional, with_notional, rows, symbols,
           unattributed_shares, unattributed_trades)
         SELECT week_start, tier, mpid, max(participant_name), coalesce(exact_sum(shares), 0), coalesce(sum(trades), 0), sum(notional),
                count(notional), count(*), count(CASE WHEN shares > 0 AND symbol <> '' THEN 1 END),
                coalesce(exact_sum(CASE WHEN symbol = '' THEN shares END), 0), coalesce(sum(CASE WHEN symbol = '' THEN trades END), 0)
         FROM ats_rows WHERE week_start = ? AND tier = ? GROUP BY mpid`,
      ),
      insertRow: db.prepare(
        `INSERT INTO ats_rows (week_start, tier, symbol, mpid, participant_name, shares, trades, notional, last_update)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertSymbol: db.prepare(
        `INSERT INTO symbol_weeks (week_start, tier, symbol, issue_name, shares, trades, notional, venues,
           non_ats_shares, non_ats_trades, prev_shares, change_pct, trend)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      sharesOfWeek: db.prepare<[string, string], { symbol: string; shares: number }>(
        'SELECT symbol, shares FROM symbol_weeks WHERE week_start = ? AND tier = ?',
      ),
      revisionsOf: db.prepare<[string, string], number>('SELECT revisions FROM weeks WHERE week_start = ? AND tier = ?').pluck(),
      coverageOf: db.prepare<[string, string], Coverage>('SELECT coverage FROM weeks WHERE week_start = ? AND tier = ?').pluck(),
      setTrend: db.prepare(
        'UPDATE symbol_weeks SET prev_shares = ?, change_pct = ?, trend = ? WHERE week_start = ? AND tier = ? AND symbol = ?',
      ),
      // Only a week at least as new as the symbol's newest moves its tier, name and sector.
      upsertSymbol: db.prepare(
        `INSERT INTO symbols (symbol, lookup_key, issue_name, tier, newest_week, sector, sector_source)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (symbol) DO UPDATE SET
           issue_name = excluded.issue_name, tier = excluded.tier, newest_week = excluded.newest_week,
           sector = excluded.sector, sector_source = excluded.sector_source
         WHERE excluded.newest_week >= symbols.newest_week`,
      ),
      upsertWeek: db.prepare(
        `INSERT INTO weeks (week_start, tier, initial_published, last_update, firm_rows, symbols, checksum, reconciled,
           has_non_ats, null_quantities, source, loaded_at, updated_at, revisions,
           unattributed_rows, unattributed_shares, unattributed_trades, coverage)
         VALUES (@week_start, @tier, @initial_published, @last_update, @firm_rows, @symbols, @checksum, @reconciled,
           @has_non_ats, @null_quantities, @source, @now, @now, 0,
           @unattributed_rows, @unattributed_shares, @unattributed_trades, @coverage)
         ON CONFLICT (week_start, tier) DO UPDATE SET
           initial_published = excluded.initial_published, last_update = excluded.last_update,
           firm_rows = excluded.firm_rows, symbols = excluded.symbols, checksum = excluded.checksum,
           reconciled = excluded.reconciled, has_non_ats = excluded.has_non_ats,
           null_quantities = excluded.null_quantities, source = excluded.source,
           unattributed_rows = excluded.unattributed_rows, unattributed_shares = excluded.unattributed_shares,
           unattributed_trades = excluded.unattributed_trades, coverage = excluded.coverage,
           updated_at = excluded.updated_at, revisions = weeks.revisions + 1`,
      ),
    };
    this.publishTx = db.transaction((week: BuiltWeek, meta: PublishMeta): PublishResult => this.write(week, meta));
  }

  /** Publishes the week unless the stored copy has the same checksum. */
  publish(week: BuiltWeek, meta: PublishMeta): PublishResult {
    // IMMEDIATE takes the write lock up front, so two writers queue instead of failing mid-transaction.
    const result = this.publishTx.immediate(week, meta);
    if (result.outcome !== 'unchanged') this.changes.notify();
    return result;
  }

  private write(built: BuiltWeek, meta: PublishMeta): PublishResult {
    const { weekStart, tier } = built;
    const existing = this.stmts.week.get(weekStart, tier);
    if (existing?.coverage === 'full' && built.coverage === 'symbol_totals') {
      return { outcome: 'unchanged', detail: 'already loaded whole, with its venues: per-symbol totals do not replace it' };
    }
    const week =
      existing?.coverage === 'symbol_totals' && built.coverage === 'symbol_totals' ? this.withStoredTotals(built, existing) : built;
    if (existing?.checksum === week.checksum) return { outcome: 'unchanged', detail: null };
    const before = existing ? this.previousShares(weekStart, tier) : null;
    // Read before anything of the week is written: the estimates as the API served them until now.
    const estimates = existing ? [] : (this.scorer?.estimatesBefore(weekStart, tier) ?? []);

    if (existing) {
      const at = { week: weekStart, tier, now: meta.now };
      const { archiveRows, archiveFirms, archiveVenues, archiveSymbols, archiveWeek } = this.stmts;
      for (const archive of [archiveRows, archiveFirms, archiveVenues, archiveSymbols, archiveWeek]) {
        archive.run(at);
      }
    }
    this.stmts.deleteRows.run(weekStart, tier);
    this.stmts.deleteFirms.run(weekStart, tier);
    this.stmts.deleteSymbols.run(weekStart, tier);
    this.stmts.deleteVenues.run(weekStart, tier);
    for (const r of week.rows) {
      this.stmts.insertRow.run(weekStart, tier, r.symbol, r.mpid, r.participantName, r.shares, r.trades, r.notional, r.lastUpdate);
    }
    for (const f of week.nonAtsFirms) this.stmts.insertFirm.run(weekStart, tier, f.symbol, f.firm, f.shares, f.trades, f.lastUpdate);
    this.stmts.sumVenues.run(weekStart, tier);
    const previous = this.previousShares(addDays(weekStart, -7), tier);
    for (const s of week.symbols) {
      const prev = previous === null ? null : (previous.shares.get(s.symbol) ?? previous.absent);
      const t = weekOverWeek(s.shares, prev);
      this.stmts.insertSymbol.run(
        weekStart,
        tier,
        s.symbol,
        s.issueName,
        s.shares,
        s.trades,
        s.notional,
        s.venues,
        s.nonAtsShares,
        s.nonAtsTrades,
        prev,
        t.changePct,
        t.trend,
      );
      const sector = this.sectors.classify(s.symbol, s.issueName);
      this.stmts.upsertSymbol.run(s.symbol, lookupKey(s.symbol), s.issueName, tier, weekStart, sector.sector, sector.source);
    }
    this.stmts.upsertWeek.run({
      week_start: weekStart,
      tier,
      initial_published: week.initialPublished,
      last_update: week.lastUpdate,
      firm_rows: week.rows.length,
      symbols: week.symbols.length,
      checksum: week.checksum,
      reconciled: week.reconciled ? 1 : 0,
      has_non_ats: week.hasNonAts ? 1 : 0,
      null_quantities: week.nullQuantities,
      unattributed_rows: week.unattributed.rows,
      unattributed_shares: week.unattributed.shares,
      unattributed_trades: week.unattributed.trades,
      coverage: week.coverage,
      source: meta.source,
      now: meta.now,
    });
    this.changes.record(meta.now);
    const version = existing ? this.stmts.revisionsOf.get(weekStart, tier)! + 1 : 1;
    this.changes.event(
      `week:${weekStart}:${tier}:${version}:${week.checksum.slice(0, 16)}`,
      existing ? 'week.revised' : 'week.published',
      {
        week_start: weekStart,
        tier,
        version,
        coverage: week.coverage,
        symbols: week.symbols.length,
        ats_rows: week.rows.length,
        dark_pool_shares: exactSum(week.symbols.map((s) => s.shares)),
        finra_last_update: week.lastUpdate,
      },
      meta.now,
    );
    const after = new Map(week.symbols.map((s) => [s.symbol, s.shares]));
    this.refreshTrends(addDays(weekStart, 7), tier, { shares: after, absent: absentShares(week.coverage) });
    if (estimates.length) this.scorer!.record(estimates, after, meta.now);
    if (!existing) return { outcome: 'published', detail: null };
    return { outcome: 'revised', detail: describeRevision(before?.shares ?? new Map(), after, existing.last_update, week.lastUpdate) };
  }

  /**
   * Totals-only files of one week add up: a file of other symbols keeps the stored ones, and a
   * symbol in both takes the new figures.
   */
  private withStoredTotals(week: BuiltWeek, stored: { initial_published: string | null; last_update: string | null }): BuiltWeek {
    const incoming = new Set(week.symbols.map((s) => s.symbol));
    const kept = this.stmts.storedTotals.all(week.weekStart, week.tier).filter((s) => !incoming.has(s.symbol));
    if (kept.length === 0) return week;
    const symbols = [...kept, ...week.symbols].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
    const earliest = [stored.initial_published, week.initialPublished].filter((d): d is string => !!d).sort()[0] ?? null;
    const newest =
      [stored.last_update, week.lastUpdate]
        .filter((d): d is string => !!d)
        .sort()
        .at(-1) ?? null;
    return {
      ...week,
      symbols,
      initialPublished: earliest,
      lastUpdate: newest,
      hasNonAts: symbols.some((s) => s.nonAtsShares !== null),
      checksum: checksum([], symbols, 'symbol_totals'),
    };
  }

  /** Shares per symbol in a loaded week, and what a symbol missing from it had; null when the week is not loaded. */
  private previousShares(weekStart: string, tier: Tier): PreviousWeek | null {
    const coverage = this.stmts.coverageOf.get(weekStart, tier);
    if (!coverage) return null;
    return {
      shares: new Map(this.stmts.sharesOfWeek.all(weekStart, tier).map((r) => [r.symbol, r.shares])),
      absent: absentShares(coverage),
    };
  }

  /** The week after a (re)published week compares against it: its trends change with it. */
  private refreshTrends(weekStart: string, tier: Tier, previous: PreviousWeek) {
    if (!this.stmts.coverageOf.get(weekStart, tier)) return;
    for (const { symbol, shares } of this.stmts.sharesOfWeek.all(weekStart, tier)) {
      const prev = previous.shares.get(symbol) ?? previous.absent;
      const t = weekOverWeek(shares, prev);
      this.stmts.setTrend.run(prev, t.changePct, t.trend, weekStart, tier, symbol);
    }
  }
}

interface PreviousWeek {
  shares: Map<string, number>;
  /** A symbol missing from a whole week had no ATS volume (0); from a totals-only week, it is not known (null). */
  absent: 0 | null;
}

const absentShares = (coverage: Coverage): 0 | null => (coverage === 'full' ? 0 : null);

function describeRevision(
  before: Map<string, number>,
  after: Map<string, number>,
  fromUpdate: string | null,
  toUpdate: string | null,
): string {
  let changed = 0;
  for (const [symbol, shares] of after) if (before.get(symbol) !== shares) changed++;
  for (const symbol of before.keys()) if (!after.has(symbol)) changed++;
  return `FINRA lastUpdateDate ${fromUpdate ?? 'unknown'} -> ${toUpdate ?? 'unknown'}; ATS shares changed for ${changed} symbols`;
}
