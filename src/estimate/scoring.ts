// Accuracy, measured: when FINRA first publishes a week that this service was estimating, the
// estimates it served for that week are stored next to FINRA's figures, in the same transaction as
// the publication (so the estimates are computed from the store exactly as the API read it).
import type { Tier } from '../domain/tiers.js';
import type { Db } from '../store/db.js';
import type { Score } from './accuracy.js';
import { Estimator, type WeekEstimate } from './estimator.js';
import { StoreDailyVolumes, StoreTruth } from './sources.js';

export class EstimateScorer {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      insert: db.prepare(
        `INSERT OR REPLACE INTO estimate_scores (tier, week_start, symbol, method, calibration_weeks, estimate, low, high, actual, scored_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      weeks: db
        .prepare<[string, number], string>(
          'SELECT DISTINCT week_start FROM estimate_scores WHERE tier = ? ORDER BY week_start DESC LIMIT ?',
        )
        .pluck(),
      scores: db.prepare<[string, string], Omit<Score, 'weekStart'> & { week_start: string }>(
        `SELECT tier, week_start, symbol, method, estimate, low, high, actual FROM estimate_scores
         WHERE tier = ? AND week_start >= ?`,
      ),
    };
  }

  /**
   * Before the week's first publication: the estimates the API was serving for it. Only a week after
   * the tier's newest published one was served as an estimate, and only one with every day's file
   * was an estimate of the whole week.
   */
  estimatesBefore(weekStart: string, tier: Tier): WeekEstimate[] {
    const truth = new StoreTruth(this.db);
    const newest = truth.publishedWeeks(tier)[0];
    if (newest === undefined || weekStart <= newest) return [];
    const estimator = new Estimator(truth, new StoreDailyVolumes(this.db));
    if (!estimator.complete(weekStart)) return [];
    return estimator.estimateWeek(tier, weekStart).flatMap((o) => (o.ok ? [o.value] : []));
  }

  /** After: each estimate with FINRA's figure (0 for a symbol without ATS volume that week). */
  record(estimates: readonly WeekEstimate[], published: ReadonlyMap<string, number>, now: string): void {
    for (const e of estimates) {
      this.s.insert.run(
        e.tier,
        e.weekStart,
        e.symbol,
        e.model.method,
        e.calibration.weeks.length,
        e.estimate,
        e.low,
        e.high,
        published.get(e.symbol) ?? 0,
        now,
      );
    }
  }

  /** The scores of the tier's newest `weeks` scored weeks. */
  recent(tier: Tier, weeks: number): Score[] {
    const oldest = this.s.weeks.all(tier, weeks).at(-1);
    if (!oldest) return [];
    return this.s.scores.all(tier, oldest).map(({ week_start, ...s }) => ({ ...s, weekStart: week_start }));
  }
}
