// How fresh the store is against FINRA's publication calendar, and how the last ingest went.
import {
  addDays,
  daysBetween,
  expectedPublicationDate,
  isBusinessDay,
  newestPublishedWeek,
  todayUtc,
  weekEndingOf,
} from '../domain/calendar.js';
import { TIERS, type Tier } from '../domain/tiers.js';
import type { DailyStore } from '../store/daily.js';
import type { Queries } from './queries.js';
import { DAY_OUTCOMES, WEEK_OUTCOMES, type RunLog, type RunRecord } from '../store/runs.js';

/** A tier is stale once the first week it lacks was due from FINRA more than this many days ago. */
export const STALE_AFTER_DAYS = 7;

export interface TierHealth {
  tier: Tier;
  newest_week_start: string | null;
  newest_week_ending: string | null;
  loaded_at: string | null;
  /** The newest week FINRA's calendar says is published today. */
  calendar_newest_week_start: string;
  weeks_behind: number | null;
  next_week_start: string;
  /** When FINRA's calendar has the week after our newest (or the newest published, if we have none). */
  next_expected_publication: string;
  stale: boolean;
}

export interface RunHealth {
  id: number;
  kind: RunRecord['kind'];
  trigger: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  weeks: Record<string, number>;
}

export interface DailyHealth {
  newest_trade_date: string | null;
  loaded_at: string | null;
  days_loaded: number;
  /** The newest trading day whose file FINRA has published by now (it appears by 6 pm ET that day). */
  expected_trade_date: string;
  stale: boolean;
  /** Trading days the last run found still without a file two business days later. */
  missing_days: string[];
  /** The last run was refused by FINRA's CDN (a 403 that is not S3's "no such file"). */
  blocked: boolean;
  last_run: (Omit<RunHealth, 'weeks'> & { days: Record<string, number> }) | null;
}

function previousBusinessDay(date: string): string {
  let d = addDays(date, -1);
  while (!isBusinessDay(d)) d = addDays(d, -1);
  return d;
}

/** Daily files are stale once the store misses more than one published trading day. */
function dailyHealth(daily: DailyStore, runs: RunLog, today: string): DailyHealth {
  const newest = daily.newest();
  const expected = previousBusinessDay(today);
  const run = runs.lastFinished('daily');
  const days: Record<string, number> = Object.fromEntries(DAY_OUTCOMES.map((o) => [o, 0]));
  const ran = parseSummary(run)?.days ?? [];
  for (const d of ran) days[d.outcome] = (days[d.outcome] ?? 0) + 1;
  return {
    newest_trade_date: newest?.trade_date ?? null,
    loaded_at: newest?.loaded_at ?? null,
    days_loaded: daily.count(),
    expected_trade_date: expected,
    stale: !newest || newest.trade_date < previousBusinessDay(expected),
    missing_days: ran.filter((d) => d.outcome === 'missing').map((d) => d.tradeDate ?? ''),
    blocked: ran.some((d) => d.outcome === 'failed' && d.detail?.startsWith('blocked')),
    last_run: run ? { ...runHeader(run), days } : null,
  };
}

export function healthReport(q: Queries, runs: RunLog, daily: DailyStore, now: Date) {
  const today = todayUtc(now);
  const fresh = new Map(q.freshness().map((f) => [f.tier, f]));
  const tiers: TierHealth[] = TIERS.map((tier) => {
    const newest = fresh.get(tier);
    const calendarNewest = newestPublishedWeek(tier, today);
    const nextWeek = newest ? addDays(newest.week_start, 7) : calendarNewest;
    const nextExpected = expectedPublicationDate(nextWeek, tier);
    return {
      tier,
      newest_week_start: newest?.week_start ?? null,
      newest_week_ending: newest ? weekEndingOf(newest.week_start) : null,
      loaded_at: newest?.loaded_at ?? null,
      calendar_newest_week_start: calendarNewest,
      weeks_behind: newest ? Math.max(0, daysBetween(newest.week_start, calendarNewest) / 7) : null,
      next_week_start: nextWeek,
      next_expected_publication: nextExpected,
      stale: !newest || daysBetween(nextExpected, today) > STALE_AFTER_DAYS,
    };
  });
  const last = runs.lastFinished();
  // A run in progress, in either phase: the daily files come first, then the weekly data.
  const current = [runs.last('daily'), runs.last('weekly')].find((r) => r?.status === 'running');
  const hasData = fresh.size > 0;
  const dailyState = dailyHealth(daily, runs, today);
  // A daily run that did not go well degrades health even before any day loaded (a blocked CDN loads
  // nothing, ever); staleness counts once the service has loaded days: a deployment without them is fine.
  const dailyRunBad = dailyState.last_run !== null && dailyState.last_run.status !== 'ok';
  const dailyDegraded = dailyRunBad || (dailyState.days_loaded > 0 && dailyState.stale);
  const degraded = tiers.some((t) => t.stale) || (last !== undefined && last.status !== 'ok') || dailyDegraded;
  return {
    status: !hasData ? ('no_data' as const) : degraded ? ('degraded' as const) : ('ok' as const),
    now: now.toISOString(),
    tiers,
    last_run: last ? runHealth(last) : null,
    running: current ? runHealth(current) : null,
    daily: dailyState,
  };
}

interface SummaryJson {
  weeks?: { outcome: string }[];
  days?: { outcome: string; tradeDate?: string; detail?: string | null }[];
}

function parseSummary(run: RunRecord | undefined): SummaryJson | null {
  try {
    return run ? (JSON.parse(run.summary ?? '{}') as SummaryJson) : null;
  } catch {
    return null; // a summary from an older version: counts stay 0
  }
}

function runHealth(run: RunRecord): RunHealth {
  const weeks: Record<string, number> = Object.fromEntries(WEEK_OUTCOMES.map((o) => [o, 0]));
  for (const w of parseSummary(run)?.weeks ?? []) weeks[w.outcome] = (weeks[w.outcome] ?? 0) + 1;
  return { ...runHeader(run), weeks };
}

/** A run as health reports it, before its counts. */
function runHeader(run: RunRecord) {
  return { id: run.id, kind: run.kind, trigger: run.trigger, status: run.status, started_at: run.started_at, finished_at: run.finished_at };
}
