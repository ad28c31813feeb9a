// The daily ingest: every trading day of the window without a stored file is fetched from FINRA's CDN,
// checked whole (header, row count trailer, every row) and stored in one transaction, or refused.
// Days are planned from the market calendar, so holidays (no file) are never asked for; a business
// day the CDN has no file for yet is "not published", to be asked again by the next run.
import { basename } from 'node:path';
import type { Logger } from 'pino';
import { addDays, tradingDaysBetween, todayUtc } from '../domain/calendar.js';
import type { Usage } from '../domain/usage.js';
import { UpstreamHttpError, UpstreamNetworkError } from '../finra/http.js';
import { readTextFile } from './files.js';
import { runPipeline, SKIPPED, withLock } from './pipeline.js';
import type { DailyStore } from '../store/daily.js';
import type { IngestLock } from '../store/lock.js';
import { DAY_OUTCOMES, type DayRunOutcome, type RunLog, type RunStatus } from '../store/runs.js';
import type { Validators } from '../domain/validators.js';
import { CdnBlockedError, type FinraCdnClient } from '../finra/cdn.js';
import type { DailyFile } from '../domain/daily-file.js';
import { DailyFileRefusedError, parseShortVolumeFile, tradeDateOfFileName } from '../finra/short-volume-file.js';

/** How far back a run looks for missing days, unless configured (DAILY_WINDOW_DAYS). */
export const DEFAULT_DAILY_WINDOW_DAYS = 70;
/** FINRA re-posts a day's file marked "Updated" now and then: the newest stored days are asked again. */
export const RECHECK_DAYS = 5;
/** A trading day whose file is still absent this many business days later is missing, not "not out yet". */
export const MISSING_AFTER_BUSINESS_DAYS = 2;

/** Business days after `tradeDate`, up to and including `today`. */
function businessDaysAfter(tradeDate: string, today: string): number {
  return tradeDate >= today ? 0 : tradingDaysBetween(addDays(tradeDate, 1), today).length;
}

export interface DailyContext {
  daily: DailyStore;
  lock: IngestLock;
  runs: RunLog;
  logger: Logger;
  now: () => Date;
  onProgress?: (event: DayResult & { index: number; count: number }) => void;
}

export interface DayResult {
  tradeDate: string;
  outcome: DayRunOutcome;
  detail: string | null;
  rows: number;
  ms: number;
}

export interface DailyRunSummary {
  runId: number;
  status: Exclude<RunStatus, 'running'>;
  days: DayResult[];
  usage: Usage | null;
}

/** Trading days in the window ending today (UTC) that have no stored file, oldest first. */
export function planDays(today: string, windowDays: number, stored: Set<string>): string[] {
  return tradingDaysBetween(addDays(today, -windowDays), today).filter((d) => !stored.has(d));
}

export function ingestDaily(
  ctx: DailyContext,
  cdn: FinraCdnClient,
  options: { trigger: string; windowDays: number; signal?: AbortSignal },
): Promise<DailyRunSummary> {
  const today = todayUtc(ctx.now());
  const from = addDays(today, -options.windowDays);
  return withLock(ctx, () => {
    const missing = planDays(today, options.windowDays, ctx.daily.storedBetween(from, today));
    // The newest stored days again, each with FINRA's validators: an unchanged file costs no body.
    const recheck = new Set(ctx.daily.newestDates(RECHECK_DAYS));
    const dates = [...new Set([...missing, ...recheck])].sort();
    return processDays(
      ctx,
      options.trigger,
      dates,
      async (tradeDate) => {
        const validators = recheck.has(tradeDate) ? ctx.daily.validators(tradeDate) : null;
        const got = await cdn.day(tradeDate, { signal: options.signal, validators });
        if (got.kind === 'not_modified') return { unchanged: 'not modified since it was loaded (HTTP 304)' };
        if (got.kind === 'absent') {
          if (recheck.has(tradeDate)) return { unchanged: `no longer on FINRA's CDN (HTTP ${got.status}); the stored file is kept` };
          const late = businessDaysAfter(tradeDate, today);
          if (late >= MISSING_AFTER_BUSINESS_DAYS) {
            return { missing: `FINRA's CDN still has no file ${late} business days later (HTTP ${got.status})` };
          }
          return { absent: `FINRA's CDN has no file yet (HTTP ${got.status})` };
        }
        return { file: parseShortVolumeFile(got.text, tradeDate), source: got.url, validators: got.validators };
      },
      () => cdn.usage(),
    );
  });
}

