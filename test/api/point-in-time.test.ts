// Point in time: `as_of` answers with the figures as FINRA had published them on a date, and
// /darkpool/revisions lists what a revision changed. The weeks are FINRA's real OTCE exports (published
// 2025-12-15 and 2025-12-22); the revision is made here: one real row changed and one symbol's rows
// taken out, republished on 2026-01-12 as FINRA does (lastUpdateDate moves on the revised rows).
// Expected figures are summed from those rows with plain loops, never by the service's code.
import { readFileSync, writeFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../../src/ingest/run.js';
import type { Store } from '../../src/store/store.js';
import { appOn, ingestContext, seededStore } from '../support/app.js';
import { AAPL_BRKB_WEEKS, OTCE_FILES, otceFirmRows } from '../support/fixtures.js';
import { removeTempDirs, tempDbPath, tempDir } from '../support/harness.js';
import { openStore } from '../../src/compose.js';
import { SectorTable } from '../../src/sectors/table.js';

type Row = Record<string, any>;
const REVISED_ON = '2026-01-12';
const CHANGED = { symbol: 'AABB', mpid: 'OTCN', addShares: 1_000_000, addTrades: 10 };

const original: Row[] = otceFirmRows('2025-11-10');
const following: Row[] = otceFirmRows('2025-11-17');
// A symbol with one ATS row: the revision takes it out of the week.
const counts = new Map<string, number>();
for (const r of original) counts.set(r.issueSymbolIdentifier, (counts.get(r.issueSymbolIdentifier) ?? 0) + 1);
const REMOVED = [...counts].find(([s, n]) => n === 1 && s && s !== CHANGED.symbol)![0];

const sumOf = (rows: Row[], symbol: string, field = 'totalWeeklyShareQuantity') =>
  rows.filter((r) => r.issueSymbolIdentifier === symbol).reduce((n, r) => n + r[field], 0);
const venueSum = (rows: Row[], mpid: string) => rows.filter((r) => r.MPID === mpid).reduce((n, r) => n + r.totalWeeklyShareQuantity, 0);
const symbolTotal = (rows: Row[]) => rows.filter((r) => r.issueSymbolIdentifier).reduce((n, r) => n + r.totalWeeklyShareQuantity, 0);
const pct = (cur: number, prev: number) => Math.round(((cur - prev) / prev) * 100 * 100) / 100;

/** The revised week, as a website export of it would read. */
function revisedExport(): { path: string; rows: Row[] } {
  const text = readFileSync(OTCE_FILES['2025-11-10'], 'utf8');
  const [header, ...lines] = text.trim().split('\n');
  const cols = header!.split('|');
  const at = (name: string) => cols.indexOf(name);
  const out = [header!];
  for (const line of lines) {
    const v = line.split('|');
    if (v[at('issueSymbolIdentifier')] === REMOVED) continue;
    if (v[at('issueSymbolIdentifier')] === CHANGED.symbol && v[at('MPID')] === CHANGED.mpid) {
      v[at('totalWeeklyShareQuantity')] = String(Number(v[at('totalWeeklyShareQuantity')]) + CHANGED.addShares);
      v[at('totalWeeklyTradeCount')] = String(Number(v[at('totalWeeklyTradeCount')]) + CHANGED.addTrades);
      v[at('lastUpdateDate')] = REVISED_ON;
    }
    out.push(v.join('|'));
  }
  const path = `${tempDir()}/ats_otce_revised.psv`;
  writeFileSync(path, out.join('\n') + '\n');
  const rows = original
    .filter((r) => r.issueSymbolIdentifier !== REMOVED)
    .map((r) =>
      r.issueSymbolIdentifier === CHANGED.symbol && r.MPID === CHANGED.mpid
        ? {
            ...r,
            totalWeeklyShareQuantity: r.totalWeeklyShareQuantity + CHANGED.addShares,
            totalWeeklyTradeCount: r.totalWeeklyTradeCount + CHANGED.addTrades,
          }
        : r,
    );
  return { path, rows };
}

let app: FastifyInstance;
let store: Store;
let revised: Row[];

beforeAll(async () => {
  store = await seededStore();
  const file = revisedExport();
  revised = file.rows;
  const run = await importFiles(
    ingestContext(store, () => new Date('2026-01-13T06:00:00Z')),
    [file.path],
    {
      week: '2025-11-10',
      tier: 'OTCE',
    },
  );
  expect(run.weeks.map((w) => w.outcome)).toEqual(['revised']);
  app = await appOn(store);
});
afterAll(async () => {
  await app.close();
  store.close();
  removeTempDirs();
});

const get = async (url: string) => {
  const res = await app.inject({ url });
  return { status: res.statusCode, body: res.json() as Row };
};

describe('as_of: the figures as FINRA had published them on a date', () => {
  it('before the revision: the week as first published, and no week FINRA had not published yet', async () => {
    const { status, body } = await get(`/darkpool/weekly/${CHANGED.symbol}?as_of=2025-12-16`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      week_start: '2025-11-10',
      dark_pool_shares: sumOf(original, CHANGED.symbol),
      dark_pool_trades: sumOf(original, CHANGED.symbol, 'totalWeeklyTradeCount'),
      trend: null,
      trend_basis: 'previous_week_not_loaded',
    });
    expect(body.source.as_of).toBe('2025-12-16');
    expect(body.source.weeks).toMatchObject([{ week_start: '2025-11-10', finra_last_update: '2025-12-15' }]);
    expect(body.source.freshness).toMatchObject([{ tier: 'OTCE', newest_week_start: '2025-11-10' }]);
  });

  it('between publication and revision: the next week compares with the week as it stood then', async () => {
    const cur = sumOf(following, CHANGED.symbol);
    const then = await get(`/darkpool/weekly/${CHANGED.symbol}?as_of=2026-01-05`);
    expect(then.body).toMatchObject({
      week_start: '2025-11-17',
      dark_pool_shares: cur,
      change_pct: pct(cur, sumOf(original, CHANGED.symbol)),
    });
    expect(then.body.previous_week.dark_pool_shares).toBe(sumOf(original, CHANGED.symbol));
    const latest = await get(`/darkpool/weekly/${CHANGED.symbol}`);
    expect(latest.body).toMatchObject({ week_start: '2025-11-17', change_pct: pct(cur, sumOf(revised, CHANGED.symbol)) });
    expect(latest.body.source.as_of).toBeUndefined();
  });

  it('from the revision on: the revised figures, the same as without as_of', async () => {
    for (const url of [
      `/darkpool/weekly/${CHANGED.symbol}?week=2025-11-10&as_of=${REVISED_ON}`,
      `/darkpool/weekly/${CHANGED.symbol}?week=2025-11-10`,
    ]) {
      const { body } = await get(url);
      expect(body.dark_pool_shares).toBe(sumOf(revised, CHANGED.symbol));
      expect(body.source.weeks[0].finra_last_update).toBe(REVISED_ON);
    }
    const before = await get(`/darkpool/weekly/${CHANGED.symbol}?week=2025-11-10&as_of=2026-01-11`);
    expect(before.body.dark_pool_shares).toBe(sumOf(original, CHANGED.symbol));
  });

  it('a symbol the revision took out: 0 in the whole week now, its first figures before', async () => {
    const now = await get(`/darkpool/weekly/${REMOVED}?week=2025-11-10`);
    expect(now.body).toMatchObject({ dark_pool_shares: 0, ats_venues: 0 });
    const then = await get(`/darkpool/weekly/${REMOVED}?week=2025-11-10&as_of=2025-12-31`);
    expect(then.body).toMatchObject({ dark_pool_shares: sumOf(original, REMOVED), ats_venues: 1 });
  });

  it('history, movers, sectors, venues and a venue page follow the date', async () => {
    const history = await get(`/darkpool/history/${CHANGED.symbol}?weeks=52&as_of=2025-12-20`);
    expect(history.body.data.map((d: Row) => [d.week_start, d.dark_pool_shares])).toEqual([
      ['2025-11-10', sumOf(original, CHANGED.symbol)],
    ]);

    const movers = await get('/darkpool/movers/top20?tier=OTCE&as_of=2025-12-20&limit=500');
    expect(movers.body.week_ending).toBe('2025-11-16');
    const moved = movers.body.data.find((d: Row) => d.ticker === CHANGED.symbol);
    expect(moved.dark_pool_shares).toBe(sumOf(original, CHANGED.symbol));

    const sectorsThen = await get('/darkpool/sectors?week=2025-11-10&as_of=2025-12-20');
    const sectorsNow = await get('/darkpool/sectors?week=2025-11-10');
    const total = (b: Row) => b.data.reduce((n: number, d: Row) => n + d.dark_pool_shares, 0);
    expect(total(sectorsThen.body)).toBe(symbolTotal(original));
    expect(total(sectorsNow.body)).toBe(symbolTotal(revised));

    const venuesThen = await get('/darkpool/venues?week=2025-11-10&as_of=2025-12-20');
    const venuesNow = await get('/darkpool/venues?week=2025-11-10');
    const otcn = (b: Row) => b.data.find((d: Row) => d.mpid === CHANGED.mpid).dark_pool_shares;
    expect(otcn(venuesThen.body)).toBe(venueSum(original, CHANGED.mpid));
    expect(otcn(venuesNow.body)).toBe(venueSum(revised, CHANGED.mpid));

    const series = await get(`/darkpool/venues/${CHANGED.mpid}?weeks=10&as_of=2025-12-20`);
    expect(series.body.data.map((d: Row) => [d.week_start, d.dark_pool_shares])).toEqual([
      ['2025-11-10', venueSum(original, CHANGED.mpid)],
    ]);

    const traded = await get(`/darkpool/venues/${CHANGED.mpid}/symbols?week=2025-11-10&as_of=2025-12-20`);
    const row = traded.body.data.find((d: Row) => d.ticker === CHANGED.symbol);
    expect(row.shares).toBe(
      sumOf(
        original.filter((r) => r.MPID === CHANGED.mpid),
        CHANGED.symbol,
      ),
    );
  });

  it('before FINRA published anything stored: a 404 that says so; a bad date: a 400', async () => {
    const early = await get(`/darkpool/weekly/${CHANGED.symbol}?as_of=2025-12-01`);
    expect(early.status).toBe(404);
    expect(early.body).toMatchObject({ code: 'week_not_found' });
    expect(early.body.detail).toContain('2025-12-01');
    const bad = await get(`/darkpool/movers/top20?as_of=2025-13-01`);
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('invalid_parameter');
  });
});

