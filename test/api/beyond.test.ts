import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_ENCODED } from '../../src/api/compression.js';
import { AnswerCache, RepeatedKeys } from '../../src/api/http-cache.js';
import { buildApp, OPEN_APP_CONFIG } from '../../src/app.js';
import { importFiles } from '../../src/ingest/run.js';
import { SectorTable } from '../../src/sectors/table.js';
import { Store } from '../../src/store/store.js';
import { ingestContext, seededStore } from '../support/app.js';
import { otceFirmRows, sumFirmRows, tqqqRows, type Row } from '../support/fixtures.js';
import { removeTempDirs, silentLogger, tempDbPath } from '../support/harness.js';
import { syntheticWeek, writeJson } from '../support/synthetic.js';
import { openStore } from '../../src/compose.js';

let store: Store;
let app: FastifyInstance;
const NOW = new Date('2026-01-06T12:00:00Z');

beforeAll(async () => {
  store = await seededStore();
  app = await buildApp(OPEN_APP_CONFIG, {
    store,
    logger: silentLogger,
    now: () => NOW,
    nextIngestAt: () => new Date('2026-01-07T04:15:00Z'),
  });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  store.close();
  removeTempDirs();
});

const json = async (url: string, headers: Record<string, string> = {}) => {
  const res = await app.inject({ url, headers });
  return { status: res.statusCode, headers: res.headers, body: res.json() as any };
};

const latestFirm = (): Row[] => [...otceFirmRows('2025-11-17'), ...tqqqRows().filter((r) => r.summaryTypeCode === 'ATS_W_SMBL_FIRM')];

describe('GET /darkpool/venues', () => {
  it('sums each ATS over the symbols it traded: the leaderboard adds up to the per-symbol totals', async () => {
    const { body } = await json('/darkpool/venues');
    expect(body.week_ending).toBe('2025-11-23');
    const rows = latestFirm();
    // Independently: per MPID straight from the fixture rows.
    const byMpid = new Map<string, { shares: number; trades: number; symbols: Set<string> }>();
    for (const r of rows) {
      const v = byMpid.get(r.MPID as string) ?? { shares: 0, trades: 0, symbols: new Set<string>() };
      v.shares += r.totalWeeklyShareQuantity as number;
      v.trades += r.totalWeeklyTradeCount as number;
      v.symbols.add(r.issueSymbolIdentifier as string);
      byMpid.set(r.MPID as string, v);
    }
    expect(body.data).toHaveLength(byMpid.size);
    for (const v of body.data) {
      const e = byMpid.get(v.mpid)!;
      expect([v.dark_pool_shares, v.dark_pool_trades, v.symbols_traded], v.mpid).toEqual([e.shares, e.trades, e.symbols.size]);
    }
    const symbolTotal = [...sumFirmRows(rows).values()].reduce((n, e) => n + e.shares, 0);
    expect(body.data.reduce((n: number, v: any) => n + v.dark_pool_shares, 0)).toBe(symbolTotal);
    const shareSum = body.data.reduce((n: number, v: any) => n + v.market_share_pct, 0);
    expect(Math.abs(shareSum - 100)).toBeLessThanOrEqual(0.01 * body.data.length);
    expect(body.data[0]).toMatchObject({ mpid: 'OTCN', name: 'OTC LINK NQB IDQS' });
  });

  it('compares with the previous week when it holds the same tiers', async () => {
    const { body } = await json('/darkpool/venues?tier=OTCE');
    const prev = new Map<string, number>();
    for (const r of otceFirmRows('2025-11-10'))
      prev.set(r.MPID as string, (prev.get(r.MPID as string) ?? 0) + (r.totalWeeklyShareQuantity as number));
    const otcn = body.data.find((v: any) => v.mpid === 'OTCN');
    const expected = Math.round(((otcn.dark_pool_shares - prev.get('OTCN')!) / prev.get('OTCN')!) * 100 * 100) / 100;
    expect(otcn.change_pct).toBe(expected);
    expect(body.tiers).toEqual(['OTCE']);
  });

  it('answers any week by any of its days, and 404 for a week not loaded', async () => {
    for (const day of ['2025-11-10', '2025-11-13', '2025-11-16']) {
      expect((await json(`/darkpool/venues?week=${day}`)).body.week_ending, day).toBe('2025-11-16');
    }
    const missing = await json('/darkpool/venues?week=2024-02-07');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('week_not_found');
    expect((await json('/darkpool/venues?week=2024-02-30')).status).toBe(400);
    expect((await json('/darkpool/venues?week=2025-11-10&tier=T1')).body.code).toBe('week_not_found');
  });
});

