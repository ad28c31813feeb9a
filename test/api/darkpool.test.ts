import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, OPEN_APP_CONFIG } from '../../src/app.js';
import { importFiles } from '../../src/ingest/run.js';
import { SectorTable } from '../../src/sectors/table.js';
import { Store } from '../../src/store/store.js';
import { appOn, ingestContext, seededStore } from '../support/app.js';
import { otceFirmRows, sumFirmRows, tqqqRows, type ExpectedSymbol } from '../support/fixtures.js';
import { removeTempDirs, silentLogger, tempDbPath } from '../support/harness.js';
import { syntheticWeek, writeJson } from '../support/synthetic.js';
import { openStore } from '../../src/compose.js';

let app: FastifyInstance;
let store: Store;
const week1 = sumFirmRows(otceFirmRows('2025-11-10'));
const week2 = sumFirmRows(otceFirmRows('2025-11-17'));
const tqqq = sumFirmRows(tqqqRows()).get('TQQQ')!;

beforeAll(async () => {
  store = await seededStore();
  app = await appOn(store);
});
afterAll(async () => {
  await app.close();
  store.close();
  removeTempDirs();
});

async function get(url: string) {
  const res = await app.inject({ url });
  return { status: res.statusCode, type: res.headers['content-type'], body: res.json() as Record<string, any> };
}

/** The trend rule, written out again from the brief. */
function expectedTrend(cur: number, prev: number | null) {
  if (prev === null) return { trend: null, change_pct: null };
  if (prev === 0) return { trend: cur > 0 ? 'rising' : 'stable', change_pct: null };
  const pct = ((cur - prev) / prev) * 100;
  return { trend: pct > 5 ? 'rising' : pct < -5 ? 'falling' : 'stable', change_pct: Math.round(pct * 100) / 100 };
}

