// The estimate's arithmetic and its choice of method, on small hand-made numbers.
import { describe, expect, it } from 'vitest';
import { Estimator } from '../../src/estimate/estimator.js';
import { percentile, symbolShare, tierShare, tQuantile95 } from '../../src/estimate/model.js';
import type { DailyVolumes, WeeklyTruth } from '../../src/estimate/sources.js';
import type { Tier } from '../../src/domain/tiers.js';

describe('the share models', () => {
  it("symbol share: the mean of the symbol's ratios, and a t prediction interval for the next week", () => {
    const m = symbolShare([0.1, 0.12, 0.14]);
    const sd = 0.02; // sample standard deviation of 0.10, 0.12, 0.14
    const half = 2.92 * sd * Math.sqrt(1 + 1 / 3); // t(0.95, 2 df) = 2.920
    expect(m.method).toBe('symbol_share');
    expect(m.ratio).toBeCloseTo(0.12, 12);
    expect(m.low).toBeCloseTo(0.12 - half, 12);
    expect(m.high).toBeCloseTo(0.12 + half, 12);
  });

  it('symbol share: the interval stops at zero, and steady ratios give a narrow one', () => {
    expect(symbolShare([0.01, 0.3]).low).toBe(0);
    const steady = symbolShare([0.2, 0.2, 0.2, 0.2]);
    expect([steady.low, steady.ratio, steady.high]).toEqual([0.2, 0.2, 0.2]);
  });

  it("tier share: the tier's mean ratio, between the 5th and 95th percentile of single symbols' ratios", () => {
    const symbols = Array.from({ length: 101 }, (_, i) => i / 100); // 0.00 .. 1.00
    const m = tierShare([0.3, 0.4], symbols);
    expect(m.method).toBe('tier_share');
    expect([m.ratio, m.low, m.high].map((v) => v.toFixed(12))).toEqual(['0.350000000000', '0.050000000000', '0.950000000000']);
  });

  it("Student's t and percentiles", () => {
    expect(tQuantile95(1)).toBe(6.314);
    expect(tQuantile95(7)).toBe(1.895);
    expect(tQuantile95(500)).toBe(1.645);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 12);
  });
});

/** Two tiers of made-up symbols: weeks are Mondays of January 2024 (no holidays but the 15th). */
function sources(weeks: Record<string, { ats: Record<string, number>; off: Record<string, number> }>, days: Record<string, number>) {
  const tiers = new Map<string, Tier>([
    ['BIG', 'T1'],
    ['THIN', 'T1'],
    ['NEW', 'T1'],
    ['OTC', 'OTCE'],
  ]);
  const published = Object.keys(weeks)
    .filter((w) => Object.keys(weeks[w]!.ats).length)
    .sort()
    .reverse();
  const truth: WeeklyTruth = {
    publishedWeeks: () => published,
    weekShares: (_t, w) => new Map(Object.entries(weeks[w]?.ats ?? {}).filter(([, v]) => v > 0)),
    symbolShares: (s, _t, from) =>
      new Map(published.filter((w) => w >= from && weeks[w]!.ats[s] !== undefined).map((w) => [w, weeks[w]!.ats[s]!])),
    tiers: () => tiers,
  };
  const daily: DailyVolumes = {
    daysLoaded: () => new Map(Object.entries(days)),
    newestTradeDate: () => '2024-01-31',
    weekTotals: (w) => new Map(Object.entries(weeks[w]?.off ?? {})),
    symbolWeeks: (s, from) =>
      new Map(
        Object.keys(weeks)
          .filter((w) => w >= from && weeks[w]!.off[s] !== undefined)
          .map((w) => [w, weeks[w]!.off[s]!]),
      ),
  };
  return new Estimator(truth, daily);
}

describe('the estimator', () => {
  // BIG trades millions a week; THIN a few thousand, so its own ratio is noise.
  const weeks = {
    '2024-01-01': { ats: { BIG: 100_000, THIN: 900 }, off: { BIG: 1_000_000, THIN: 1_000 } },
    '2024-01-08': { ats: { BIG: 120_000, THIN: 100 }, off: { BIG: 1_000_000, THIN: 2_000 } },
    '2024-01-15': { ats: { BIG: 140_000 }, off: { BIG: 1_000_000, THIN: 1_000 } },
    '2024-01-22': { ats: {}, off: { BIG: 2_000_000, THIN: 4_000 } }, // not published yet
    '2024-01-29': { ats: {}, off: { BIG: 300_000 } }, // not published, two days loaded so far
  };
  const days = { '2024-01-01': 4, '2024-01-08': 5, '2024-01-15': 4, '2024-01-22': 5, '2024-01-29': 2 };
  const est = sources(weeks, days);

  it('estimates each week after the newest published one, from the complete published weeks before it', () => {
    expect(est.pendingWeeks('T1')).toEqual(['2024-01-29', '2024-01-22']);
    // 1 January is a holiday: its week has 4 sessions and 4 files, so it is complete.
    expect(est.calibrationWeeks('T1', '2024-01-22')).toEqual(['2024-01-15', '2024-01-08', '2024-01-01']);
    const r = est.estimate('BIG', 'T1', '2024-01-22');
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.model.method).toBe('symbol_share');
    expect(r.value.calibration).toEqual({ weeks: ['2024-01-15', '2024-01-08', '2024-01-01'], ratios: [0.14, 0.12, 0.1] });
    expect(r.value.estimate).toBeCloseTo(0.12 * 2_000_000, 6);
    expect(r.value.low).toBeLessThan(r.value.estimate);
    expect(r.value.high).toBeGreaterThan(r.value.estimate);
  });

  it('estimates a week in progress over the days loaded, and says so', () => {
    const r = est.estimate('BIG', 'T1', '2024-01-29');
    if (!r.ok) throw new Error(r.reason);
    expect(r.value).toMatchObject({ daysLoaded: 2, tradingDays: 5, offExchange: 300_000 });
    expect(r.value.estimate).toBeCloseTo(0.12 * 300_000, 6);
  });

  it("falls back to the tier's share for a thin symbol", () => {
    const r = est.estimate('THIN', 'T1', '2024-01-22');
    if (!r.ok) throw new Error(r.reason);
    expect(r.value.model.method).toBe('tier_share');
    // The tier's weekly ratios: all ATS shares over all off-exchange shares of its symbols.
    const tierRatios = [140_000 / 1_001_000, 120_100 / 1_002_000, 100_900 / 1_001_000];
    expect(r.value.calibration.ratios).toEqual(tierRatios);
    expect(r.value.estimate).toBeCloseTo(((tierRatios[0]! + tierRatios[1]! + tierRatios[2]!) / 3) * 4_000, 6);
  });

  it('gives the same figures one symbol at a time and a whole week at once', () => {
    const bulk = est.estimateWeek('T1', '2024-01-22');
    for (const o of bulk) {
      if (!o.ok) throw new Error(o.reason);
      expect(o.value).toEqual((est.estimate(o.value.symbol, 'T1', '2024-01-22') as { value: unknown }).value);
    }
    expect(bulk.map((o) => o.ok && o.value.symbol).sort()).toEqual(['BIG', 'THIN']);
  });

  it('declines when fewer than two published weeks have every daily file', () => {
    const sparse = sources(weeks, { '2024-01-08': 5, '2024-01-15': 3, '2024-01-22': 5 });
    const r = sparse.estimate('BIG', 'T1', '2024-01-22');
    expect(r).toEqual({ ok: false, reason: "fewer than 2 published T1 weeks before 2024-01-22 have every day's daily file loaded" });
  });
});
