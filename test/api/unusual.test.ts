// GET /darkpool/unusual: z-scores against each symbol's own trailing weeks. The weeks are FINRA's two
// real OTCE exports placed under nine consecutive Mondays (relabelWeek keeps FINRA's rows and moves
// only their dates): the export of 2025-12-15 (A) in seven window weeks, the one of 2025-12-22 (B) in
// one window week and in the week asked about. Expected z-scores are computed here, with plain loops.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { appOn, NINE_WEEKS, nineWeeksSource, nineWeeksStore } from '../support/app.js';
import { removeTempDirs } from '../support/harness.js';

type Row = Record<string, any>;
const WEEKS = NINE_WEEKS; // oldest first; the last is the week asked about
const source = nineWeeksSource;
const B = source(WEEKS[8]!);

let app: FastifyInstance;
let store: Store;
beforeAll(async () => {
  store = await nineWeeksStore();
  expect(store.weeks.loadedWeeks()).toHaveLength(9);
  app = await appOn(store);
});
afterAll(async () => {
  await app.close();
  store.close();
  removeTempDirs();
});

/** Each symbol's shares in a week's rows (symbol-less rows belong to no ticker). */
function sharesBySymbol(rows: Row[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows)
    if (r.issueSymbolIdentifier) out.set(r.issueSymbolIdentifier, (out.get(r.issueSymbolIdentifier) ?? 0) + r.totalWeeklyShareQuantity);
  return out;
}

function expected(minPrevShares: number, z: number, direction: 'up' | 'down') {
  const window = WEEKS.slice(0, 8).map((w) => sharesBySymbol(source(w)));
  const current = sharesBySymbol(B);
  const out: { ticker: string; zscore: number; mean: number; sd: number }[] = [];
  for (const symbol of new Set([...current.keys(), ...window.flatMap((m) => [...m.keys()])])) {
    const values = window.map((m) => m.get(symbol) ?? 0);
    let sum = 0;
    for (const v of values) sum += v;
    const mean = sum / values.length;
    let squares = 0;
    for (const v of values) squares += (v - mean) * (v - mean);
    const sd = Math.sqrt(squares / (values.length - 1));
    if (sd === 0 || mean < minPrevShares) continue;
    const score = ((current.get(symbol) ?? 0) - mean) / sd;
    if (direction === 'up' ? score >= z : score <= -z) out.push({ ticker: symbol, zscore: score, mean, sd });
  }
  // Ranked by the z-score as served (four decimals), then by ticker: equal scores are common here.
  const served = (x: number) => Math.round(x * 10_000) / 10_000;
  return out.sort(
    (a, b) =>
      (direction === 'up' ? served(b.zscore) - served(a.zscore) : served(a.zscore) - served(b.zscore)) || a.ticker.localeCompare(b.ticker),
  );
}

describe('GET /darkpool/unusual', () => {
  it('lists the symbols 2 standard deviations above their trailing mean, as computed from the rows', async () => {
    const res = await app.inject({ url: '/darkpool/unusual?tier=OTCE&limit=500' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as Row;
    expect(body).toMatchObject({ week_ending: '2025-11-23', tiers: ['OTCE'], window: 8, z: 2, direction: 'up', min_prev_shares: 100_000 });
    expect(body.trailing_weeks).toEqual([{ tier: 'OTCE', weeks: WEEKS.slice(0, 8).reverse(), enough: true }]);
    const want = expected(100_000, 2, 'up');
    expect(want.length).toBeGreaterThan(10);
    expect(body.data.map((d: Row) => d.ticker)).toEqual(want.map((w) => w.ticker).slice(0, 500));
    for (const [i, d] of (body.data as Row[]).entries()) {
      expect(d.zscore).toBeCloseTo(want[i]!.zscore, 3);
      expect(d.trailing_mean).toBeCloseTo(want[i]!.mean, 1);
      expect(d.trailing_sd).toBeCloseTo(want[i]!.sd, 1);
      expect(d).toMatchObject({
        weeks_used: 8,
        dark_pool_shares: sharesBySymbol(B).get(d.ticker),
        ats_share_of_off_exchange: null,
        ats_share_zscore: null,
      });
    }
  });

  it('direction=down lists the fallers, those gone from the week at 0 shares included', async () => {
    const body = (await app.inject({ url: '/darkpool/unusual?direction=down&z=2.4&min_prev_shares=0&limit=500' })).json() as Row;
    const want = expected(0, 2.4, 'down');
    expect(want.length).toBeGreaterThan(500);
    expect(body.data.map((d: Row) => d.ticker)).toEqual(want.map((w) => w.ticker).slice(0, 500));
    const gone = want.slice(0, 500).find((w) => !sharesBySymbol(B).has(w.ticker))!;
    expect(body.data.find((d: Row) => d.ticker === gone.ticker)).toMatchObject({ dark_pool_shares: 0, week_start: WEEKS[8] });
  });

  it('says when the tier has fewer weeks than the window, and lists nobody then; refuses bad parameters', async () => {
    const body = (await app.inject({ url: `/darkpool/unusual?week=${WEEKS[5]}&window=8` })).json() as Row;
    expect(body.trailing_weeks).toEqual([{ tier: 'OTCE', weeks: WEEKS.slice(0, 5).reverse(), enough: false }]);
    expect(body.data).toEqual([]);
    for (const q of ['window=1', 'window=53', 'z=0', 'z=abc', 'direction=sideways', 'limit=0']) {
      const res = await app.inject({ url: `/darkpool/unusual?${q}` });
      expect(res.statusCode, q).toBe(400);
      expect(res.json().code, q).toBe('invalid_parameter');
    }
  });

  it('as CSV with the z-score columns', async () => {
    const res = await app.inject({ url: '/darkpool/unusual?format=csv&limit=3' });
    const [header, ...lines] = res.body.trim().split(/\r?\n/);
    expect(header).toContain('ticker,issue_name,tier');
    expect(header).toContain('zscore,trailing_mean,trailing_sd,weeks_used');
    expect(lines).toHaveLength(3);
  });
});