describe('GET /darkpool/weekly/{ticker}', () => {
  it("serves TQQQ's latest week: the sum of its 26 ATS rows, every venue, largest first", async () => {
    const { status, body } = await get('/darkpool/weekly/TQQQ');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      ticker: 'TQQQ',
      tier: 'T2',
      week_start: '2025-11-17',
      week_ending: '2025-11-23',
      dark_pool_shares: tqqq.shares,
      dark_pool_trades: tqqq.trades,
      ats_venues: 26,
      dark_pool_volume_usd: null, // the sample has no notional
      avg_trade_size: Math.round((tqqq.shares / tqqq.trades) * 100) / 100,
      sector: 'ETFs & ETPs',
      trend: null, // week 2025-11-10 of T2 is not loaded: nothing to compare
      change_pct: null,
      trend_basis: 'previous_week_not_loaded',
      previous_week: null,
    });
    const venues = body.venues as { mpid: string; shares: number; share_pct: number }[];
    expect(venues).toHaveLength(26);
    const fixtureVenues = tqqqRows().filter((r) => r.summaryTypeCode === 'ATS_W_SMBL_FIRM');
    expect(venues.map((v) => v.mpid).sort()).toEqual(fixtureVenues.map((r) => r.MPID).sort());
    expect(venues.reduce((n, v) => n + v.shares, 0)).toBe(tqqq.shares);
    expect(venues.map((v) => v.shares)).toEqual([...venues.map((v) => v.shares)].sort((a, b) => b - a));
    expect(venues[0]).toMatchObject({ mpid: 'UBSA', name: 'UBS ATS', shares: 12_466_783 });
    expect(venues.reduce((n, v) => n + v.share_pct, 0)).toBeCloseTo(100, 0);
  });

  it('compares an OTCE symbol with its previous week, computed from the fixture rows', async () => {
    const symbol = [...week2.keys()].find((s) => week1.has(s) && week1.get(s)!.shares !== week2.get(s)!.shares)!;
    const { body } = await get(`/darkpool/weekly/${symbol}`);
    const cur = week2.get(symbol)!;
    const prev = week1.get(symbol)!;
    expect(body).toMatchObject({
      ticker: symbol,
      tier: 'OTCE',
      week_ending: '2025-11-23',
      dark_pool_shares: cur.shares,
      dark_pool_trades: cur.trades,
      ats_venues: cur.venues,
      previous_week: { week_ending: '2025-11-16', dark_pool_shares: prev.shares },
      ...expectedTrend(cur.shares, prev.shares),
    });
  });

  it('answers zeros, not an older week, when the symbol had no ATS volume in its tier’s latest week', async () => {
    const gone = [...week1.keys()].find((s) => !week2.has(s))!;
    const { status, body } = await get(`/darkpool/weekly/${gone}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      ticker: gone,
      week_ending: '2025-11-23',
      dark_pool_shares: 0,
      dark_pool_trades: 0,
      ats_venues: 0,
      avg_trade_size: null,
      venues: [],
      trend: 'falling',
      change_pct: -100,
      previous_week: { week_ending: '2025-11-16', dark_pool_shares: week1.get(gone)!.shares },
    });
  });

  it('credits FINRA and names the week’s publication and load dates', async () => {
    const { body } = await get('/darkpool/weekly/TQQQ');
    expect(body.source).toMatchObject({
      provider: 'FINRA',
      url: 'https://otctransparency.finra.org/',
      // The TQQQ sample carries lastUpdateDate but not initialPublishedDate: unknown stays null.
      weeks: [{ tier: 'T2', week_start: '2025-11-17', finra_published: null, finra_last_update: '2025-12-22' }],
    });
    expect(body.source.terms).toMatch(/FINRA is the owner and the source/);
    expect(body.source.weeks[0].loaded_at).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});

describe('GET /darkpool/movers/top20', () => {
  it('lists the 20 symbols with the most ATS shares in the latest week, across the tiers it holds', async () => {
    const { body } = await get('/darkpool/movers/top20');
    const all: [string, ExpectedSymbol][] = [...week2.entries(), ['TQQQ', tqqq]];
    const expected = all.sort((a, b) => b[1].shares - a[1].shares || (a[0] < b[0] ? -1 : 1)).slice(0, 20);
    expect(body.week_ending).toBe('2025-11-23');
    expect(body.tiers).toEqual(['OTCE', 'T2']);
    expect(body.data.map((r: { ticker: string; dark_pool_shares: number }) => [r.ticker, r.dark_pool_shares])).toEqual(
      expected.map(([s, e]) => [s, e.shares]),
    );
    expect(body.data.every((r: { sector: string }) => typeof r.sector === 'string')).toBe(true);
    expect(body.source.weeks.map((w: { tier: string }) => w.tier)).toEqual(['T2', 'OTCE']);
  });
});

describe('GET /darkpool/ratio/{ticker}', () => {
  it("sets TQQQ's ATS shares against FINRA's real non-ATS total for the week", async () => {
    const nonAts = tqqqRows().find((r) => r.summaryTypeCode === 'OTC_W_SMBL')!.totalWeeklyShareQuantity as number;
    const { body } = await get('/darkpool/ratio/tqqq');
    expect(body).toMatchObject({
      ticker: 'TQQQ',
      dark_pool_shares: tqqq.shares,
      otc_non_ats_shares: nonAts,
      ats_share_of_off_exchange: Math.round((tqqq.shares / (tqqq.shares + nonAts)) * 10_000) / 10_000,
      trend: null,
    });
    expect(body).not.toHaveProperty('percent_of_total_volume');
  });

  it('gives null, not an invented ratio, when FINRA’s non-ATS figure is missing', async () => {
    const symbol = [...week2.keys()][0]!;
    const { body } = await get(`/darkpool/ratio/${symbol}`);
    expect(body.otc_non_ats_shares).toBeNull();
    expect(body.ats_share_of_off_exchange).toBeNull();
  });
});

describe('GET /darkpool/history/{ticker}', () => {
  it('lists loaded weeks newest first, with zeros where the symbol had no ATS volume', async () => {
    const gone = [...week1.keys()].find((s) => !week2.has(s))!;
    const { body } = await get(`/darkpool/history/${gone}`);
    expect(body.ticker).toBe(gone);
    expect(body.weeks).toBe(4);
    expect(body.data.map((r: { week_ending: string; dark_pool_shares: number }) => [r.week_ending, r.dark_pool_shares])).toEqual([
      ['2025-11-23', 0],
      ['2025-11-16', week1.get(gone)!.shares],
    ]);
  });

  it('honours weeks=1 and refuses weeks that are not a whole number from 1 up', async () => {
    expect((await get('/darkpool/history/TQQQ?weeks=1')).body.data).toHaveLength(1);
    for (const bad of ['0', '5001', '-1', '1.5', 'four', '']) {
      const res = await get(`/darkpool/history/TQQQ?weeks=${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body).toMatchObject({ code: 'invalid_parameter', status: 400, errors: [{ parameter: 'weeks' }] });
    }
  });
});

