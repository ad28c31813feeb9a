// Estimates on real data: FINRA's December 2021 daily files (through the CDN double) and FINRA's weekly
// ATS totals of AAPL and BRK.B. Expected figures are computed here from the raw files, independently.
import type { FastifyInstance } from 'fastify';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDaily } from '../../src/ingest/daily.js';
import { importFiles } from '../../src/ingest/run.js';
import { SectorTable } from '../../src/sectors/table.js';
import { Store } from '../../src/store/store.js';
import { addDays } from '../../src/domain/calendar.js';
import { appOn, cdnClient, dailyContext, ingestContext, seededStore } from '../support/app.js';
import { CdnDouble } from '../support/cdn-double.js';
import { AAPL_BRKB_WEEKS, aaplBrkbTotals, regshoFiles, regshoRows, type Row } from '../support/fixtures.js';
import { cli, removeTempDirs, tempDbPath, tempDir } from '../support/harness.js';
import { openStore } from '../../src/compose.js';

const NOW = new Date('2022-01-03T12:00:00Z');
const SYMBOLS = { AAPL: 'AAPL', 'BRK.B': 'BRK/B' } as const; // weekly spelling -> the daily files'
type Symbol = keyof typeof SYMBOLS;
const TOTALS = aaplBrkbTotals();

/** FINRA's weekly ATS shares, straight from its rows. */
function ats(symbol: Symbol, week: string): number {
  const row = TOTALS.find((r) => r.issueSymbolIdentifier === symbol && r.weekStartDate === week);
  if (!row) throw new Error(`no FINRA total for ${symbol} ${week}`);
  return row.totalWeeklyShareQuantity as number;
}

/** The week's off-exchange volume: the files' TotalVolume of the symbol, summed over the week's files. */
function off(symbol: Symbol, week: string): number {
  let sum = 0;
  for (let i = 0; i < 5; i++) {
    const file = `CNMSshvol${addDays(week, i).replaceAll('-', '')}.txt`;
    if (regshoFiles().has(file)) sum += regshoRows(file).get(SYMBOLS[symbol])?.total ?? 0;
  }
  return sum;
}

