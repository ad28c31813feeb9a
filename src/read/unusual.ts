// Unusual activity: symbols whose ATS shares in a week stand `z` standard deviations or more away from
// their own trailing mean. The rule, exactly (README and OpenAPI say the same):
// - the trailing window is the `window` whole weeks of the symbol's tier loaded before the week (gaps
//   skipped); a week of the window in which the symbol had no ATS rows counts as 0 shares;
// - mean and sample standard deviation (n - 1) over those weeks; zscore = (shares - mean) / sd;
// - left out: every symbol when the tier has fewer than `window` such weeks, and symbols whose sd is 0
//   or whose trailing mean is under `minPrevShares`;
// - `up` lists zscore >= z, largest first; `down` zscore <= -z, smallest first (a symbol that traded in
//   the window and not in the week is there at 0 shares).
// The same statistics on the ATS share of the symbol's off-exchange volume (ATS / (ATS + non-ATS)),
// over the window's weeks where FINRA's non-ATS figure exists and the total is not 0.
import type { Tier } from '../domain/tiers.js';
import type { Queries } from './queries.js';
import type { Snapshot } from './snapshot.js';
import type { Reports, SymbolWeek } from './weekly.js';

export interface UnusualOptions {
  week?: string;
  tier?: Tier;
  window?: number;
  z?: number;
  minPrevShares?: number;
  limit?: number;
  direction?: 'up' | 'down';
}

export const UNUSUAL_DEFAULTS = { window: 8, z: 2, minPrevShares: 100_000, limit: 50, direction: 'up' } as const;

interface Stats {
  mean: number;
  sd: number;
  n: number;
}

/** Mean and sample standard deviation (n - 1); null with fewer than two values. */
export function sampleStats(values: readonly number[]): Stats | null {
  const n = values.length;
  if (n < 2) return null;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  return { mean, sd, n };
}

export interface UnusualRecord extends SymbolWeek {
  zscore: number;
  trailing_mean: number;
  trailing_sd: number;
  weeks_used: number;
  ats_share_of_off_exchange: number | null;
  ats_share_zscore: number | null;
  ats_share_trailing_mean: number | null;
  ats_share_trailing_sd: number | null;
  ats_share_weeks_used: number;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
const atsShare = (shares: number, nonAts: number | null) => (nonAts === null || shares + nonAts === 0 ? null : shares / (shares + nonAts));

export class Unusual {
  constructor(
    private readonly reports: Reports,
    private readonly q: Queries,
    private readonly snapshot: Snapshot,
  ) {}

  list(options: UnusualOptions = {}) {
    return this.snapshot.read(() => this.#listNow({ ...UNUSUAL_DEFAULTS, ...options }));
  }

  #listNow(o: Required<Omit<UnusualOptions, 'week' | 'tier'>> & Pick<UnusualOptions, 'week' | 'tier'>) {
    const head = this.reports.wholeWeek(o.week, o.tier);
    const trailing: Partial<Record<Tier, string[]>> = {};
    const data: UnusualRecord[] = [];
    for (const tier of head.tiers) {
      const window = this.reports.wholeWeeksBefore(tier, head.week_start, o.window);
      trailing[tier] = window;
      if (window.length < o.window) continue; // not enough history for anyone in the tier
      const history = new Map<string, Map<string, { shares: number; nonAts: number | null }>>();
      for (const r of this.q.tierShares(tier, window)) {
        let bySymbol = history.get(r.symbol);
        if (!bySymbol) history.set(r.symbol, (bySymbol = new Map()));
        bySymbol.set(r.week_start, { shares: r.shares, nonAts: r.non_ats_shares });
      }
      const current = new Map(this.q.weekRecordsAll(head.week_start, [tier]).map((r) => [r.symbol, r]));
      for (const symbol of new Set([...current.keys(), ...history.keys()])) {
        const row = current.get(symbol);
        const past = history.get(symbol);
        const shares = row?.shares ?? 0;
        const stats = sampleStats(window.map((w) => past?.get(w)?.shares ?? 0))!;
        if (stats.sd === 0 || stats.mean < o.minPrevShares) continue;
        const zscore = (shares - stats.mean) / stats.sd;
        if (o.direction === 'up' ? zscore < o.z : zscore > -o.z) continue;
        const share = row ? atsShare(row.shares, row.non_ats_shares) : null;
        const shares_ = window
          .map((w) => past?.get(w))
          .flatMap((p) => (p ? [atsShare(p.shares, p.nonAts)] : []))
          .filter((v) => v !== null);
        const shareStats = share === null ? null : sampleStats(shares_);
        const shareZ = shareStats && shareStats.sd > 0 && share !== null ? (share - shareStats.mean) / shareStats.sd : null;
        data.push({
          ...(row ? this.reports.weekRecord(row) : this.reports.recordIn(symbol, tier, head.week_start)),
          zscore: round(zscore, 4),
          trailing_mean: round(stats.mean, 2),
          trailing_sd: round(stats.sd, 2),
          weeks_used: stats.n,
          ats_share_of_off_exchange: share === null ? null : round(share, 6),
          ats_share_zscore: shareZ === null ? null : round(shareZ, 4),
          ats_share_trailing_mean: shareStats ? round(shareStats.mean, 6) : null,
          ats_share_trailing_sd: shareStats ? round(shareStats.sd, 6) : null,
          ats_share_weeks_used: shareStats?.n ?? 0,
        });
      }
    }
    data.sort((a, b) => (o.direction === 'up' ? b.zscore - a.zscore : a.zscore - b.zscore) || a.ticker.localeCompare(b.ticker));
    return {
      week_ending: head.week_ending,
      tiers: head.tiers,
      window: o.window,
      z: o.z,
      direction: o.direction,
      min_prev_shares: o.minPrevShares,
      trailing_weeks: head.tiers.map((tier) => ({ tier, weeks: trailing[tier] ?? [], enough: (trailing[tier]?.length ?? 0) >= o.window })),
      data: data.slice(0, o.limit),
      source: head.source,
    };
  }
}
