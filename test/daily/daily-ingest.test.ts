// The real December 2021 daily files, through a double of FINRA's CDN, into the store and out of the API.
import type { FastifyInstance } from 'fastify';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDailyFiles, ingestDaily } from '../../src/ingest/daily.js';
import { SectorTable } from '../../src/sectors/table.js';
import { Store } from '../../src/store/store.js';
import { appOn, cdnClient, dailyContext } from '../support/app.js';
import { CdnDouble } from '../support/cdn-double.js';
import { regshoFiles, regshoRows } from '../support/fixtures.js';
import { cli, removeTempDirs, tempDbPath, tempDir } from '../support/harness.js';
import { openStore } from '../../src/compose.js';

// Monday 3 January 2022, noon UTC: the 31 December file is out, the day's own is not yet.
const NOW = new Date('2022-01-03T12:00:00Z');
const DECEMBER = [...regshoFiles().keys()].sort();
const dateOf = (file: string) => `${file.slice(9, 13)}-${file.slice(13, 15)}-${file.slice(15, 17)}`;

let cdn: CdnDouble;
const stores: Store[] = [];

function newStore(): Store {
  const store = openStore(tempDbPath(), SectorTable.load());
  stores.push(store);
  return store;
}

// 33 days back from 3 January 2022 is 1 December 2021, the first day the double has a file for.
function run(store: Store, windowDays = 33, now = NOW) {
  return ingestDaily(
    dailyContext(store, () => now),
    cdnClient(cdn.url),
    { trigger: 'test', windowDays },
  );
}

beforeAll(async () => {
  cdn = await new CdnDouble(regshoFiles()).start();
});
afterAll(async () => {
  await cdn.close();
  for (const s of stores) s.close();
  removeTempDirs();
});