describe('GET /darkpool/revisions', () => {
  it('lists the revision with FINRA dates, when it was seen, and what it changed', async () => {
    const { status, body } = await get('/darkpool/revisions');
    expect(status).toBe(200);
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({
      week_start: '2025-11-10',
      tier: 'OTCE',
      version: 2,
      finra_last_update_before: '2025-12-15',
      finra_last_update: REVISED_ON,
      loaded_at: '2026-01-13T06:00:00.000Z',
      symbols_changed: 1,
      symbols_added: 0,
      symbols_removed: 1,
      dark_pool_shares_before: symbolTotal(original),
      dark_pool_shares: symbolTotal(revised),
      symbol: null,
    });
  });

  it('with ticker=, only revisions that changed the symbol, with its figures before and after', async () => {
    const { body } = await get(`/darkpool/revisions?ticker=${CHANGED.symbol.toLowerCase()}`);
    expect(body.ticker).toBe(CHANGED.symbol);
    expect(body.data[0].symbol).toEqual({
      ticker: CHANGED.symbol,
      before: {
        dark_pool_shares: sumOf(original, CHANGED.symbol),
        dark_pool_trades: sumOf(original, CHANGED.symbol, 'totalWeeklyTradeCount'),
        dark_pool_volume_usd: null,
      },
      after: {
        dark_pool_shares: sumOf(revised, CHANGED.symbol),
        dark_pool_trades: sumOf(revised, CHANGED.symbol, 'totalWeeklyTradeCount'),
        dark_pool_volume_usd: null,
      },
    });
    const removed = await get(`/darkpool/revisions?ticker=${REMOVED}&week=2025-11-16`);
    expect(removed.body.data[0].symbol.after).toEqual({ dark_pool_shares: 0, dark_pool_trades: 0, dark_pool_volume_usd: 0 });
    const untouched = following.find((r) => r.issueSymbolIdentifier && r.issueSymbolIdentifier !== CHANGED.symbol)!.issueSymbolIdentifier;
    expect((await get(`/darkpool/revisions?ticker=${untouched}`)).body.data).toEqual([]);
    expect((await get('/darkpool/revisions?week=2025-11-17')).body.data).toEqual([]);
  });
});

