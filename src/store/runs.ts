// The ingest run log: every run and what it did to each week, refusals included.
import type { Db } from './db.js';

export type RunStatus = 'running' | 'ok' | 'partial' | 'failed';
export type WeekOutcome = 'published' | 'revised' | 'unchanged' | 'refused' | 'failed';
/** A day may also not be out yet: FINRA's CDN answers 403 until the file appears. */
export type DayRunOutcome = WeekOutcome | 'not_published';
export type RunKind = 'weekly' | 'daily';

export interface RunRecord {
  id: number;
  trigger: string;
  started_at: string;
  finished_at: string | null;
  status: RunStatus;
  kind: RunKind;
  summary: string | null;
}

export class RunLog {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      start: db.prepare<[string, string, RunKind]>("INSERT INTO runs (trigger, started_at, status, kind) VALUES (?, ?, 'running', ?)"),
      week: db.prepare('INSERT INTO run_weeks (run_id, week_start, tier, outcome, detail, at) VALUES (?, ?, ?, ?, ?, ?)'),
      day: db.prepare('INSERT INTO run_days (run_id, trade_date, outcome, detail, at) VALUES (?, ?, ?, ?, ?)'),
      finish: db.prepare('UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?'),
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

  finish(runId: number, status: Exclude<RunStatus, 'running'>, summary: unknown, at: string): void {
    this.stmts.finish.run(at, status, JSON.stringify(summary), runId);
  }

  last(kind: RunKind = 'weekly'): RunRecord | undefined {
    return this.stmts.last.get(kind);
  }

  lastFinished(kind: RunKind = 'weekly'): RunRecord | undefined {
    return this.stmts.lastFinished.get(kind);
  }
}