/** Stores daily files from disk (CNMSshvol{YYYYMMDD}.txt, as FINRA names them) through the same checks. */
export function importDailyFiles(ctx: DailyContext, paths: string[]): Promise<DailyRunSummary> {
  const byDate = new Map<string, string>();
  for (const path of paths) {
    const date = tradeDateOfFileName(basename(path));
    if (!date) throw new Error(`${basename(path)}: a daily file's name carries its date (CNMSshvol{YYYYMMDD}.txt)`);
    byDate.set(date, path);
  }
  const dates = [...byDate.keys()].sort();
  return withLock(ctx, () =>
    processDays(ctx, 'import', dates, async (tradeDate) => {
      const path = byDate.get(tradeDate)!;
      // FINRA's name for the file, also when it was saved gzipped (.txt.gz).
      const name = basename(path).replace(/\.gz$/, '');
      return { file: parseShortVolumeFile(await readTextFile(path), tradeDate, name), source: `file:${basename(path)}` };
    }),
  );
}

type Loaded =
  { file: DailyFile; source: string; validators?: Validators } | { absent: string } | { missing: string } | { unchanged: string };

function processDays(
  ctx: DailyContext,
  trigger: string,
  dates: string[],
  load: (tradeDate: string) => Promise<Loaded>,
  usage?: () => Usage,
): Promise<DailyRunSummary> {
  const result =
    (tradeDate: string, started: number) =>
    (outcome: DayRunOutcome, detail: string | null, rows = 0): DayResult => ({
      tradeDate,
      outcome,
      detail,
      rows,
      ms: Math.round(performance.now() - started),
    });
  return runPipeline<string, DayResult>(ctx, {
    kind: 'daily',
    trigger,
    unit: 'days',
    plan: async () => dates,
    process: (tradeDate) => processDay(ctx, tradeDate, load, result(tradeDate, performance.now())),
    skipped: (tradeDate) => result(tradeDate, performance.now())('failed', SKIPPED),
    record: (runId, tradeDate, day, at) => ctx.runs.day(runId, tradeDate, day.outcome, day.detail, at),
    bad: ['refused', 'failed', 'missing'],
    outcomes: DAY_OUTCOMES,
    onProgress: ctx.onProgress,
    usage,
  }).then((s) => ({ runId: s.runId, status: s.status, days: s.results, usage: s.usage }));
}

async function processDay(
  ctx: DailyContext,
  tradeDate: string,
  load: (tradeDate: string) => Promise<Loaded>,
  done: (outcome: DayRunOutcome, detail: string | null, rows?: number) => DayResult,
): Promise<DayResult> {
  try {
    const loaded = await load(tradeDate);
    if ('absent' in loaded) return done('not_published', loaded.absent);
    if ('unchanged' in loaded) return done('unchanged', loaded.unchanged);
    if ('missing' in loaded) {
      ctx.logger.error({ tradeDate, detail: loaded.missing }, 'daily file missing');
      return done('missing', loaded.missing);
    }
    const outcome = ctx.daily.publish(loaded.file, { source: loaded.source, now: ctx.now().toISOString(), validators: loaded.validators });
    ctx.logger.info({ tradeDate, outcome, rows: loaded.file.rows.length }, 'day processed');
    return done(outcome, null, loaded.file.rows.length);
  } catch (err) {
    if (err instanceof DailyFileRefusedError) {
      // The day is not stored; whatever the store held for it stays as it was.
      ctx.logger.error({ tradeDate, err: err.message }, 'daily file refused, previous data kept');
      return done('refused', err.message);
    }
    if (err instanceof UpstreamHttpError || err instanceof UpstreamNetworkError) {
      const blocked = err instanceof CdnBlockedError;
      ctx.logger.error(
        { tradeDate, err: err.message, blocked },
        blocked ? "FINRA's CDN refused us" : 'daily file not fetched, previous data kept',
      );
      return done('failed', err.message);
    }
    throw err;
  }
}