describe('as_of on real FINRA totals: the same as a store loaded with what FINRA had published then', () => {
  it('AAPL and BRK.B on 2023-06-30 (weeks published later and weeks revised later both absent)', async () => {
    const asOf = '2023-06-30';
    const then = openStore(tempDbPath(), SectorTable.load());
    const all = openStore(tempDbPath(), SectorTable.load());
    const today = () => new Date('2026-12-01T12:00:00Z'); // after the file's newest week
    await importFiles(ingestContext(then, today), [AAPL_BRKB_WEEKS], { publishedThrough: asOf });
    await importFiles(ingestContext(all, today), [AAPL_BRKB_WEEKS], {});
    const [appThen, appAll] = [await appOn(then), await appOn(all)];
    try {
      for (const ticker of ['AAPL', 'BRK.B']) {
        const a = (await appThen.inject({ url: `/darkpool/history/${ticker}?weeks=5000` })).json() as Row;
        const b = (await appAll.inject({ url: `/darkpool/history/${ticker}?weeks=5000&as_of=${asOf}` })).json() as Row;
        const latest = (await appAll.inject({ url: `/darkpool/history/${ticker}?weeks=5000` })).json() as Row;
        expect(a.data.length).toBeGreaterThan(50);
        expect(b.data).toEqual(a.data);
        expect(latest.data.length).toBeGreaterThan(a.data.length);
      }
    } finally {
      await appThen.close();
      await appAll.close();
      then.close();
      all.close();
    }
  });
});