/** The point estimate: the mean of the calibration weeks' ATS/off-exchange ratios, times the week's volume. */
function expectedEstimate(symbol: Symbol, week: string, calibration: string[]): number {
  const ratios = calibration.map((w) => ats(symbol, w) / off(symbol, w));
  return (ratios.reduce((a, b) => a + b, 0) / ratios.length) * off(symbol, week);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** A T1 week holding FINRA's totals of AAPL and BRK.B; the venue split is not in the sample, so one row each. */
function weekFile(week: string): string {
  const totals = TOTALS.filter((r) => r.weekStartDate === week);
  const firm: Row[] = totals.map((r) => ({
    ...r,
    summaryTypeCode: 'ATS_W_SMBL_FIRM',
    MPID: 'ALL',
    marketParticipantName: 'ALL ATSS (FINRA total)',
  }));
  const path = join(tempDir(), `t1_${week}.json`);
  writeFileSync(path, JSON.stringify([...totals, ...firm]));
  return path;
}

let cdn: CdnDouble;
let store: Store;
let app: FastifyInstance;
let dbPath: string;

async function get(url: string) {
  const res = await app.inject({ url });
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

beforeAll(async () => {
  cdn = await new CdnDouble(regshoFiles()).start();
  dbPath = tempDbPath();
  store = openStore(dbPath, SectorTable.load());
  await ingestDaily(
    dailyContext(store, () => NOW),
    cdnClient(cdn.url),
    { trigger: 'test', windowDays: 40 },
  );
  // FINRA has published the first two full December weeks; 20 and 27 December are still to come.
  await importFiles(ingestContext(store), [weekFile('2021-12-06'), weekFile('2021-12-13')], {});
  app = await appOn(store);
});
afterAll(async () => {
  await app.close();
  store.close();
  await cdn.close();
  removeTempDirs();
});

describe('the backtest on AAPL and BRK.B', () => {
  it("replays each published week from the weeks before it; its errors are those of the files' own figures", async () => {
    const run = await cli(
      ['backtest', '--weekly-totals', AAPL_BRKB_WEEKS, '--symbols', 'AAPL,brk/b', '--tiers', 'T1', '--format', 'json'],
      { DB_PATH: dbPath },
    );
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      scores: { weekStart: string; symbol: Symbol; estimate: number; low: number; high: number; actual: number }[];
      summary: Record<string, any>[];
      unavailable: number;
    };
    // Every December week has all its files, but the weeks of 6 and 13 December have fewer than the two
    // complete weeks before them that a calibration needs (the files start on 1 December).
    expect(result.unavailable).toBe(4);
    const expected = [
      ['2021-12-27', ['2021-12-20', '2021-12-13', '2021-12-06']],
      ['2021-12-20', ['2021-12-13', '2021-12-06']],
    ] as const;
    const apes: number[] = [];
    let inside = 0;
    for (const [week, calibration] of expected) {
      for (const symbol of ['AAPL', 'BRK.B'] as const) {
        const score = result.scores.find((s) => s.weekStart === week && s.symbol === symbol)!;
        expect(score.estimate, `${symbol} ${week}`).toBeCloseTo(expectedEstimate(symbol, week, [...calibration]), 3);
        expect(score.actual).toBe(ats(symbol, week));
        expect(score.low).toBeLessThan(score.estimate);
        expect(score.high).toBeGreaterThan(score.estimate);
        apes.push((Math.abs(score.estimate - score.actual) / score.actual) * 100);
        if (score.actual >= score.low && score.actual <= score.high) inside++;
      }
    }
    expect(result.scores).toHaveLength(4);
    const all = result.summary.find((r) => r.method === 'all')!;
    expect(all).toMatchObject({ tier: 'T1', weeks: 2, estimates: 4, with_ats_volume: 4, interval_coverage_pct: (inside / 4) * 100 });
    expect(all.median_ape_pct).toBeCloseTo(median(apes), 2);

    const table = await cli(['backtest', '--weekly-totals', AAPL_BRKB_WEEKS, '--symbols', 'AAPL,BRK.B', '--tiers', 'T1'], {
      DB_PATH: dbPath,
    });
    expect(table.stdout).toMatch(/T1: weeks ending 2022-01-02, 2021-12-26, 2021-12-19, 2021-12-12/);
    expect(table.stdout).toMatch(new RegExp(`T1    all               2          4 +${all.median_ape_pct.toFixed(2)}%`));
    console.log(table.stdout);
  });
});

describe('live estimates', () => {
  it('estimates each week FINRA has not published, labelled, with its interval, method and calibration weeks', async () => {
    for (const symbol of ['AAPL', 'BRK.B'] as const) {
      const { status, body } = await get(`/darkpool/estimate/${symbol}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ ticker: symbol, tier: 'T1', newest_published_week_ending: '2021-12-19', unavailable: [] });
      expect(body.data.map((d: any) => d.week_ending)).toEqual(['2022-01-02', '2021-12-26']);
      for (const d of body.data) {
        expect(d).toMatchObject({ estimate: true, method: 'symbol_share', complete: true, interval: { confidence: 0.9 } });
        expect(d.calibration.map((c: any) => c.week_ending)).toEqual(['2021-12-19', '2021-12-12']);
        expect(d.dark_pool_shares).toBe(Math.round(expectedEstimate(symbol, d.week_start, ['2021-12-13', '2021-12-06'])));
        expect(d.off_exchange_shares).toBe(off(symbol, d.week_start));
        expect(d.interval.low).toBeLessThanOrEqual(d.dark_pool_shares);
        expect(d.interval.high).toBeGreaterThanOrEqual(d.dark_pool_shares);
      }
      // Holiday week: 24 December was closed, so four sessions and four files make it complete.
      expect(body.data[1]).toMatchObject({ trading_days: 4, days_loaded: 4 });
      expect(body.note).toMatch(/^Estimates, not FINRA figures/);
      expect(body.source.weeks.map((w: any) => w.week_start)).toEqual(['2021-12-13', '2021-12-06']);
      expect(body.daily_source.files).toHaveLength(9);
    }
  });

  it('puts the estimates on top of the history when asked, and only then', async () => {
    const plain = await get('/darkpool/history/AAPL?weeks=4');
    expect(plain.body.data.every((d: any) => !('estimate' in d))).toBe(true);
    const { status, body } = await get('/darkpool/history/AAPL?weeks=4&include=estimates');
    expect(status).toBe(200);
    expect(body.data.map((d: any) => [d.week_ending, d.estimate])).toEqual([
      ['2022-01-02', true],
      ['2021-12-26', true],
      ['2021-12-19', false],
      ['2021-12-12', false],
    ]);
    expect(body.data[2].dark_pool_shares).toBe(ats('AAPL', '2021-12-13'));
    const csv = await app.inject({ url: '/darkpool/history/AAPL?include=estimates&format=csv' });
    expect(csv.statusCode).toBe(400);
  });

  it('never enters movers, sectors, venues or trends: they are the same as without any daily file', async () => {
    const bare = openStore(tempDbPath(), SectorTable.load());
    await importFiles(ingestContext(bare), [weekFile('2021-12-06'), weekFile('2021-12-13')], {});
    const other = await appOn(bare);
    for (const url of [
      '/darkpool/movers/top20',
      '/darkpool/sectors',
      '/darkpool/venues',
      '/darkpool/weekly/AAPL',
      '/darkpool/history/AAPL',
    ]) {
      const withDaily = await get(url);
      const without = (await other.inject({ url })).json() as Record<string, any>;
      expect(withDaily.body.data ?? withDaily.body.dark_pool_shares, url).toEqual(without.data ?? without.dark_pool_shares);
    }
    await other.close();
    bare.close();
  });

  it('scores what it served when FINRA publishes the week, and serves that accuracy', async () => {
    const served = new Map<string, any>();
    for (const symbol of ['AAPL', 'BRK.B']) served.set(symbol, (await get(`/darkpool/estimate/${symbol}`)).body.data[1]);
    expect((await get('/darkpool/estimate/accuracy')).body.data).toEqual([]);

    await importFiles(ingestContext(store), [weekFile('2021-12-20')], {});
    const scores = store.db
      .prepare<
        [],
        { symbol: string; estimate: number; low: number; high: number; actual: number; method: string; calibration_weeks: number }
      >(
        "SELECT symbol, estimate, low, high, actual, method, calibration_weeks FROM estimate_scores WHERE tier = 'T1' AND week_start = '2021-12-20' ORDER BY symbol",
      )
      .all();
    expect(scores.map((s) => s.symbol)).toEqual(['AAPL', 'BRK.B']);
    const apes: number[] = [];
    for (const s of scores) {
      const shown = served.get(s.symbol);
      expect(Math.round(s.estimate)).toBe(shown.dark_pool_shares);
      expect([Math.floor(s.low), Math.ceil(s.high)]).toEqual([shown.interval.low, shown.interval.high]);
      expect(s).toMatchObject({ actual: ats(s.symbol as Symbol, '2021-12-20'), method: 'symbol_share', calibration_weeks: 2 });
      apes.push((Math.abs(s.estimate - s.actual) / s.actual) * 100);
    }

    const { body } = await get('/darkpool/estimate/accuracy');
    expect(body.data).toHaveLength(2); // T1 all, T1 symbol_share
    expect(body.data[0]).toMatchObject({ tier: 'T1', method: 'all', weeks: 1, estimates: 2, first_week_ending: '2021-12-26' });
    expect(body.data[0].median_ape_pct).toBeCloseTo(median(apes), 2);
    expect((await get('/darkpool/estimate/AAPL')).body.accuracy).toEqual(body.data[0]);

    // The week is FINRA's now: one estimate left, calibrated on three weeks.
    const after = (await get('/darkpool/estimate/AAPL')).body;
    expect(after.data.map((d: any) => [d.week_ending, d.calibration.length])).toEqual([['2022-01-02', 3]]);

    // Replaying the estimate on the stored history gives the figures scored live.
    const replay = JSON.parse((await cli(['backtest', '--tiers', 'T1', '--format', 'json'], { DB_PATH: dbPath })).stdout) as {
      scores: { weekStart: string; symbol: string; estimate: number }[];
    };
    for (const s of scores)
      expect(replay.scores.find((r) => r.weekStart === '2021-12-20' && r.symbol === s.symbol)!.estimate).toBeCloseTo(s.estimate, 6);
  });
});

describe('when there is nothing to estimate from', () => {
  it('says why: no daily file yet (503), an OTC equity or a symbol the files lack (404), no week after the newest published (empty)', async () => {
    const seeded = await seededStore(); // OTCE weeks and TQQQ (T2) of November 2025
    const noDaily = await appOn(seeded);
    expect((await noDaily.inject({ url: '/darkpool/estimate/TQQQ' })).json()).toMatchObject({ status: 503, code: 'no_daily_data' });
    await noDaily.close();

    await ingestDaily(
      dailyContext(seeded, () => new Date('2021-12-02T12:00:00Z')),
      cdnClient(cdn.url),
      { trigger: 'test', windowDays: 1 },
    );
    const withDaily = await appOn(seeded);
    const otc = (await withDaily.inject({ url: '/darkpool/estimate/EARI' })).json();
    expect(otc).toMatchObject({ status: 404, code: 'estimate_unavailable' });
    expect(otc.detail).toMatch(/OTC equity/);
    // December 2021 files are older than the newest published T2 week: nothing to estimate, no error.
    const tqqq = (await withDaily.inject({ url: '/darkpool/estimate/TQQQ' })).json();
    expect(tqqq).toMatchObject({ ticker: 'TQQQ', tier: 'T2', data: [], unavailable: [] });
    expect((await withDaily.inject({ url: '/darkpool/estimate/NOPEZ' })).json()).toMatchObject({ code: 'ticker_not_found' });
    await withDaily.close();
    seeded.close();
  });
});

describe('an estimate with nothing to estimate', () => {
  it('says why, with the dates: the daily files end before the week after the newest published one', async () => {
    const { importDailyFiles } = await import('../../src/ingest/daily.js');
    const { REGSHO_DIR } = await import('../support/fixtures.js');
    const store = await seededStore(); // TQQQ: T2, published through the week of 2025-11-17
    await importDailyFiles(
      dailyContext(store, () => new Date('2026-01-05T12:00:00Z')),
      [...regshoFiles().keys()].map((f) => `${REGSHO_DIR}${f}.gz`),
    );
    const app = await appOn(store);
    try {
      const body = (await app.inject({ url: '/darkpool/estimate/TQQQ' })).json() as Record<string, unknown>;
      expect(body).toMatchObject({ data: [], unavailable: [], newest_published_week_ending: '2025-11-23' });
      expect(body.reason).toBe(
        "FINRA's daily files loaded here cover 2021-12-01 to 2021-12-31; the newest published T2 week ends 2025-11-23, and no daily " +
          'file falls in a week after it (the next starts 2025-11-24): there is no unpublished week to estimate. Load newer daily files (`darkpool-radar ingest`).',
      );
    } finally {
      await app.close();
      store.close();
    }
  });
});
