// Which (week, tier) partitions a run loads.
import { publishedWeeks } from '../finra/calendar.js';
import type { Partition } from '../finra/client.js';
import type { Tier } from '../finra/tiers.js';

/** Weeks re-pulled on every run: FINRA revises published weeks, sometimes months later. */
export const REVISION_WINDOW = 8;
/** At most this many missing weeks are caught up in one run after a long outage. */
export const MAX_CATCH_UP = 52;

export interface PlannedWeek {
  weekStart: string;
  tier: Tier;
}

export interface PlanInput {
  /** FINRA's published partitions (newest first), or null when they could not be fetched. */
  partitions: Partition[] | null;
  tiers: readonly Tier[];
  today: string;
  /** Newest stored week per tier. */
  newestStored: Partial<Record<Tier, string>>;
  /** Explicit `--weeks N`: exactly the newest N weeks per tier. */
  weeks?: number;
}

/**
 * Default: every published week newer than what the store holds (a catch-up after an outage, up to
 * MAX_CATCH_UP), plus the newest REVISION_WINDOW weeks again to pick up FINRA's revisions. Unchanged
 * weeks cost one comparison each. Newest first, so fresh data lands first.
 */
export function planWeeks(input: PlanInput): PlannedWeek[] {
  const out: PlannedWeek[] = [];
  for (const tier of input.tiers) {
    const available = input.partitions
      ? input.partitions.filter((p) => p.tier === tier).map((p) => p.weekStart)
      : publishedWeeks(tier, input.today, Math.max(input.weeks ?? 0, MAX_CATCH_UP));
    available.sort((a, b) => b.localeCompare(a));
    let chosen: string[];
    if (input.weeks !== undefined) {
      chosen = available.slice(0, input.weeks);
    } else {
      const newest = input.newestStored[tier];
      const missing = newest ? available.filter((w) => w > newest).slice(0, MAX_CATCH_UP) : [];
      chosen = [...new Set([...missing, ...available.slice(0, REVISION_WINDOW)])];
    }
    for (const weekStart of chosen) out.push({ weekStart, tier });
  }
  return out.sort((a, b) => b.weekStart.localeCompare(a.weekStart) || a.tier.localeCompare(b.tier));
}
