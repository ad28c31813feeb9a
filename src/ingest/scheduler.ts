// Runs the ingest on a schedule, each run in a child process (`darkpool-radar ingest`) that shares the
// WAL database with the server. Why a child and not the server's own thread: publishing a week is a
// synchronous SQLite transaction over up to ~100k rows, which would stall every request for its
// duration; in a child, the server keeps answering from the last committed state. A crash or OOM in
// an ingest cannot take the API down, and its memory is returned when it exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';

export interface SchedulerOptions {
  /** A cron expression evaluated in UTC, or 'off'. */
  cron: string;
  logger: Logger;
  /** True when the store holds at least one week; otherwise an ingest starts at once. */
  hasData: () => boolean;
  /** The command that runs one ingest; defaults to this build's CLI. */
  command?: { file: string; args: string[] };
  env?: NodeJS.ProcessEnv;
  /** How long a stopping server waits for a running ingest before killing it. */
  stopGraceMs?: number;
  /** Waits before the first ingest is tried again while the store stays empty; then the schedule. */
  startupRetryMs?: readonly number[];
}

/** A first ingest that loaded nothing (FINRA unreachable, say) is tried again after 1, 5, 15 and 60 minutes. */
export const STARTUP_RETRY_MS = [1, 5, 15, 60].map((m) => m * 60_000);

export const DEFAULT_INGEST_COMMAND = {
  file: process.execPath,
  args: [fileURLToPath(new URL('../cli.js', import.meta.url)), 'ingest', '--quiet'],
};

export class IngestScheduler {
  private task: ScheduledTask | null = null;
  private child: ChildProcess | null = null;
  private running: Promise<number | null> | null = null;
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {}

  start(): void {
    const { logger } = this.options;
    if (this.options.cron === 'off') {
      // Air-gapped: no network at all, not even on an empty store; data comes in by `darkpool-radar import`.
      logger.info(
        { empty: !this.options.hasData() },
        'ingest is off (INGEST_CRON=off): no request to FINRA; load data with `darkpool-radar import`',
      );
      return;
    }
    this.task = cron.schedule(this.options.cron, () => void this.runNow('schedule'), { timezone: 'Etc/UTC', name: 'finra-ingest' });
    logger.info({ cron: this.options.cron, next: this.task.getNextRun() }, 'ingest scheduled (UTC)');
    if (!this.options.hasData()) {
      logger.info('the store is empty: starting an ingest now; data endpoints answer 503 no_data until a week lands');
      void this.startupAttempt(0);
    }
  }

  private retryTimer: NodeJS.Timeout | null = null;
  /** When the next try of a first ingest that loaded nothing is due. */
  private retryAt: Date | null = null;

  /** The first ingest, tried again with growing waits while the store stays empty. */
  private async startupAttempt(attempt: number): Promise<void> {
    await this.runNow(attempt === 0 ? 'startup' : 'startup-retry');
    this.retryAt = null;
    if (this.stopped || this.options.hasData()) return;
    const waits = this.options.startupRetryMs ?? STARTUP_RETRY_MS;
    const wait = waits[attempt];
    const { logger } = this.options;
    if (wait === undefined) {
      logger.error({ next: this.nextRun() }, 'nothing is loaded yet and the first ingests failed; the schedule tries again');
      return;
    }
    this.retryAt = new Date(Date.now() + wait);
    logger.warn({ next: this.retryAt, attempt: attempt + 1 }, 'nothing is loaded yet: the first ingest loaded no week; trying again');
    this.retryTimer = setTimeout(() => void this.startupAttempt(attempt + 1), wait);
    this.retryTimer.unref();
  }

  private nextScheduled: Date | null = null;

  /**
   * When the schedule fires next; null when it is off or stopped. Every cacheable answer asks (its
   * Cache-Control max-age ends there), and computing a cron's next run is costly: it is kept until it passes.
   */
  nextRun(): Date | null {
    if (!this.task) this.nextScheduled = null;
    else if (!this.nextScheduled || this.nextScheduled.getTime() <= Date.now()) this.nextScheduled = this.task.getNextRun();
    const scheduled = this.nextScheduled;
    if (!this.retryAt || (scheduled && scheduled < this.retryAt)) return scheduled;
    return this.retryAt;
  }

  /** Starts one ingest unless one is running; resolves with its exit code (null if none started). */
  runNow(trigger: string): Promise<number | null> {
    const { logger } = this.options;
    if (this.stopped) return Promise.resolve(null);
    if (this.running) {
      logger.warn({ trigger }, 'an ingest is still running; this one is skipped');
      return this.running;
    }
    const command = this.options.command ?? DEFAULT_INGEST_COMMAND;
    const child = spawn(command.file, [...command.args, '--trigger', trigger], {
      env: this.options.env ?? process.env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    this.child = child;
    logger.info({ trigger, pid: child.pid }, 'ingest started');
    this.running = new Promise<number | null>((resolve) => {
      child.once('error', (err) => {
        logger.error({ err }, 'could not start the ingest process');
        resolve(null);
      });
      child.once('exit', (code, signal) => {
        // Exit codes: 0 every week fine, 2 some weeks refused or failed, 1 nothing loaded,
        // 75 another process holds the ingest lock.
        if (code === 0) logger.info({ trigger, code }, 'ingest finished');
        else if (code === 75) logger.info({ trigger, code }, 'ingest skipped: another process is ingesting');
        else {
          const serving = this.options.hasData() ? 'serving the data already loaded' : 'nothing is loaded yet';
          logger.error({ trigger, code, signal }, `ingest did not finish cleanly; ${serving}`);
        }
        resolve(code);
      });
    }).finally(() => {
      this.running = null;
      this.child = null;
    });
    return this.running;
  }

  /** Stops scheduling; a running ingest gets SIGTERM (its transaction either commits or rolls back), then SIGKILL. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.task?.destroy();
    this.task = null;
    const child = this.child;
    const running = this.running;
    if (!child || !running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), this.options.stopGraceMs ?? 10_000);
    await running;
    clearTimeout(timer);
  }
}
