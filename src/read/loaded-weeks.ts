// The loaded weeks, in memory. The table is small and changes only when a week is published, yet
// nearly every answer asks about it several times: one read per dataset change serves them all.
import { weekEndingOf } from '../domain/calendar.js';
import type { Tier } from '../domain/tiers.js';
import type { LoadedWeek } from '../store/status.js';

//
// Aggregates (movers, sectors, venues) and "the newest week" count whole weeks only: a week held as
// FINRA's per-symbol totals of a few symbols says nothing about the others.
export class LoadedWeeks {
  private readonly byKey = new Map<string, LoadedWeek>();
  private readonly byTier = new Map<Tier, LoadedWeek[]>();
  private readonly wholeByTier = new Map<Tier, LoadedWeek[]>();
  private readonly wholeByStart = new Map<string, LoadedWeek[]>();
  /** The newest whole week of any tier. */
  readonly newest: string | null;

  constructor(readonly all: readonly LoadedWeek[]) {
    let newest: string | null = null;
    const push = <K>(map: Map<K, LoadedWeek[]>, key: K, w: LoadedWeek) => {
      const list = map.get(key);
      if (list) list.push(w);
      else map.set(key, [w]);
    };
    for (const w of all) {
      this.byKey.set(`${w.week_start}|${w.tier}`, w);
      push(this.byTier, w.tier, w);
      if (w.coverage !== 'full') continue;
      push(this.wholeByTier, w.tier, w);
      push(this.wholeByStart, w.week_start, w);
      if (!newest || w.week_start > newest) newest = w.week_start;
    }
    for (const list of [...this.byTier.values(), ...this.wholeByTier.values()])
      list.sort((a, b) => b.week_start.localeCompare(a.week_start));
    for (const list of this.wholeByStart.values()) list.sort((a, b) => a.tier.localeCompare(b.tier));
    this.newest = newest;
  }

  get empty(): boolean {
    return this.all.length === 0;
  }

  week(weekStart: string, tier: Tier): LoadedWeek | undefined {
    return this.byKey.get(`${weekStart}|${tier}`);
  }

  /** Every loaded week of a tier, whole or totals-only, newest first. */
  ofTier(tier: Tier): readonly LoadedWeek[] {
    return this.byTier.get(tier) ?? [];
  }

  /** The whole weeks of a tier, newest first. */
  wholeOfTier(tier: Tier): readonly LoadedWeek[] {
    return this.wholeByTier.get(tier) ?? [];
  }

  /** The newest whole week of a tier. */
  newestOfTier(tier: Tier): string | null {
    return this.wholeByTier.get(tier)?.[0]?.week_start ?? null;
  }

  /** The tiers loaded whole for a week, in tier order. */
  starting(weekStart: string): LoadedWeek[] {
    return this.wholeByStart.get(weekStart) ?? [];
  }

  /** The newest whole week of each tier, and when it was loaded. */
  freshness() {
    return [...this.wholeByTier.values()].map(([w]) => ({
      tier: w!.tier,
      newest_week_start: w!.week_start,
      newest_week_ending: weekEndingOf(w!.week_start),
      loaded_at: w!.loaded_at,
      updated_at: w!.updated_at,
    }));
  }
}