describe("the daily ingest from FINRA's CDN", () => {
  let store: Store;
  let app: FastifyInstance;

  beforeAll(async () => {
    store = newStore();
    cdn.requests.length = 0;
    const summary = await run(store);
    expect(summary.status).toBe('ok');
    app = await appOn(store);
  });
  afterAll(() => app.close());

  it('loads every trading day of December 2021 whole, never asks for the Christmas holiday, and waits for days not out yet', () => {
    const days = store.daily.days();
    expect(days.map((d) => d.trade_date).sort()).toEqual(DECEMBER.map(dateOf));
    for (const d of days) expect(d.rows).toBe(regshoRows(d.file).size);
    const asked = cdn.asked();
    // 24 Dec 2021 (Christmas observed), Thanksgiving and weekends are not trading days: never asked.
    expect(asked).not.toContain('CNMSshvol20211224.txt');
    expect(asked).not.toContain('CNMSshvol20211125.txt');
    expect(asked).not.toContain('CNMSshvol20211225.txt');
    const run = store.runs.last('daily')!;
    const outcomes = (JSON.parse(run.summary!) as { days: { tradeDate: string; outcome: string }[] }).days;
    // Today's file is not out yet (FINRA's CDN answers 403 with S3's XML).
    expect(outcomes.filter((d) => d.outcome === 'not_published').map((d) => d.tradeDate)).toEqual(['2022-01-03']);
    expect(outcomes.filter((d) => d.outcome === 'published')).toHaveLength(22);
  });

  it("serves each day's volumes exactly as the file rows give them, zeros on days a file lacks the symbol", async () => {
    const dec15 = [...regshoRows('CNMSshvol20211215.txt').keys()];
    // AAPL, a class share, TQQQ, and every 250th symbol of one day's file.
    const symbols = ['AAPL', 'BRK/B', 'TQQQ', ...dec15.filter((_s, i) => i % 250 === 0)];
    for (const symbol of symbols) {
      const res = await app.inject({ url: `/darkpool/daily/${encodeURIComponent(symbol)}?days=22` });
      expect(res.statusCode, symbol).toBe(200);
      const body = res.json() as {
        data: {
          trade_date: string;
          off_exchange_shares: number;
          short_volume: number;
          short_exempt_volume: number;
          markets: string;
          file_symbol: string | null;
          source_file: string;
        }[];
      };
      expect(body.data.map((d) => d.trade_date)).toEqual(DECEMBER.map(dateOf).reverse());
      for (const d of body.data) {
        const row = regshoRows(d.source_file).get(symbol);
        expect(d, `${symbol} ${d.trade_date}`).toMatchObject(
          row
            ? {
                off_exchange_shares: row.total,
                short_volume: row.short,
                short_exempt_volume: row.exempt,
                markets: row.market,
                file_symbol: symbol,
              }
            : { off_exchange_shares: 0, short_volume: 0, short_exempt_volume: 0, markets: '', file_symbol: null },
        );
      }
    }
  });

  it('stores every row of every day: the sums per day equal the files', () => {
    const sums = store.db
      .prepare<[], { trade_date: string; n: number; total: number; short: number }>(
        'SELECT trade_date, count(*) AS n, sum(total_volume) AS total, sum(short_volume) AS short FROM daily_volumes GROUP BY trade_date',
      )
      .all();
    for (const s of sums) {
      const rows = [...regshoRows(`CNMSshvol${s.trade_date.replaceAll('-', '')}.txt`).values()];
      expect(s).toEqual({
        trade_date: s.trade_date,
        n: rows.length,
        total: rows.reduce((a, r) => a + r.total, 0),
        short: rows.reduce((a, r) => a + r.short, 0),
      });
    }
  });

  it('finds a class share by any spelling and answers in the weekly spelling, with the file and credit', async () => {
    for (const spelling of ['BRK.B', 'brk-b', 'BRK/B', 'BRK%2FB', 'brkb']) {
      const body = (await app.inject({ url: `/darkpool/daily/${spelling}?days=1` })).json() as Record<string, any>;
      expect(body.ticker, spelling).toBe('BRK.B');
      expect(body.data[0]).toMatchObject({ trade_date: '2021-12-31', file_symbol: 'BRK/B', source_file: 'CNMSshvol20211231.txt' });
      expect(body.source).toMatchObject({
        provider: 'FINRA',
        newest_trade_date: '2021-12-31',
        files: [{ trade_date: '2021-12-31', file: 'CNMSshvol20211231.txt' }],
      });
      expect(body.source.terms).toMatch(/FINRA is the owner and the source/);
    }
  });

  it('gives the short volume ratio of each day and its mean over the 20 stored trading days, with what it is not', async () => {
    const files = [...DECEMBER].reverse(); // newest first
    const ratio = (file: string, symbol: string) => {
      const row = regshoRows(file).get(symbol);
      return row && row.total > 0 ? row.short / row.total : null;
    };
    for (const symbol of ['AAPL', 'BRK/B', 'TQQQ']) {
      const body = (await app.inject({ url: `/darkpool/daily/${encodeURIComponent(symbol)}?days=22` })).json() as Record<string, any>;
      expect(body.definition).toMatch(/not short interest/);
      for (const [i, d] of (body.data as Record<string, any>[]).entries()) {
        const own = ratio(files[i]!, symbol);
        expect(d.short_volume_ratio, `${symbol} ${d.trade_date}`).toBeCloseTo(own!, 6);
        // 22 stored days: the three newest have 20 days behind them (themselves included), the rest do not.
        if (i + 20 > files.length) {
          expect(d).toMatchObject({ short_volume_ratio_20d: null, short_volume_ratio_20d_days: 0 });
          continue;
        }
        const window = files
          .slice(i, i + 20)
          .map((f) => ratio(f, symbol))
          .filter((v): v is number => v !== null);
        let sum = 0;
        for (const v of window) sum += v;
        expect(d.short_volume_ratio_20d, `${symbol} ${d.trade_date}`).toBeCloseTo(sum / window.length, 6);
        expect(d.short_volume_ratio_20d_days).toBe(window.length);
      }
    }
  });

  it('answers CSV with the same numbers', async () => {
    const res = await app.inject({ url: '/darkpool/daily/AAPL?days=2&format=csv' });
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.body.split('\r\n').slice(0, 3)).toEqual([
      'ticker,trade_date,off_exchange_shares,short_volume,short_exempt_volume,markets,file_symbol,source_file,short_volume_ratio,short_volume_ratio_20d,short_volume_ratio_20d_days',
      expect.stringMatching(
        new RegExp(
          `^AAPL,2021-12-31,${regshoRows('CNMSshvol20211231.txt').get('AAPL')!.total},${regshoRows('CNMSshvol20211231.txt').get('AAPL')!.short},${regshoRows('CNMSshvol20211231.txt').get('AAPL')!.exempt},"B,Q,N",AAPL,CNMSshvol20211231\\.txt,0\\.\\d+,0\\.\\d+,20$`,
        ),
      ),
      expect.stringMatching(/^AAPL,2021-12-30,/),
    ]);
  });

  it('asks again only for the day not out yet, and for the newest five days with their validators (304: no body)', async () => {
    cdn.requests.length = 0;
    const again = await run(store);
    expect(again.days.map((d) => [d.tradeDate, d.outcome])).toEqual([
      ['2021-12-27', 'unchanged'],
      ['2021-12-28', 'unchanged'],
      ['2021-12-29', 'unchanged'],
      ['2021-12-30', 'unchanged'],
      ['2021-12-31', 'unchanged'],
      ['2022-01-03', 'not_published'],
    ]);
    expect(cdn.asked()).toHaveLength(6);
    const rechecks = cdn.requests.filter((r) => r.path !== '/CNMSshvol20220103.txt');
    for (const r of rechecks) expect(r.headers['if-none-match'], r.path).toMatch(/^"[0-9a-f]{32}"$/);
    expect(again.days.slice(0, 5).every((d) => d.detail?.includes('304'))).toBe(true);
  });

  it('answers problems for a symbol the files do not list and for a bad days value', async () => {
    const unknown = await app.inject({ url: '/darkpool/daily/NOPEZ' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'ticker_not_found' });
    const bad = await app.inject({ url: '/darkpool/daily/AAPL?days=0' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'invalid_parameter' });
  });
});

