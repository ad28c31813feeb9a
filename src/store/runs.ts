// The ingest run log: every run and what it did to each week, refusals included.
import type { Usage } from '../domain/usage.js';
import type { Db } from './db.js';

export type RunStatus = 'running' | 'ok' | 'partial' | 'failed';
export const WEEK_OUTCOMES = ['published', 'revised', 'unchanged', 'refused', 'failed', 'unavailable'] as const;
/** `unavailable`: FINRA serves the week in neither dataset; nothing was wrong with any data. */
export type WeekOutcome = (typeof WEEK_OUTCOMES)[number];
/**
 * A day may also not be out yet (FINRA's CDN answers 403 until the file appears), or be `missing`: still
 * absent two business days after the trading day.
 */
export const DAY_OUTCOMES = ['published', 'revised', 'unchanged', 'not_published', 'missing', 'refused', 'failed'] as const;
export type DayRunOutcome = (typeof DAY_OUTCOMES)[number];
export type RunKind = 'weekly' | 'daily';

export interface RunRecord {
  id: number;
  trigger: string;
  started_at: string;
  finished_at: string | null;
  status: RunStatus;
  kind: RunKind;
  summary: string | null;
  requests: number | null;
  bytes: number | null;
}

export class RunLog {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      start: db.prepare<[string, string, RunKind]>("INSERT INTO runs (trigger, started_at, status, kind) VALUES (?, ?, 'running', ?)"),
      week: db.prepare('INSERT INTO run_weeks (run_id, week_start, tier, outcome, detail, at) VALUES (?, ?, ?, ?, ?, ?)'),
      day: db.prepare('INSERT INTO run_days (run_id, trade_date, outcome, detail, at) VALUES (?, ?, ?, ?, ?)'),
      finish: db.prepare('UPDATE runs SET finished_at = ?, status = ?, summary = ?, requests = ?, bytes = ? WHERE id = ?'),
      monthBytes: db.prepare<[string], { requests: number | null; bytes: number | null }>(
        'SELECT sum(requests) AS requests, sum(bytes) AS bytes FROM runs WHERE started_at >= ?',
      ),
      last: db.prepare<[RunKind], RunRecord>('SELECT * FROM runs WHERE kind = ? ORDER BY id DESC LIMIT 1'),
      lastFinished: db.prepare<[RunKind], RunRecord>("SELECT * FROM runs WHERE kind = ? AND status != 'running' ORDER BY id DESC LIMIT 1"),
    };
  }

  start(trigger: string, at: string, kind: RunKind = 'weekly'): number {
    return Number(this.stmts.start.run(trigger, at, kind).lastInsertRowid);
  }

  week(runId: number, weekStart: string, tier: string, outcome: WeekOutcome, detail: string | null, at: string): void {
    this.stmts.week.run(runId, weekStart, tier, outcome, detail, at);
  }

  day(runId: number, tradeDate: string, outcome: DayRunOutcome, detail: string | null, at: string): void {
    this.stmts.day.run(runId, tradeDate, outcome, detail, at);
  }

  /** `usage`: what the run asked of FINRA (null for file imports). */
  finish(runId: number, status: Exclude<RunStatus, 'running'>, summary: unknown, at: string, usage: Usage | null = null): void {
    this.stmts.finish.run(at, status, JSON.stringify(summary), usage?.requests ?? null, usage?.bytes ?? null, runId);
  }

  /** Requests and bytes of every run started since `from` (e.g. the first of the month). */
  usageSince(from: string): Usage {
    const row = this.stmts.monthBytes.get(from);
    return { requests: row?.requests ?? 0, bytes: row?.bytes ?? 0 };
  }

  last(kind: RunKind = 'weekly'): RunRecord | undefined {
    return this.stmts.last.get(kind);
  }

  lastFinished(kind: RunKind = 'weekly'): RunRecord | undefined {
    return this.stmts.lastFinished.get(kind);
  }
}
