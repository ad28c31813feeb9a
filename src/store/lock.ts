// One ingest at a time, also across processes on one database (the server's scheduled child, a
// cron job, a person at a terminal). The lock is a row; a holder that died (kill -9, power loss)
// is recognised by its pid on this host, or by a heartbeat older than STALE_AFTER_MS elsewhere.
import { hostname } from 'node:os';
import type { Db } from './db.js';

export const STALE_AFTER_MS = 15 * 60_000;

export interface LockHolder {
  holder_pid: number;
  holder_host: string;
  run_id: number | null;
  acquired_at: string;
  heartbeat_at: string;
}

export class IngestLockedError extends Error {
  override name = 'IngestLockedError';
  constructor(readonly holder: LockHolder) {
    super(`another ingest is running (pid ${holder.holder_pid} on ${holder.holder_host}, since ${holder.acquired_at})`);
  }
}

export interface LockIdentity {
  pid: number;
  host: string;
}

export class IngestLock {
  private readonly stmts;
  private readonly me: LockIdentity;

  constructor(
    private readonly db: Db,
    me?: Partial<LockIdentity>,
    private readonly isAlive: (pid: number) => boolean = processIsAlive,
  ) {
    this.me = { pid: me?.pid ?? process.pid, host: me?.host ?? hostname() };
    this.stmts = {
      get: db.prepare<[], LockHolder>(
        "SELECT holder_pid, holder_host, run_id, acquired_at, heartbeat_at FROM ingest_lock WHERE name = 'ingest'",
      ),
      take: db.prepare(
        `INSERT INTO ingest_lock (name, holder_pid, holder_host, run_id, acquired_at, heartbeat_at) VALUES ('ingest', ?, ?, NULL, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder_pid = excluded.holder_pid, holder_host = excluded.holder_host,
           run_id = NULL, acquired_at = excluded.acquired_at, heartbeat_at = excluded.heartbeat_at`,
      ),
      abandon: db.prepare(
        "UPDATE runs SET status = 'failed', finished_at = ?, summary = json_object('error', 'abandoned: the process running it died') WHERE id = ? AND status = 'running'",
      ),
      beat: db.prepare(
        "UPDATE ingest_lock SET heartbeat_at = ?, run_id = coalesce(?, run_id) WHERE name = 'ingest' AND holder_pid = ? AND holder_host = ?",
      ),
      release: db.prepare("DELETE FROM ingest_lock WHERE name = 'ingest' AND holder_pid = ? AND holder_host = ?"),
    };
  }

  /** Takes the lock or throws IngestLockedError. A dead holder's run is marked failed on the way. */
  acquire(now: Date): void {
    this.db
      .transaction(() => {
        const holder = this.stmts.get.get();
        if (holder && !this.isStale(holder, now)) throw new IngestLockedError(holder);
        if (holder?.run_id) this.stmts.abandon.run(now.toISOString(), holder.run_id);
        this.stmts.take.run(this.me.pid, this.me.host, now.toISOString(), now.toISOString());
      })
      .immediate();
  }

  heartbeat(now: Date, runId?: number): void {
    this.stmts.beat.run(now.toISOString(), runId ?? null, this.me.pid, this.me.host);
  }

  release(): void {
    this.stmts.release.run(this.me.pid, this.me.host);
  }

  holder(): LockHolder | undefined {
    return this.stmts.get.get();
  }

  /** Each week beats the heart, and no week takes minutes: a silent holder is gone (or its pid reused). */
  private isStale(holder: LockHolder, now: Date): boolean {
    if (now.getTime() - Date.parse(holder.heartbeat_at) > STALE_AFTER_MS) return true;
    return holder.holder_host === this.me.host && !this.isAlive(holder.holder_pid);
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