describe('GET /darkpool/weeks', () => {
  it("lists loaded weeks per tier with FINRA's dates, revisions, and the next publication due", async () => {
    const { body } = await json('/darkpool/weeks');
    const otce = body.tiers.find((t: any) => t.tier === 'OTCE');
    expect(otce.weeks.map((w: any) => [w.week_ending, w.ats_rows, w.revisions, w.source])).toEqual([
      ['2025-11-23', 5192, 0, 'file'],
      ['2025-11-16', 5328, 0, 'file'],
    ]);
    expect(otce).toMatchObject({ next_week_start: '2025-11-24', next_expected_publication: '2025-12-29' });
  });
});

describe('movers: week, tier, sector, sort', () => {
  it('filters by tier and sector', async () => {
    const t2 = (await json('/darkpool/movers/top20?tier=t2')).body;
    expect(t2.data.map((r: any) => r.ticker)).toEqual(['TQQQ']);
    const etps = (await json(`/darkpool/movers/top20?sector=${encodeURIComponent('ETFs & ETPs')}`)).body;
    expect(etps.data.length).toBeGreaterThan(1);
    expect(etps.data.every((r: any) => r.sector === 'ETFs & ETPs')).toBe(true);
    expect((await json('/darkpool/movers/top20?sector=Nonsense')).status).toBe(400);
  });

  it('sorts by trades, and by change only among symbols with a real previous-week base', async () => {
    const byTrades = (await json('/darkpool/movers/top20?sort=trades&tier=OTCE')).body.data.map((r: any) => r.dark_pool_trades);
    expect(byTrades).toEqual([...byTrades].sort((a: number, b: number) => b - a));

    const prev = sumFirmRows(otceFirmRows('2025-11-10'));
    const cur = sumFirmRows(otceFirmRows('2025-11-17'));
    const expected = [...cur.entries()]
      .filter(([s]) => (prev.get(s)?.shares ?? 0) >= 100_000)
      .map(([s, e]) => [s, Math.round(((e.shares - prev.get(s)!.shares) / prev.get(s)!.shares) * 100 * 100) / 100] as const)
      .sort((a, b) => b[1] - a[1] || cur.get(b[0])!.shares - cur.get(a[0])!.shares)
      .slice(0, 20);
    const byChange = (await json('/darkpool/movers/top20?sort=change&tier=OTCE')).body.data;
    expect(byChange.map((r: any) => [r.ticker, r.change_pct])).toEqual(expected);
    const unguarded = (await json('/darkpool/movers/top20?sort=change&tier=OTCE&min_prev_shares=0')).body.data;
    expect(unguarded[0].change_pct).toBeGreaterThan(byChange[0].change_pct); // a tiny base makes a huge percentage
    const fallers = (await json('/darkpool/movers/top20?sort=change&order=asc&tier=OTCE')).body.data;
    expect(fallers[0].change_pct).toBeLessThan(0);
  });
});

describe('trend per trading day (synthetic holiday week)', () => {
  it('is fair to a four-day week: raw falling, per day rising', async () => {
    // Week 2025-11-24 holds Thanksgiving: 4 sessions against 5.
    const s = openStore(tempDbPath(), SectorTable.load());
    const file = writeJson([
      ...syntheticWeek('2025-11-17', 'T1', [{ symbol: 'HOLI', mpid: 'UBSA', shares: 500_000, trades: 5 }]),
      ...syntheticWeek('2025-11-24', 'T1', [{ symbol: 'HOLI', mpid: 'UBSA', shares: 440_000, trades: 4 }]),
    ]);
    await importFiles(ingestContext(s), [file], {});
    const a = await buildApp(OPEN_APP_CONFIG, { store: s, logger: silentLogger });
    const rec = (await a.inject({ url: '/darkpool/weekly/HOLI' })).json();
    expect(rec).toMatchObject({ trading_days: 4, trend: 'falling', change_pct: -12, trend_per_day: 'rising', change_pct_per_day: 10 });
    await a.close();
    s.close();
  });
});

