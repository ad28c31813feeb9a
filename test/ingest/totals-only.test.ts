// Weeks that hold FINRA's per-symbol totals only (ATS_W_SMBL files, no per-ATS rows): loaded for their
// symbols and labelled so wherever they appear, never passed off as whole weeks with venues.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../../src/ingest/run.js';
import { SectorTable } from '../../src/sectors/table.js';
import { Store } from '../../src/store/store.js';
import { appOn, ingestContext } from '../support/app.js';
import { aaplBrkbTotals, AAPL_BRKB_WEEKS, TQQQ_JSON, tqqqRows } from '../support/fixtures.js';
import { removeTempDirs, tempDbPath } from '../support/harness.js';
import { writeJson } from '../support/synthetic.js';
import { openStore } from '../../src/compose.js';

type Row = Record<string, any>;
const totals = aaplBrkbTotals() as Row[];
const totalOf = (symbol: string, week: string): Row => totals.find((r) => r.issueSymbolIdentifier === symbol && r.weekStartDate === week)!;
const open = () => openStore(tempDbPath(), SectorTable.load());

afterAll(removeTempDirs);

describe("FINRA's per-symbol totals, as published by a date", () => {
  let store: Store;
  let app: FastifyInstance;
  let notes: string[];

  beforeAll(async () => {
    store = open();
    // FINRA first published week 2022-06-27 on 2022-07-18 and revised AAPL's figure on 2022-07-29.
    const run = await importFiles(ingestContext(store), [AAPL_BRKB_WEEKS], { publishedThrough: '2022-07-26' });
    notes = run.notes;
    app = await appOn(store);
  });
  afterAll(async () => {
    await app.close();
    store.close();
  });

  const get = async (url: string) => {
    const res = await app.inject({ url });
    return { status: res.statusCode, body: res.json() as Row };
  };

  it('loads the weeks FINRA had published by then, and leaves out a week it revised later, saying so', () => {
    const expected = [...new Set(totals.filter((r) => r.initialPublishedDate <= '2022-07-26').map((r) => r.weekStartDate as string))]
      .filter((w) => w !== '2022-06-27')
      .sort();
    const loaded = store.weeks.loadedWeeks().map((w) => [w.week_start, w.coverage]);
    expect(loaded.map(([w]) => w).sort()).toEqual(expected);
    expect(new Set(loaded.map(([, c]) => c))).toEqual(new Set(['symbol_totals']));
    expect(notes.join('\n')).toMatch(/week 2022-06-27 T1 left out: FINRA revised it on 2022-07-29, after 2022-07-26/);
    expect(notes.join('\n')).toMatch(
      new RegExp(
        `${new Set(totals.filter((r) => r.initialPublishedDate > '2022-07-26').map((r) => r.weekStartDate)).size} weeks FINRA published after 2022-07-26 left out`,
      ),
    );
  });

  it("serves each symbol-week with FINRA's figures, labelled totals-only, with no venue count", async () => {
    const { status, body } = await get('/darkpool/history/BRK-B?weeks=3');
    expect(status).toBe(200);
    const [newest, before] = body.data as [Row, Row];
    expect(newest.week_start).toBe('2022-07-04'); // 2022-06-27 is left out: the week before is unknown
    expect(newest).toMatchObject({
      ticker: 'BRK.B',
      coverage: 'symbol_totals',
      ats_venues: null,
      dark_pool_shares: totalOf('BRK.B', '2022-07-04').totalWeeklyShareQuantity,
      dark_pool_trades: totalOf('BRK.B', '2022-07-04').totalWeeklyTradeCount,
      trend: null, // no comparable week: 2022-06-27 is not loaded
      change_pct: null,
      trend_basis: 'previous_week_not_loaded',
    });
    expect(before.week_start).toBe('2022-06-20');
    const weekly = await get('/darkpool/weekly/AAPL');
    expect(weekly.body).toMatchObject({
      week_start: '2022-07-04',
      coverage: 'symbol_totals',
      ats_venues: null,
      venues: [],
      previous_week: null,
    });
    expect(weekly.body.source.weeks).toEqual([expect.objectContaining({ week_start: '2022-07-04', coverage: 'symbol_totals' })]);
  });

  it('computes the trend between totals-only weeks from their own figures', async () => {
    const { body } = await get('/darkpool/history/AAPL?weeks=2');
    const cur = totalOf('AAPL', '2022-06-20').totalWeeklyShareQuantity;
    const prev = totalOf('AAPL', '2022-06-13').totalWeeklyShareQuantity;
    const record = (body.data as Row[]).find((r) => r.week_start === '2022-06-20')!;
    expect(record.change_pct).toBe(Math.round(((cur - prev) / prev) * 10_000) / 100);
  });

  it('keeps totals-only weeks out of movers, sectors and venues, and out of the ingest plan', async () => {
    for (const url of [
      '/darkpool/movers/top20',
      '/darkpool/sectors',
      '/darkpool/venues?tier=T1',
      '/darkpool/movers/top20?week=2022-07-04',
    ]) {
      const { status, body } = await get(url);
      expect(status, url).toBe(404);
      expect(body.code).toBe('week_not_found');
    }
    expect((await get('/darkpool/movers/top20?week=2022-07-04')).body.detail).toMatch(/per-symbol totals of some symbols only/);
    expect(store.weeks.newestWeek('T1')).toBeUndefined(); // the nightly ingest still pulls these weeks whole
  });
});

describe('totals-only and whole weeks of the same week', () => {
  const tqqqTotalsOnly = () =>
    writeJson(
      tqqqRows().filter((r) => r.summaryTypeCode === 'ATS_W_SMBL'),
      'tqqq_totals.json',
    );

  it('are replaced by the whole week, and never replace it', async () => {
    const store = open();
    const ctx = ingestContext(store);
    await importFiles(ctx, [tqqqTotalsOnly()], {});
    expect(store.weeks.loadedWeeks().map((w) => w.coverage)).toEqual(['symbol_totals']);
    await importFiles(ctx, [TQQQ_JSON], {});
    const whole = store.weeks.loadedWeeks();
    expect(whole.map((w) => [w.coverage, w.firm_rows])).toEqual([['full', 26]]);
    const again = await importFiles(ctx, [tqqqTotalsOnly()], {});
    expect(again.weeks[0]).toMatchObject({ outcome: 'unchanged', detail: expect.stringMatching(/already loaded whole/) });
    expect(store.weeks.loadedWeeks()).toEqual(whole);
    store.close();
  });

  it('add up when they hold different symbols of one week', async () => {
    const store = open();
    const ctx = ingestContext(store);
    const week = totals.filter((r) => r.weekStartDate === '2021-12-13');
    await importFiles(
      ctx,
      [
        writeJson(
          week.filter((r) => r.issueSymbolIdentifier === 'AAPL'),
          'aapl.json',
        ),
      ],
      {},
    );
    await importFiles(
      ctx,
      [
        writeJson(
          week.filter((r) => r.issueSymbolIdentifier === 'BRK.B'),
          'brkb.json',
        ),
      ],
      {},
    );
    const app = await appOn(store);
    for (const symbol of ['AAPL', 'BRK.B']) {
      const body = (await app.inject({ url: `/darkpool/weekly/${symbol}` })).json() as Row;
      expect(body.dark_pool_shares).toBe(totalOf(symbol, '2021-12-13').totalWeeklyShareQuantity);
    }
    expect(store.weeks.loadedWeeks()[0]!.symbols).toBe(2);
    await app.close();
    store.close();
  });
});