describe('GET /darkpool/sectors', () => {
  it('splits all ATS shares of the latest week into sectors that add back up', async () => {
    const { body } = await get('/darkpool/sectors');
    const all = [...week2.values(), tqqq];
    const data = body.data as { sector: string; dark_pool_shares: number; ticker_count: number; share_pct: number }[];
    expect(data.reduce((n, r) => n + r.dark_pool_shares, 0)).toBe(all.reduce((n, e) => n + e.shares, 0));
    expect(data.reduce((n, r) => n + r.ticker_count, 0)).toBe(all.filter((e) => e.shares > 0).length);
    expect(data.reduce((n, r) => n + r.share_pct, 0)).toBeCloseTo(100, 0);
    expect(data.map((r) => r.dark_pool_shares)).toEqual([...data.map((r) => r.dark_pool_shares)].sort((a, b) => b - a));
    expect(data.find((r) => r.sector === 'ETFs & ETPs')?.dark_pool_shares).toBeGreaterThanOrEqual(tqqq.shares);
  });
});

describe('tickers', () => {
  let spelled: FastifyInstance;
  let spelledStore: Store;

  beforeAll(async () => {
    // Synthetic: no real sample has a class share in per-ATS rows.
    spelledStore = openStore(tempDbPath(), SectorTable.load());
    const file = writeJson(
      syntheticWeek('2026-01-05', 'T1', [
        { symbol: 'BRK.B', mpid: 'UBSA', shares: 1000, trades: 10 },
        { symbol: 'ABRpD', mpid: 'UBSA', shares: 500, trades: 5 },
      ]),
    );
    await importFiles(ingestContext(spelledStore), [file], {});
    spelled = await appOn(spelledStore);
  });
  afterAll(async () => {
    await spelled.close();
    spelledStore.close();
  });

  it('finds BRK.B however it is written', async () => {
    for (const spelling of ['BRK.B', 'brk.b', 'BRK-B', 'BRK/B', 'brk/b?as_of=2099-01-01', 'brk%2Fb', 'BRK%20B', 'BRKB']) {
      const res = await spelled.inject({ url: `/darkpool/weekly/${spelling}` });
      expect(res.statusCode, spelling).toBe(200);
      expect(res.json().ticker, spelling).toBe('BRK.B');
      expect(res.json().sector, spelling).toBe('Financials'); // S&P 500 GICS
    }
  });

  it('finds mixed-case FINRA symbols case-insensitively', async () => {
    const res = await spelled.inject({ url: '/darkpool/weekly/abrpd' });
    expect(res.json().ticker).toBe('ABRpD');
  });

  it('answers 400 invalid_ticker for anything that cannot be a symbol', async () => {
    for (const bad of ['a$b', '%27%3B--', 'A'.repeat(21), '.A', '-A', '%E2%82%AC', 'A%00']) {
      const res = await app.inject({ url: `/darkpool/weekly/${bad}` });
      expect(res.statusCode, bad).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json(), bad).toMatchObject({ code: 'invalid_ticker', status: 400, type: '/problems/invalid_ticker' });
    }
  });

  it('answers 404 ticker_not_found for a symbol never seen', async () => {
    for (const url of ['/darkpool/weekly/ZZZZZQ', '/darkpool/ratio/ZZZZZQ', '/darkpool/history/ZZZZZQ']) {
      const res = await get(url);
      expect(res.status).toBe(404);
      expect(res.body).toMatchObject({ code: 'ticker_not_found', title: 'Ticker not found' });
    }
  });
});