describe('several tickers in one call', () => {
  it('answers each like /weekly/{ticker}, once per symbol, and lists the unknown ones', async () => {
    const { status, body } = await json('/darkpool/weekly?tickers=TQQQ,tqqq,AABB,NOPEZ');
    expect(status).toBe(200);
    expect(body.data.map((d: any) => d.ticker)).toEqual(['TQQQ', 'AABB']);
    expect(body.not_found).toEqual(['NOPEZ']);
    const single = (await json('/darkpool/weekly/AABB')).body;
    const { source: _s, ...withoutSource } = single;
    expect(body.data[1]).toEqual(withoutSource);
  });

  it('takes at most 100, and refuses anything that cannot be a ticker', async () => {
    const many = Array.from({ length: 101 }, (_, i) => `T${i}`).join(',');
    expect((await json(`/darkpool/weekly?tickers=${many}`)).body).toMatchObject({ status: 400, code: 'invalid_parameter' });
    expect((await json('/darkpool/weekly?tickers=AAPL,a$b')).status).toBe(400);
    expect((await json('/darkpool/weekly')).status).toBe(400);
  });
});

describe('CSV', () => {
  const cases = [
    ['/darkpool/history/AABB?weeks=2', 'data'],
    ['/darkpool/movers/top20', 'data'],
    ['/darkpool/sectors', 'data'],
    ['/darkpool/venues', 'data'],
  ] as const;

  for (const [url] of cases) {
    it(`${url} carries the same numbers in CSV as in JSON, by Accept and by ?format=csv`, async () => {
      const asJson = (await json(url)).body.data as Record<string, unknown>[];
      const byAccept = await app.inject({ url, headers: { accept: 'text/csv' } });
      const byParam = await app.inject({ url: `${url}${url.includes('?') ? '&' : '?'}format=csv` });
      expect(byAccept.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(byParam.body).toBe(byAccept.body);
      const records = parse(byAccept.body, { columns: true }) as Record<string, string>[];
      expect(Object.keys(records[0]!)).toEqual(Object.keys(asJson[0]!));
      expect(records).toHaveLength(asJson.length);
      records.forEach((r, i) => {
        for (const [k, v] of Object.entries(asJson[i]!)) expect(r[k], `${i}.${k}`).toBe(v === null ? '' : String(v));
      });
    });
  }

  it('quotes names with commas and answers 406 where CSV is not offered', async () => {
    const s = openStore(tempDbPath(), SectorTable.load());
    await importFiles(
      ingestContext(s),
      [
        writeJson(
          syntheticWeek('2026-01-05', 'T1', [{ symbol: 'CMMA', mpid: 'UBSA', shares: 1, trades: 1, name: 'Comma, Inc. "Class A"' }]),
        ),
      ],
      {},
    );
    const a = await buildApp(OPEN_APP_CONFIG, { store: s, logger: silentLogger });
    const csv = (await a.inject({ url: '/darkpool/movers/top20?format=csv' })).body;
    expect(csv).toContain('"Comma, Inc. ""Class A"""');
    expect((parse(csv, { columns: true }) as any[])[0].issue_name).toBe('Comma, Inc. "Class A"');
    expect((await a.inject({ url: '/darkpool/weekly/CMMA', headers: { accept: 'text/csv' } })).statusCode).toBe(406);
    expect((await a.inject({ url: '/darkpool/movers/top20', headers: { accept: 'application/xml' } })).statusCode).toBe(406);
    await a.close();
    s.close();
  });
});

describe('HTTP caching', () => {
  it('answers 304 exactly while the data is unchanged, and stops after an ingest publishes a new week', async () => {
    const s = await seededStore();
    const a = await buildApp(OPEN_APP_CONFIG, {
      store: s,
      logger: silentLogger,
      now: () => NOW,
      nextIngestAt: () => new Date('2026-01-07T04:15:00Z'),
    });
    const first = await a.inject({ url: '/darkpool/movers/top20' });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w.]+-r3-json"$/);
    expect(first.headers['cache-control']).toBe('public, max-age=58500'); // until 04:15 UTC tomorrow
    expect(first.headers['last-modified']).toBeDefined();

    const again = await a.inject({ url: '/darkpool/movers/top20', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect((await a.inject({ url: '/darkpool/movers/top20', headers: { 'if-none-match': `W/${etag}` } })).statusCode).toBe(304);
    expect(
      (await a.inject({ url: '/darkpool/movers/top20', headers: { 'if-modified-since': first.headers['last-modified'] as string } }))
        .statusCode,
    ).toBe(304);
    // The CSV of the same resource is another representation, with its own tag.
    const csv = await a.inject({ url: '/darkpool/movers/top20?format=csv', headers: { 'if-none-match': etag } });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers.etag).not.toBe(etag);

    // An ingest publishes a new week: the old tag no longer matches.
    await importFiles(
      ingestContext(s, () => new Date('2026-01-06T13:00:00Z')),
      [writeJson(syntheticWeek('2025-11-24', 'OTCE', [{ symbol: 'AABB', mpid: 'OTCN', shares: 5, trades: 1 }]))],
      {},
    );
    const after = await a.inject({ url: '/darkpool/movers/top20', headers: { 'if-none-match': etag } });
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(etag);
    expect(after.json().week_ending).toBe('2025-11-30');
    // A re-pull that changes nothing does not move the tag.
    await importFiles(
      ingestContext(s, () => new Date('2026-01-06T14:00:00Z')),
      [writeJson(syntheticWeek('2025-11-24', 'OTCE', [{ symbol: 'AABB', mpid: 'OTCN', shares: 5, trades: 1 }]))],
      {},
    );
    expect((await a.inject({ url: '/darkpool/movers/top20', headers: { 'if-none-match': after.headers.etag as string } })).statusCode).toBe(
      304,
    );
    await a.close();
    s.close();
  });

  it('never caches errors', async () => {
    const res = await app.inject({ url: '/darkpool/weekly/NOPEZ' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.etag).toBeUndefined();
  });
});

describe('answers kept in memory per dataset revision', () => {
  it('computes an answer once per revision and serves the same bytes again', async () => {
    const { Reports } = await import('../../src/read/weekly.js');
    const spy = vi.spyOn(Reports.prototype, 'sectors');
    const s = await seededStore();
    const a = await buildApp(OPEN_APP_CONFIG, { store: s, logger: silentLogger });
    const first = await a.inject({ url: '/darkpool/sectors' });
    const second = await a.inject({ url: '/darkpool/sectors' });
    expect(spy).toHaveBeenCalledTimes(1);
    expect(second.body).toBe(first.body);
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    const csv = await a.inject({ url: '/darkpool/sectors?format=csv' });
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect((await a.inject({ url: '/darkpool/sectors?format=csv' })).headers['content-disposition']).toBe(
      csv.headers['content-disposition'],
    );
    await importFiles(
      ingestContext(s, () => new Date('2026-01-06T13:00:00Z')),
      [writeJson(syntheticWeek('2025-11-24', 'OTCE', [{ symbol: 'AABB', mpid: 'OTCN', shares: 5, trades: 1 }]))],
      {},
    );
    const after = await a.inject({ url: '/darkpool/sectors' });
    expect(after.json().week_ending).toBe('2025-11-30');
    expect(spy).toHaveBeenCalledTimes(3); // json, csv, then json again after the publish
    spy.mockRestore();
    await a.close();
    s.close();
  });

  it('evicts beyond its byte budget, oldest first, but an answer asked for since the last sweep gets a second chance', () => {
    const cache = new AnswerCache(4_000);
    const answer = (n: number) => ({ body: Buffer.from('x'.repeat(n)), type: 'application/json', disposition: undefined });
    cache.set('r1', 'a', answer(900));
    cache.set('r1', 'b', answer(900));
    cache.set('r1', 'c', answer(900));
    cache.get('r1', 'a'); // a is now the most recently used
    cache.set('r1', 'd', answer(900));
    cache.set('r1', 'e', answer(900)); // over budget: b goes first
    expect(cache.get('r1', 'b')).toBeUndefined();
    expect(cache.get('r1', 'a')).toBeDefined();
    expect(cache.get('r2', 'a')).toBeUndefined(); // a new revision starts empty
    expect(cache.size).toBe(0);

    // A hot answer, asked for over and over, outlives the answers stored after it but never asked for.
    const hot = new AnswerCache(4_000);
    hot.set('r1', 'm', answer(899));
    for (let i = 0; i < 10_000; i++) hot.get('r1', 'm');
    for (const key of ['a', 'b', 'c', 'd', 'e']) hot.set('r1', key, answer(899));
    expect(hot.get('r1', 'm')).toBeDefined();
    expect([hot.get('r1', 'a'), hot.get('r1', 'b')]).toEqual([undefined, undefined]);
    expect(hot.size).toBe(4);

    // Cheap answers (histories kept in memory) are kept once their key comes again within a window,
    // even with room to spare.
    const cheap = new AnswerCache(4_000, 2);
    for (const key of ['h', 'i', 'j', 'h']) cheap.set('r1', key, answer(100));
    expect(['h', 'i', 'j'].map((key) => Boolean(cheap.get('r1', key)))).toEqual([false, false, false]);
    cheap.set('r1', 'j', answer(100));
    expect(['h', 'i', 'j'].map((key) => Boolean(cheap.get('r1', key)))).toEqual([false, false, true]);
    const recent = new RepeatedKeys(3);
    expect(['a', 'b', 'a'].map((key) => recent.repeated(key))).toEqual([false, false, true]);
    // The window holds the last three: a comes again after one other key, not after three.
    expect(['c', 'a', 'd', 'e', 'f', 'a', 'e'].map((key) => recent.repeated(key))).toEqual([false, true, false, false, false, false, true]);
    // A key asked over and over stays in the window, however often it rolls over.
    const busy = new RepeatedKeys(2);
    expect(Array.from({ length: 7 }, () => busy.repeated('m'))).toEqual([false, true, true, true, true, true, true]);

    // Two requests that both missed store the same answer: its bytes count once.
    const twice = new AnswerCache(4_000);
    for (const key of ['a', 'a', 'b', 'c', 'd']) twice.set('r1', key, answer(989));
    expect(['a', 'b', 'c', 'd'].map((key) => twice.get('r1', key)).every(Boolean)).toBe(true);

    // An answer's encodings count in its bytes, a few per answer, and go with it.
    const encoded = new AnswerCache(4_000);
    const encoding = (name: string, n: number) => ({ encoding: name, vary: 'Accept, accept-encoding', body: Buffer.alloc(n) });
    for (const key of ['a', 'b']) encoded.set('r1', key, answer(900));
    const headers = Array.from({ length: MAX_ENCODED + 1 }, (_, i) => `e${i}`);
    for (const header of headers) encoded.setEncoded('r1', 'a', header, encoding(header, 50));
    expect([...encoded.get('r1', 'a')!.encoded!.keys()]).toEqual(headers.slice(0, MAX_ENCODED));
    encoded.setEncoded('r1', 'c', 'gzip', encoding('gzip', 100)); // no answer kept under c: nothing to encode
    encoded.setEncoded('r0', 'b', 'gzip', encoding('gzip', 100)); // an older revision's encoding comes too late
    expect([encoded.get('r1', 'c'), encoded.get('r1', 'b')!.encoded]).toEqual([undefined, undefined]);
    // a (901 bytes and 8 x 52 encoded) and b (901), both asked for since; c and d would fit without a's encodings.
    encoded.set('r1', 'c', answer(900));
    encoded.set('r1', 'd', answer(900));
    expect(encoded.size).toBe(3);
    expect([encoded.get('r1', 'c'), encoded.get('r1', 'a')?.encoded?.size]).toEqual([undefined, MAX_ENCODED]);

    // Headers that got the same encoding share one copy, counted once: b (901, and 17 + 700 encoded)
    // and c fit with d; counted twice, c would go.
    const shared = new AnswerCache(4_000);
    shared.set('r1', 'b', answer(900));
    shared.setEncoded('r1', 'b', 'gzip', encoding('gzip', 700));
    shared.setEncoded('r1', 'b', 'gzip, deflate', encoding('gzip', 700));
    const forms = shared.get('r1', 'b')!.encoded!;
    expect(forms.get('gzip')).toBe(forms.get('gzip, deflate'));
    shared.set('r1', 'c', answer(900));
    shared.set('r1', 'd', answer(900));
    expect(shared.size).toBe(3);
  });
});
