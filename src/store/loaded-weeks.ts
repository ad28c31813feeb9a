// The loaded weeks, in memory. The table is small and changes only when a week is published, yet
// nearly every answer asks about it several times: one read per dataset change serves them all.
import { weekEndingOf } from '../finra/calendar.js';
import type { Tier } from '../finra/tiers.js';
import type { LoadedWeek } from './status.js';

export class LoadedWeeks {
  private readonly byKey = new Map<string, LoadedWeek>();
  private readonly byTier = new Map<Tier, LoadedWeek[]>();
  private readonly byStart = new Map<string, LoadedWeek[]>();
  readonly newest: string | null;

  constructor(readonly all: readonly LoadedWeek[]) {
    let newest: string | null = null;
    for (const w of all) {
      this.byKey.set(`${w.week_start}|${w.tier}`, w);
      this.byTier.set(w.tier, [...(this.byTier.get(w.tier) ?? []), w]);
      this.byStart.set(w.week_start, [...(this.byStart.get(w.week_start) ?? []), w]);
      if (!newest || w.week_start > newest) newest = w.week_start;
    }
    for (const list of this.byTier.values()) list.sort((a, b) => b.week_start.localeCompare(a.week_start));
    for (const list of this.byStart.values()) list.sort((a, b) => a.tier.localeCompare(b.tier));
    this.newest = newest;
  }

  get empty(): boolean {
    return this.all.length === 0;
  }

  week(weekStart: string, tier: Tier): LoadedWeek | undefined {
    return this.byKey.get(`${weekStart}|${tier}`);
  }

  /** The newest `count` weeks of a tier, newest first. */
  ofTier(tier: Tier, count = Infinity): LoadedWeek[] {
    return (this.byTier.get(tier) ?? []).slice(0, count);
  }

  newestOfTier(tier: Tier): string | null {
    return this.byTier.get(tier)?.[0]?.week_start ?? null;
  }

  /** The tiers loaded for a week, in tier order. */
  starting(weekStart: string): LoadedWeek[] {
    return this.byStart.get(weekStart) ?? [];
  }

  /** The newest week of each tier, and when it was loaded. */
  freshness() {
    return [...this.byTier.values()].map(([w]) => ({
      tier: w!.tier,
      newest_week_start: w!.week_start,
      newest_week_ending: weekEndingOf(w!.week_start),
      loaded_at: w!.loaded_at,
      updated_at: w!.updated_at,
    }));
  }
}