describe('trend boundaries through the API (synthetic weeks)', () => {
  it('is stable at exactly +5% and -5%, rising and falling just beyond, rising from a week without volume', async () => {
    const s = openStore(tempDbPath(), SectorTable.load());
    const rows = [
      ...syntheticWeek('2026-01-05', 'T1', [
        { symbol: 'UPFIVE', mpid: 'UBSA', shares: 2_000_000, trades: 1 },
        { symbol: 'DNFIVE', mpid: 'UBSA', shares: 2_000_000, trades: 1 },
        { symbol: 'UPMORE', mpid: 'UBSA', shares: 2_000_000, trades: 1 },
        { symbol: 'DNMORE', mpid: 'UBSA', shares: 2_000_000, trades: 1 },
        { symbol: 'FILLER', mpid: 'UBSA', shares: 1, trades: 1 },
      ]),
      ...syntheticWeek('2026-01-12', 'T1', [
        { symbol: 'UPFIVE', mpid: 'UBSA', shares: 2_100_000, trades: 1 },
        { symbol: 'DNFIVE', mpid: 'UBSA', shares: 1_900_000, trades: 1 },
        { symbol: 'UPMORE', mpid: 'UBSA', shares: 2_100_001, trades: 1 },
        { symbol: 'DNMORE', mpid: 'UBSA', shares: 1_899_999, trades: 1 },
        { symbol: 'NEWONE', mpid: 'UBSA', shares: 10, trades: 1 },
      ]),
    ];
    await importFiles(
      ingestContext(s, () => new Date('2026-02-09T12:00:00Z')),
      [writeJson(rows)],
      {},
    );
    const a = await appOn(s);
    const trend = async (t: string) => {
      const { trend: tr, change_pct } = (await a.inject({ url: `/darkpool/weekly/${t}` })).json();
      return [tr, change_pct];
    };
    expect(await trend('UPFIVE')).toEqual(['stable', 5]);
    expect(await trend('DNFIVE')).toEqual(['stable', -5]);
    expect(await trend('UPMORE')).toEqual(['rising', 5]);
    expect(await trend('DNMORE')).toEqual(['falling', -5]);
    expect(await trend('NEWONE')).toEqual(['rising', null]);
    expect(await trend('FILLER')).toEqual(['falling', -100]);
    await a.close();
    s.close();
  });
});

