// Which (week, tier) partitions a run loads, and from which of FINRA's datasets.
import { daysBetween, publishedWeeks } from '../domain/calendar.js';
import { DATASETS, type Dataset, type Partition } from '../finra/client.js';
import type { Tier } from '../domain/tiers.js';

/**
 * Weeks re-pulled on every run when FINRA could not say which weeks changed. With that answer only
 * SAFETY_WINDOW weeks are re-pulled besides the changed ones.
 */
export const REVISION_WINDOW = 8;
/** The newest weeks re-pulled on every run even when FINRA lists no change for them. */
export const SAFETY_WINDOW = 2;
/** At most this many missing weeks are caught up in one run after a long outage. */
export const MAX_CATCH_UP = 52;
/** A first run on an empty store loads this many weeks per tier. */
export const FIRST_RUN_WEEKS = 8;

export type PlanReason = 'requested' | 'new' | 'changed' | 'window';

export interface PlannedWeek {
  weekStart: string;
  tier: Tier;
  dataset: Dataset;
  reason: PlanReason;
}

export interface PlanInput {
  /** FINRA's `weeklySummary` partitions (newest first), or null when they could not be fetched. */
  partitions: Partition[] | null;
  /** Weeks FINRA changed since the newest update we hold, or null when unknown (empty store, or the query failed). */
  changed: Partition[] | null;
  tiers: readonly Tier[];
  today: string;
  /** Newest and oldest stored week per tier. */
  newestStored: Partial<Record<Tier, string>>;
  oldestStored: Partial<Record<Tier, string>>;
  /** Explicit `--weeks N`: exactly the newest N weeks per tier, from whichever dataset has them. */
  weeks?: number;
}

/**
 * Default: every published week newer than what the store holds (a catch-up after an outage, up to
 * MAX_CATCH_UP), every stored week FINRA changed since our newest update (whatever its age), and the
 * newest SAFETY_WINDOW weeks again; without FINRA's list of changes, the newest REVISION_WINDOW weeks.
 * Unchanged weeks cost one comparison each. Newest first, so fresh data lands first.
 */
export function planWeeks(input: PlanInput): PlannedWeek[] {
  const out: PlannedWeek[] = [];
  for (const tier of input.tiers) {
    const listed = input.partitions?.filter((p) => p.tier === tier).map((p) => p.weekStart) ?? null;
    const inCurrent = new Set(listed ?? []);
    // Unknown partitions: ask `weeklySummary` first, the loader falls back to the historic dataset.
    const datasetOf = (week: string) => (listed === null || inCurrent.has(week) ? DATASETS.current : DATASETS.historic);
    const chosen = new Map<string, PlanReason>();
    const add = (weeks: string[], reason: PlanReason) => {
      for (const w of weeks) if (!chosen.has(w)) chosen.set(w, reason);
    };
    const available = (listed ?? publishedWeeks(tier, input.today, Math.max(input.weeks ?? 0, MAX_CATCH_UP))).sort((a, b) =>
      b.localeCompare(a),
    );
    if (input.weeks !== undefined) {
      // Weeks older than `weeklySummary` lists live in the historic dataset: FINRA's calendar names them.
      const oldestListed = available.at(-1);
      const reach = oldestListed ? input.weeks + Math.ceil(daysBetween(oldestListed, input.today) / 7) : 0;
      const older = oldestListed ? publishedWeeks(tier, input.today, reach).filter((w) => w < oldestListed) : [];
      const all = [...available, ...older];
      add(all.slice(0, input.weeks), 'requested');
    } else {
      const newest = input.newestStored[tier];
      const oldest = input.oldestStored[tier];
      if (!newest) add(available.slice(0, FIRST_RUN_WEEKS), 'new');
      else add(available.filter((w) => w > newest).slice(0, MAX_CATCH_UP), 'new');
      if (input.changed) {
        add(
          input.changed.filter((p) => p.tier === tier && oldest !== undefined && p.weekStart >= oldest).map((p) => p.weekStart),
          'changed',
        );
        add(available.slice(0, SAFETY_WINDOW), 'window');
      } else {
        add(available.slice(0, REVISION_WINDOW), 'window');
      }
    }
    for (const [weekStart, reason] of chosen) out.push({ weekStart, tier, dataset: datasetOf(weekStart), reason });
  }
  return out.sort((a, b) => b.weekStart.localeCompare(a.weekStart) || a.tier.localeCompare(b.tier));
}
