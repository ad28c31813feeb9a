// The ingest run log: every run and what it did to each week, refusals included.
import type { Db } from './db.js';

export type RunStatus = 'running' | 'ok' | 'partial' | 'failed';
export type WeekOutcome = 'published' | 'revised' | 'unchanged' | 'refused' | 'failed';

export interface RunRecord {
  id: number;
  trigger: string;
  started_at: string;
  finished_at: string | null;
  status: RunStatus;
  summary: string | null;
}

export class RunLog {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      start: db.prepare<[string, string]>("INSERT INTO runs (trigger, started_at, status) VALUES (?, ?, 'running')"),
      week: db.prepare('INSERT INTO run_weeks (run_id, week_start, tier, outcome, detail, at) VALUES (?, ?, ?, ?, ?, ?)'),
      finish: db.prepare('UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE id = ?'),
      last: db.prepare<[], RunRecord>('SELECT * FROM runs ORDER BY id DESC LIMIT 1'),
      lastFinished: db.prepare<[], RunRecord>("SELECT * FROM runs WHERE status != 'running' ORDER BY id DESC LIMIT 1"),
    };
  }

  start(trigger: string, at: string): number {
    return Number(this.stmts.start.run(trigger, at).lastInsertRowid);
  }

  week(runId: number, weekStart: string, tier: string, outcome: WeekOutcome, detail: string | null, at: string): void {
    this.stmts.week.run(runId, weekStart, tier, outcome, detail, at);
  }

  finish(runId: number, status: Exclude<RunStatus, 'running'>, summary: unknown, at: string): void {
    this.stmts.finish.run(at, status, JSON.stringify(summary), runId);
  }

  last(): RunRecord | undefined {
    return this.stmts.last.get();
  }

  lastFinished(): RunRecord | undefined {
    return this.stmts.lastFinished.get();
  }
}
