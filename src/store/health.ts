// How fresh the store is against FINRA's publication calendar, and how the last ingest went.
import { addDays, daysBetween, expectedPublicationDate, newestPublishedWeek, todayUtc, weekEndingOf } from '../finra/calendar.js';
import { TIERS, type Tier } from '../finra/tiers.js';
import type { Queries } from './queries.js';
import type { RunLog, RunRecord } from './runs.js';

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
  trigger: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  weeks: Record<string, number>;
}

export function healthReport(q: Queries, runs: RunLog, now: Date) {
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
  const current = runs.last();
  const hasData = fresh.size > 0;
  const degraded = tiers.some((t) => t.stale) || (last !== undefined && last.status !== 'ok');
  return {
    status: !hasData ? ('no_data' as const) : degraded ? ('degraded' as const) : ('ok' as const),
    now: now.toISOString(),
    tiers,
    last_run: last ? runHealth(last) : null,
    running: current?.status === 'running' ? runHealth(current) : null,
  };
}

function runHealth(run: RunRecord): RunHealth {
  const weeks: Record<string, number> = { published: 0, revised: 0, unchanged: 0, refused: 0, failed: 0 };
  try {
    const summary = JSON.parse(run.summary ?? '{}') as { weeks?: { outcome: string }[] };
    for (const w of summary.weeks ?? []) weeks[w.outcome] = (weeks[w.outcome] ?? 0) + 1;
  } catch {
    // a summary from an older version: counts stay 0
  }
  return { id: run.id, trigger: run.trigger, status: run.status, started_at: run.started_at, finished_at: run.finished_at, weeks };
}