describe('errors', () => {
  it('answers 503 no_data, with how to load data, on an empty store', async () => {
    const empty = openStore(tempDbPath(), SectorTable.load());
    const a = await appOn(empty);
    for (const url of [
      '/darkpool/weekly/AAPL',
      '/darkpool/movers/top20',
      '/darkpool/ratio/AAPL',
      '/darkpool/history/AAPL',
      '/darkpool/sectors',
    ]) {
      const res = await a.inject({ url });
      expect(res.statusCode, url).toBe(503);
      expect(res.json()).toMatchObject({ code: 'no_data', status: 503 });
      expect(res.json().detail).toMatch(/darkpool-radar ingest/);
    }
    await a.close();
    empty.close();
  });

  it('says in 503 no_data why nothing is loaded and when to ask again (Retry-After), or that nothing is scheduled', async () => {
    const empty = openStore(tempDbPath(), SectorTable.load());
    const runId = empty.runs.start('startup', '2026-01-06T04:15:00Z');
    empty.runs.finish(
      runId,
      'failed',
      { weeks: [{ outcome: 'failed', detail: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:443' }], notes: [] },
      '2026-01-06T04:16:00Z',
    );
    const at = new Date('2026-01-06T05:00:00Z');
    const scheduled = await buildApp(OPEN_APP_CONFIG, {
      store: empty,
      logger: silentLogger,
      now: () => at,
      nextIngestAt: () => new Date('2026-01-06T05:15:00Z'),
    });
    const off = await buildApp(OPEN_APP_CONFIG, { store: empty, logger: silentLogger, now: () => at });
    try {
      const res = await scheduled.inject({ url: '/darkpool/sectors' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('900');
      expect(res.json().detail).toMatch(
        /The last ingest \(finished 2026-01-06T04:16:00Z\) loaded nothing: ECONNREFUSED: .* The next ingest is due at 2026-01-06T05:15:00.000Z\./,
      );
      const none = await off.inject({ url: '/darkpool/sectors' });
      expect(none.headers['retry-after']).toBeUndefined();
      expect(none.json().detail).toMatch(/No ingest is scheduled \(INGEST_CRON=off\): load data with `darkpool-radar import`/);
    } finally {
      await scheduled.close();
      await off.close();
      empty.close();
    }
  });

  it('answers unknown routes with 404 and other methods with 405, as problem+json', async () => {
    const missing = await app.inject({ url: '/darkpool/nothing' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'not_found', type: '/problems/not_found' });
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      const res = await app.inject({ method, url: '/darkpool/weekly/TQQQ' });
      expect(res.statusCode).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
      expect(res.json().code).toBe('method_not_allowed');
    }
  });

  it('answers HEAD like GET without a body', async () => {
    const res = await app.inject({ method: 'HEAD', url: '/darkpool/weekly/TQQQ' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('');
  });

  it('turns a failure inside the service into a 500 problem without a stack trace or internals', async () => {
    const broken = await seededStore();
    const a = await appOn(broken);
    broken.db.close();
    const res = await a.inject({ url: '/darkpool/weekly/TQQQ' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toMatchObject({ code: 'internal_error', status: 500, title: 'Internal server error' });
    expect(res.body).not.toMatch(/database|sqlite|at .*\.(ts|js)|stack/i);
    await a.close();
  });

  it('documents every problem code at the URI its `type` names', async () => {
    const res = await get('/problems/ticker_not_found');
    expect(res.body).toMatchObject({ code: 'ticker_not_found', status: 404 });
    expect((await get('/problems/nope')).status).toBe(404);
    expect((await get('/problems/constructor')).status).toBe(404);
  });
});

describe('past weeks and history ranges', () => {
  // A symbol with ATS volume in both loaded OTCE weeks, and its figures summed from FINRA's rows.
  const symbol = [...week2.keys()].find((s) => week1.has(s) && week1.get(s)!.shares !== week2.get(s)!.shares)!;

  it('answers weekly and ratio for the loaded week containing week=, any day of it', async () => {
    for (const day of ['2025-11-10', '2025-11-13', '2025-11-16']) {
      const { status, body } = await get(`/darkpool/weekly/${symbol}?week=${day}`);
      expect(status).toBe(200);
      expect(body).toMatchObject({ week_start: '2025-11-10', dark_pool_shares: week1.get(symbol)!.shares, previous_week: null });
    }
    const ratio = await get(`/darkpool/ratio/${symbol}?week=2025-11-10`);
    expect(ratio.body).toMatchObject({ week_start: '2025-11-10', dark_pool_shares: week1.get(symbol)!.shares });
    const latest = await get(`/darkpool/weekly/${symbol}`);
    expect(latest.body).toMatchObject({ week_start: '2025-11-17', dark_pool_shares: week2.get(symbol)!.shares });
  });

  it('is a 404 for a week not loaded for the symbol, and a 400 for a date that is not one', async () => {
    const missing = await get('/darkpool/ratio/TQQQ?week=2025-11-10'); // only T2 week 2025-11-17 is loaded
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('week_not_found');
    expect((await get(`/darkpool/weekly/${symbol}?week=2025-13-01`)).status).toBe(400);
  });

  it('takes from and to (any day of a week), and weeks beyond 52 up to every loaded week', async () => {
    const shares = async (url: string) =>
      ((await get(url)).body.data as { week_start: string; dark_pool_shares: number }[]).map((d) => [d.week_start, d.dark_pool_shares]);
    const both = [
      ['2025-11-17', week2.get(symbol)!.shares],
      ['2025-11-10', week1.get(symbol)!.shares],
    ];
    expect(await shares(`/darkpool/history/${symbol}?weeks=200`)).toEqual(both);
    expect(await shares(`/darkpool/history/${symbol}?from=2025-11-01`)).toEqual(both);
    expect(await shares(`/darkpool/history/${symbol}?to=2025-11-12`)).toEqual([both[1]]);
    expect(await shares(`/darkpool/history/${symbol}?from=2025-11-16&to=2025-11-23`)).toEqual(both);
    expect(await shares(`/darkpool/history/${symbol}?from=2025-11-17`)).toEqual([both[0]]);
    // The oldest week shown still compares with the loaded week before it.
    const newest = (await get(`/darkpool/history/${symbol}?from=2025-11-17`)).body.data[0];
    expect(newest.change_pct).toBe(expectedTrend(week2.get(symbol)!.shares, week1.get(symbol)!.shares).change_pct);
    const bad = await get(`/darkpool/history/${symbol}?from=2025-11-17&to=2025-11-10`);
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/from \(2025-11-17\) is after to \(2025-11-10\)/);
    expect((await get(`/darkpool/history/${symbol}?weeks=5001`)).status).toBe(400);
  });
});

describe('movers by change: every symbol the week before held', () => {
  const MIN = 100_000;
  const has = (m: Map<string, ExpectedSymbol>, s: string) => (m.get(s)?.shares ?? 0) > 0;

  async function all(query: string) {
    const out: Record<string, any>[] = [];
    for (let offset = 0; ; offset += 500) {
      const { status, body } = await get(`/darkpool/movers/top20?tier=OTCE&sort=change&${query}&limit=500&offset=${offset}`);
      expect(status).toBe(200);
      out.push(...body.data);
      if (body.data.length < 500) return out;
    }
  }

  it('ranks the fallers to zero (-100%) first ascending, and lists the symbols that appeared last', async () => {
    const gone = [...week1.keys()].filter((s) => has(week1, s) && week1.get(s)!.shares >= MIN && !has(week2, s)).sort();
    const compared = [...week2.keys()].filter((s) => has(week2, s) && (week1.get(s)?.shares ?? 0) >= MIN);
    const appeared = [...week2.keys()].filter((s) => has(week2, s) && !has(week1, s));
    expect(gone.length).toBeGreaterThan(0);
    expect(appeared.length).toBeGreaterThan(0);

    const asc = await all('order=asc');
    expect(asc).toHaveLength(gone.length + compared.length + appeared.length);
    const fallen = asc.filter((r) => r.change_pct === -100 && r.dark_pool_shares === 0);
    expect(fallen.map((r) => r.ticker).sort()).toEqual(gone);
    expect(fallen.every((r) => r.trend === 'falling' && r.ats_venues === 0)).toBe(true);
    expect(asc.slice(0, gone.length).every((r) => r.change_pct === -100)).toBe(true);
    // Numeric changes in order, then the appeared ones (no change to rank by), largest first.
    const numeric = asc.filter((r) => r.change_pct !== null).map((r) => r.change_pct as number);
    expect(numeric).toEqual([...numeric].sort((a, b) => a - b));
    const tail = asc.slice(numeric.length);
    expect(tail.map((r) => r.ticker).sort()).toEqual([...appeared].sort());
    expect(tail.every((r) => r.change_pct === null && r.trend === 'rising')).toBe(true);
    for (const r of asc.filter((x) => compared.includes(x.ticker)).slice(0, 50)) {
      expect(r.change_pct).toBe(expectedTrend(week2.get(r.ticker)!.shares, week1.get(r.ticker)!.shares).change_pct);
    }

    const desc = await all('order=desc');
    expect(desc).toHaveLength(asc.length);
    expect(desc.slice(-appeared.length).every((r) => r.change_pct === null)).toBe(true);
  });

  it('pages with limit (1-500) and offset', async () => {
    const first = (await get('/darkpool/movers/top20?tier=OTCE&limit=5')).body.data.map((r: any) => r.ticker);
    const next = (await get('/darkpool/movers/top20?tier=OTCE&limit=5&offset=5')).body.data.map((r: any) => r.ticker);
    const ten = (await get('/darkpool/movers/top20?tier=OTCE&limit=10')).body.data.map((r: any) => r.ticker);
    expect([...first, ...next]).toEqual(ten);
    expect((await get('/darkpool/movers/top20')).body.data).toHaveLength(20);
    for (const bad of ['0', '501', '2.5']) expect((await get(`/darkpool/movers/top20?limit=${bad}`)).status, bad).toBe(400);
    expect((await get('/darkpool/movers/top20?offset=-1')).status).toBe(400);
  });
});

describe('honest trends: no comparison is null, with the reason', () => {
  it('says why sectors and venues cannot compare: other tiers the week before, or no week before', async () => {
    // Week 2025-11-17 holds OTCE and T2; the week before holds OTCE only.
    const sectors = (await get('/darkpool/sectors')).body.data as Record<string, unknown>[];
    expect(sectors.every((s) => s.trend === null && s.change_pct === null && s.trend_basis === 'tiers_differ')).toBe(true);
    const otce = (await get('/darkpool/venues?tier=OTCE')).body.data as Record<string, unknown>[];
    expect(otce.every((v) => v.trend_basis === 'compared' && v.trend !== null)).toBe(true);
    const first = (await get('/darkpool/venues?week=2025-11-10')).body.data as Record<string, unknown>[];
    expect(first.every((v) => v.trend === null && v.trend_basis === 'previous_week_not_loaded')).toBe(true);
  });

  it('gives a symbol no trend, per week or per day, when its previous week is not loaded', async () => {
    const { body } = await get('/darkpool/weekly/TQQQ');
    expect(body).toMatchObject({
      trend: null,
      change_pct: null,
      trend_per_day: null,
      change_pct_per_day: null,
      trend_basis: 'previous_week_not_loaded',
    });
  });
});
