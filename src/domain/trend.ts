// The week-over-week trend of ATS shares: `rising` above +5%, `falling` below -5%, else `stable`.
export type Trend = 'rising' | 'falling' | 'stable';

/**
 * Why a trend is what it is: `compared` with the week before (a symbol absent from a loaded week had 0),
 * or no comparison possible, and then trend and change are null: the week before is not loaded, or (sectors,
 * venues) it holds other tiers, so that its sums differ in scope.
 */
export type TrendBasis = 'compared' | 'previous_week_not_loaded' | 'tiers_differ';

export interface TrendResult {
  changePct: number | null;
  trend: Trend;
}

/**
 * `previous` is the symbol's shares in the week before, 0 when that week is loaded without the
 * symbol, and null when that week is not loaded at all (nothing to compare with).
 * The boundaries are decided on integers (20 * delta vs previous), so exactly +5% is `stable`
 * whatever floating point would make of the percentage.
 */
export function weekOverWeek(current: number, previous: number | null): TrendResult {
  if (previous === null) return { changePct: null, trend: 'stable' };
  if (previous === 0) return { changePct: null, trend: current > 0 ? 'rising' : 'stable' };
  const delta = current - previous;
  const trend: Trend = 20 * delta > previous ? 'rising' : 20 * delta < -previous ? 'falling' : 'stable';
  return { changePct: roundPct((delta / previous) * 100), trend };
}

export function roundPct(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * The same rule on average shares per trading day, so that a four-day holiday week is compared fairly
 * with a five-day one. Decided on integers too: 20 x (cur x prevDays - prev x curDays) vs prev x curDays.
 */
export function perTradingDay(current: number, currentDays: number, previous: number | null, previousDays: number): TrendResult {
  if (previous === null || currentDays === 0 || previousDays === 0) return { changePct: null, trend: 'stable' };
  if (previous === 0) return { changePct: null, trend: current > 0 ? 'rising' : 'stable' };
  const scaledCurrent = current * previousDays;
  const scaledPrevious = previous * currentDays;
  const delta = scaledCurrent - scaledPrevious;
  const trend: Trend = 20 * delta > scaledPrevious ? 'rising' : 20 * delta < -scaledPrevious ? 'falling' : 'stable';
  return { changePct: roundPct((delta / scaledPrevious) * 100), trend };
}