describe('a daily file that cannot be trusted', () => {
  it('is refused when cut short or miscounted; the store keeps what it had, and the next run loads it', async () => {
    const store = newStore();
    const text = (f: string) => gunzipSync(regshoFiles().get(f)!).toString('latin1');
    cdn.fault('CNMSshvol20211215.txt', { kind: 'truncate', lines: 5_000 });
    const miscounted = text('CNMSshvol20211216.txt').replace(/\r\n(\d+)\r\n$/, (_m, n: string) => `\r\n${Number(n) + 1}\r\n`);
    cdn.fault('CNMSshvol20211216.txt', { kind: 'replace', text: miscounted });
    const first = await run(store);
    expect(first.status).toBe('partial');
    const refused = first.days.filter((d) => d.outcome === 'refused');
    expect(refused.map((d) => [d.tradeDate, d.detail?.split(':')[0]])).toEqual([
      ['2021-12-15', 'no_trailer'],
      ['2021-12-16', 'trailer_count'],
    ]);
    expect(store.daily.storedBetween('2021-12-15', '2021-12-16').size).toBe(0);
    expect(store.db.prepare('SELECT count(*) AS n FROM daily_volumes WHERE trade_date IN (?, ?)').get('2021-12-15', '2021-12-16')).toEqual({
      n: 0,
    });
    expect(store.daily.days()).toHaveLength(20);

    const second = await run(store);
    expect(second.days.filter((d) => d.outcome === 'published').map((d) => d.tradeDate)).toEqual(['2021-12-15', '2021-12-16']);
    expect(store.daily.days()).toHaveLength(22);
  });

  it('is fetched again after a CDN error or a dropped connection', async () => {
    const store = newStore();
    cdn.fault('CNMSshvol20211201.txt', { kind: 'status', status: 503 });
    cdn.fault('CNMSshvol20211201.txt', { kind: 'reset' });
    cdn.requests.length = 0;
    const summary = await run(store);
    expect(summary.status).toBe('ok');
    expect(cdn.asked().filter((f) => f === 'CNMSshvol20211201.txt')).toHaveLength(3);
    expect(store.daily.days()).toHaveLength(22);
  });

  it('replaces a stored day when FINRA changes it (a revision), and leaves an identical one alone', async () => {
    const store = newStore();
    const ctx = dailyContext(store, () => NOW);
    const dir = tempDir();
    const original = join(dir, 'CNMSshvol20211201.txt');
    writeFileSync(original, gunzipSync(regshoFiles().get('CNMSshvol20211201.txt')!));
    expect((await importDailyFiles(ctx, [original])).days[0]!.outcome).toBe('published');
    expect((await importDailyFiles(ctx, [original])).days[0]!.outcome).toBe('unchanged');
    const revisedDir = tempDir();
    const revised = join(revisedDir, 'CNMSshvol20211201.txt');
    writeFileSync(
      revised,
      gunzipSync(regshoFiles().get('CNMSshvol20211201.txt')!).toString('latin1').replace('|AAPL|38173560|', '|AAPL|38173561|'),
    );
    expect((await importDailyFiles(ctx, [revised])).days[0]!.outcome).toBe('revised');
    expect(store.daily.days()[0]).toMatchObject({ trade_date: '2021-12-01', revisions: 1, source: 'file:CNMSshvol20211201.txt' });
    expect(store.db.prepare("SELECT short_volume FROM daily_volumes WHERE symbol = 'AAPL'").get()).toEqual({ short_volume: 38173561 });
  });
});

describe('before any daily file is loaded', () => {
  it('answers 503 no_daily_data', async () => {
    const app = await appOn(newStore());
    const res = await app.inject({ url: '/darkpool/daily/AAPL' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'no_daily_data' });
    await app.close();
  });
});

describe('daily files saved gzipped', () => {
  it('import as FINRA named them (CNMSshvol{YYYYMMDD}.txt.gz), as daily files, never as a weekly run', async () => {
    const dbPath = tempDbPath();
    const file = join(tempDir(), 'CNMSshvol20211231.txt.gz');
    writeFileSync(file, regshoFiles().get('CNMSshvol20211231.txt')!);
    const run = await cli(['import', file], { DB_PATH: dbPath });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^daily run \d+: ok; 1 days: 1 published/);
    const s = openStore(dbPath, SectorTable.load());
    try {
      expect(s.daily.days()).toMatchObject([
        { trade_date: '2021-12-31', file: 'CNMSshvol20211231.txt', rows: regshoRows('CNMSshvol20211231.txt').size },
      ]);
      expect(s.runs.last('weekly')).toBeUndefined();
    } finally {
      s.close();
    }
  });
});
