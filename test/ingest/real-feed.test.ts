// The ingest against FINRA as it really behaves (../shared/finra/README.md, "How the real service
// behaves"), each quirk served by the double and driven through the CLI into a real store.
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SectorTable } from '../../src/sectors/table.js';
import { appOn } from '../support/app.js';
import { FinraDouble, HISTORIC_PATH, type Row } from '../support/finra-double.js';
import { defaultFinraRows, derivedSymbolTotals, mondaysBack, otceFirmRows, relabelWeek, tqqqRows } from '../support/fixtures.js';
import { cli, removeTempDirs, tempDbPath } from '../support/harness.js';
import { openStore } from '../../src/compose.js';

let double: FinraDouble;
afterEach(() => double?.close());
afterAll(removeTempDirs);

async function serve(options: ConstructorParameters<typeof FinraDouble>[0]) {
  double = await new FinraDouble(options).start();
  const dbPath = tempDbPath();
  return { dbPath, env: { FINRA_API_URL: double.url, DB_PATH: dbPath, DAILY_WINDOW_DAYS: '0' } };
}

function query<T>(dbPath: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

const dataBodies = () => double.dataRequests().map((r) => r.body ?? {});
const weeksAsked = () =>
  [
    ...new Set(
      dataBodies().flatMap((b) => {
        const week = (b.compareFilters as { fieldName: string; fieldValue: string }[] | undefined)?.find(
          (f) => f.fieldName === 'weekStartDate',
        );
        return week ? [week.fieldValue] : [];
      }),
    ),
  ].sort();

describe('protocol noise is tolerated', () => {
  it('loads every week when Total-Records-On-Page comes empty on every page, as FINRA was recorded sending it', async () => {
    const { env, dbPath } = await serve({ rows: defaultFinraRows(), advisoryHeaders: 'recorded-2024' });
    const run = await cli(['ingest'], env);
    expect(run.stdout).toMatch(/: ok; 3 weeks: 3 published/);
    expect(query<{ n: number }>(dbPath, 'SELECT sum(firm_rows) AS n FROM weeks')[0]!.n).toBe(
      otceFirmRows('2025-11-10').length +
        otceFirmRows('2025-11-17').length +
        tqqqRows().filter((r) => r.summaryTypeCode === 'ATS_W_SMBL_FIRM').length,
    );
  });

  it('ignores fields FINRA adds to its rows', async () => {
    const { env } = await serve({ rows: defaultFinraRows(), extraFields: { issueCUSIP: '000000000', reportingFacility: 'ADF' } });
    expect((await cli(['ingest'], env)).stdout).toMatch(/: ok; 3 weeks: 3 published/);
  });

  it('logs partitions under tiers it does not load, with their week counts, in the run notes', async () => {
    const { env } = await serve({
      rows: defaultFinraRows(),
      strayPartitions: [
        ['2023-11-06', 'NMS'],
        ['2023-11-13', 'NMS'],
        ['2023-11-06', 'NA'],
        ['2025-11-10', 'OTC'],
      ],
    });
    const run = await cli(['ingest'], env);
    expect(run.stderr).toMatch(/note: FINRA partitions under tiers not loaded, skipped: NA \(1 week\), NMS \(2 weeks\), OTC \(1 week\)/);
  });
});

describe('a User-Agent on every request', () => {
  it("is sent to FINRA's API as darkpool-radar/<version> (+<url>), and FINRA_USER_AGENT replaces it whole", async () => {
    const { env } = await serve({ rows: defaultFinraRows() });
    await cli(['ingest', '--tiers', 'T2'], env);
    expect(double.requests.length).toBeGreaterThan(0);
    for (const r of double.requests) expect(r.headers['user-agent']).toMatch(/^darkpool-radar\/0\.1\.0 \(\+https:\/\/\S+\)$/);
    double.requests.length = 0;
    await cli(['ingest', '--tiers', 'T2'], { ...env, FINRA_USER_AGENT_URL: 'https://example.org/contact' });
    expect(new Set(double.requests.map((r) => r.headers['user-agent']))).toEqual(
      new Set(['darkpool-radar/0.1.0 (+https://example.org/contact)']),
    );
    double.requests.length = 0;
    await cli(['ingest', '--tiers', 'T2'], { ...env, FINRA_USER_AGENT: 'acme-research/2.0 (ops@example.org)' });
    expect(new Set(double.requests.map((r) => r.headers['user-agent']))).toEqual(new Set(['acme-research/2.0 (ops@example.org)']));
  });
});

describe('ATS rows without a symbol', () => {
  // FINRA's private-securities ATSs (e.g. PPEX) publish per-ATS rows with an empty symbol and name, and a
  // matching empty-symbol total. The real OTCE week of 2025-11-10 gains two such rows (figures of our own).
  const symbolLess: Row[] = [
    { MPID: 'PPEX', marketParticipantName: 'PPEX PRIVATE SECURITIES ATS', totalWeeklyShareQuantity: 1_250_000, totalWeeklyTradeCount: 14 },
    { MPID: 'OTCX', marketParticipantName: 'OTCX OTC LINK ECN ATS', totalWeeklyShareQuantity: 310, totalWeeklyTradeCount: 2 },
  ].map((r) => ({ ...otceFirmRows('2025-11-10')[0], ...r, issueSymbolIdentifier: '', issueName: '' }));
  const firm = [...otceFirmRows('2025-11-10'), ...symbolLess];

  it('load with their week: in their venues and the week as unattributed volume, never under a ticker', async () => {
    const { env, dbPath } = await serve({ rows: [...firm, ...derivedSymbolTotals(firm)] });
    const run = await cli(['ingest', '--tiers', 'OTCE'], env);
    expect(run.stdout).toMatch(/: ok; 1 weeks: 1 published/);
    expect(run.stderr).toMatch(/2 ATS rows without a symbol \(OTCX, PPEX\)/);

    const unattributedShares = symbolLess.reduce((n, r) => n + (r.totalWeeklyShareQuantity as number), 0);
    const unattributedTrades = symbolLess.reduce((n, r) => n + (r.totalWeeklyTradeCount as number), 0);
    const store = openStore(dbPath, SectorTable.load());
    const app = await appOn(store);
    try {
      const weeks = (await app.inject({ url: '/darkpool/weeks' })).json() as {
        tiers: { tier: string; weeks: Record<string, unknown>[] }[];
      };
      expect(weeks.tiers.find((t) => t.tier === 'OTCE')!.weeks[0]).toMatchObject({
        week_start: '2025-11-10',
        unattributed_shares: unattributedShares,
        unattributed_trades: unattributedTrades,
        symbols: new Set(otceFirmRows('2025-11-10').map((r) => r.issueSymbolIdentifier)).size,
      });

      const venues = (await app.inject({ url: '/darkpool/venues?tier=OTCE' })).json() as {
        unattributed: Record<string, unknown>[];
        data: { mpid: string; dark_pool_shares: number; dark_pool_trades: number; symbols_traded: number; unattributed_shares: number }[];
      };
      expect(venues.unattributed).toEqual([
        { tier: 'OTCE', unattributed_shares: unattributedShares, unattributed_trades: unattributedTrades },
      ]);
      for (const mpid of ['PPEX', 'OTCX', 'OTCN']) {
        const rows = firm.filter((r) => r.MPID === mpid);
        const venue = venues.data.find((v) => v.mpid === mpid)!;
        expect(venue.dark_pool_shares, mpid).toBe(rows.reduce((n, r) => n + (r.totalWeeklyShareQuantity as number), 0));
        expect(venue.dark_pool_trades, mpid).toBe(rows.reduce((n, r) => n + (r.totalWeeklyTradeCount as number), 0));
        expect(venue.symbols_traded, mpid).toBe(
          rows.filter((r) => r.issueSymbolIdentifier && (r.totalWeeklyShareQuantity as number) > 0).length,
        );
        expect(venue.unattributed_shares, mpid).toBe(
          rows.filter((r) => !r.issueSymbolIdentifier).reduce((n, r) => n + (r.totalWeeklyShareQuantity as number), 0),
        );
      }

      const movers = (await app.inject({ url: '/darkpool/movers/top20?tier=OTCE' })).json() as { data: { ticker: string }[] };
      expect(movers.data.every((m) => m.ticker !== '')).toBe(true);
      const stored = query<{ n: number }>(dbPath, "SELECT count(*) AS n FROM symbol_weeks WHERE symbol = ''")[0]!.n;
      expect(stored).toBe(0);
      expect(query<{ n: number }>(dbPath, "SELECT count(*) AS n FROM symbols WHERE symbol = ''")[0]!.n).toBe(0);
    } finally {
      await app.close();
      store.close();
    }
  });

  it("are still reconciled: FINRA's empty-symbol total that disagrees refuses the week", async () => {
    const totals = derivedSymbolTotals(firm).map((t) =>
      t.issueSymbolIdentifier === '' ? { ...t, totalWeeklyShareQuantity: (t.totalWeeklyShareQuantity as number) + 1 } : t,
    );
    const { env, dbPath } = await serve({ rows: [...firm, ...totals] });
    const run = await cli(['ingest', '--tiers', 'OTCE'], env);
    expect(run.stderr).toMatch(/refused.*reconciliation: rows without a symbol: firm rows sum to 1250310 shares, FINRA's total is 1250311/);
    expect(query(dbPath, 'SELECT * FROM weeks')).toEqual([]);
  });
});

describe('paging and duplicates', () => {
  it('asks for a total order on every week query, and refuses a week with a non-ATS total twice', async () => {
    const rows = tqqqRows();
    const nonAts = rows.find((r) => r.summaryTypeCode === 'OTC_W_SMBL')!;
    const { env, dbPath } = await serve({ rows: [...rows, { ...nonAts }] });
    const run = await cli(['ingest', '--tiers', 'T2'], env);
    expect(run.stderr).toMatch(/refused.*duplicate_key: TQQQ: two FINRA non-ATS totals/);
    expect(query(dbPath, 'SELECT * FROM weeks')).toEqual([]);
    for (const body of dataBodies()) expect(body.sortFields).toEqual(['summaryTypeCode', 'issueSymbolIdentifier', 'MPID']);
  });

  it("refuses a week with FINRA's per-symbol ATS total twice", async () => {
    const rows = tqqqRows();
    const total = rows.find((r) => r.summaryTypeCode === 'ATS_W_SMBL')!;
    const { env, dbPath } = await serve({ rows: [...rows, { ...total }] });
    const run = await cli(['ingest', '--tiers', 'T2'], env);
    expect(run.stderr).toMatch(/refused.*reconciliation: TQQQ: two FINRA totals/);
    expect(query(dbPath, 'SELECT * FROM weeks')).toEqual([]);
  });
});

// Twelve T2 weeks of the real TQQQ rows, published 35 days after each week starts (newest: 2026-10-19).
const WEEKS = mondaysBack('2026-10-19', 12);
const twelveWeeks = () => WEEKS.flatMap((w) => relabelWeek(tqqqRows(), w, 'T2'));

describe('revisions anywhere in history', () => {
  it('finds a week FINRA revised 11 weeks after publishing it, and re-pulls only it and the newest two', async () => {
    const { env, dbPath } = await serve({ rows: twelveWeeks() });
    expect((await cli(['ingest', '--tiers', 'T2', '--weeks', '12'], env)).stdout).toMatch(/12 published/);

    // FINRA revises the oldest week on 2026-11-30: one venue's row, and its per-symbol total with it.
    const oldest = WEEKS.at(-1)!;
    const revised = twelveWeeks().map((r) => {
      if (r.weekStartDate !== oldest) return r;
      if (r.summaryTypeCode === 'ATS_W_SMBL_FIRM' && r.MPID === 'UBSA')
        return { ...r, totalWeeklyShareQuantity: (r.totalWeeklyShareQuantity as number) + 1000, lastUpdateDate: '2026-11-30' };
      if (r.summaryTypeCode === 'ATS_W_SMBL')
        return { ...r, totalWeeklyShareQuantity: (r.totalWeeklyShareQuantity as number) + 1000, lastUpdateDate: '2026-11-30' };
      return r;
    });
    double.setRows(revised);
    double.requests.length = 0;
    const run = await cli(['ingest', '--tiers', 'T2'], env);
    expect(run.stderr).toMatch(new RegExp(`T2 +${oldest} +revised`));

    const changeQuery = dataBodies().find((b) =>
      (b.compareFilters as { fieldName: string }[]).some((f) => f.fieldName === 'lastUpdateDate'),
    );
    expect(changeQuery).toMatchObject({
      fields: ['weekStartDate', 'tierIdentifier'],
      compareFilters: [
        // The day before our newest lastUpdateDate (2026-11-23): a later revision that day is not missed.
        { compareType: 'GREATER', fieldName: 'lastUpdateDate', fieldValue: '2026-11-22' },
        { compareType: 'EQUAL', fieldName: 'summaryTypeCode', fieldValue: 'ATS_W_SMBL' },
      ],
    });
    expect(weeksAsked()).toEqual([oldest, WEEKS[1], WEEKS[0]].sort());

    const expected = revised
      .filter((r) => r.weekStartDate === oldest && r.summaryTypeCode === 'ATS_W_SMBL_FIRM')
      .reduce((n, r) => n + (r.totalWeeklyShareQuantity as number), 0);
    expect(query(dbPath, "SELECT shares FROM symbol_weeks WHERE week_start = ? AND symbol = 'TQQQ'", oldest)).toEqual([
      { shares: expected },
    ]);
    expect(query(dbPath, "SELECT last_update, revisions FROM weeks WHERE week_start = ? AND tier = 'T2'", oldest)).toEqual([
      { last_update: '2026-11-30', revisions: 1 },
    ]);

    // The next run asks from the newest change's day on (that day included): the revised week comes back
    // unchanged, with the newest two; a week changed before that day is not asked for.
    double.requests.length = 0;
    const next = await cli(['ingest', '--tiers', 'T2'], env);
    expect(weeksAsked()).toEqual([oldest, WEEKS[1], WEEKS[0]].sort());
    expect(next.stdout).toMatch(/: ok; 3 weeks: 0 published, 0 revised, 3 unchanged/);
  });

  it('records what each run downloaded, and status shows the month so far', async () => {
    const { env, dbPath } = await serve({ rows: twelveWeeks() });
    await cli(['ingest', '--tiers', 'T2', '--weeks', '3'], env);
    const [run] = query<{ requests: number; bytes: number }>(dbPath, "SELECT requests, bytes FROM runs WHERE kind = 'weekly'");
    expect(run!.requests).toBe(double.requests.length);
    expect(run!.bytes).toBeGreaterThan(0);
    const status = await cli(['status'], env);
    expect(status.stdout).toMatch(new RegExp(`downloaded from FINRA since \\d{4}-\\d{2}-01: .* in ${run!.requests} requests`));
  });
});

describe('the historic dataset', () => {
  it('serves the weeks weeklySummary no longer holds; a week neither holds is unavailable, not refused', async () => {
    // 20 weeks: the newest 12 in weeklySummary, the next 5 only in weeklySummaryHistoric, the oldest 3 nowhere.
    const weeks = mondaysBack('2026-10-19', 20);
    const rows = weeks.flatMap((w) => relabelWeek(tqqqRows(), w, 'T2'));
    const { env, dbPath } = await serve({ rows, currentFrom: weeks[11], historicFrom: weeks[16] });
    const run = await cli(['ingest', '--tiers', 'T2', '--weeks', '20'], env);
    expect(run.stdout).toMatch(/: partial; 20 weeks: 17 published, 0 revised, 0 unchanged, 0 refused, 0 failed, 3 unavailable from FINRA/);
    const stored = query<{ week_start: string; source: string }>(dbPath, 'SELECT week_start, source FROM weeks ORDER BY week_start DESC');
    expect(stored.map((w) => w.week_start)).toEqual(weeks.slice(0, 17));
    expect(stored.filter((w) => w.source === 'api:historic').map((w) => w.week_start)).toEqual(weeks.slice(12, 17));
    // The historic dataset was asked with filters on its partition fields only, and no sort.
    const historic = double.requests.filter((r) => r.path === HISTORIC_PATH);
    // 5 weeks loaded from it; 3 asked there first, then of weeklySummary, before they count as unavailable.
    expect(historic.length).toBe(8);
    expect(double.dataRequests().length - historic.length).toBe(12 + 3);
    for (const r of historic) {
      expect((r.body?.compareFilters as { fieldName: string }[]).map((f) => f.fieldName).sort()).toEqual([
        'tierIdentifier',
        'weekStartDate',
      ]);
      expect(r.body?.sortFields).toBeUndefined();
    }
    const outcomes = query<{ week_start: string; outcome: string }>(
      dbPath,
      "SELECT week_start, outcome FROM run_weeks WHERE outcome != 'published' ORDER BY week_start DESC",
    );
    expect(outcomes).toEqual(weeks.slice(17).map((w) => ({ week_start: w, outcome: 'unavailable' })));
  });
});

describe('fractional shares', () => {
  // FINRA's daily files carry six decimals since 2026; if weekly quantities follow, sums must stay exact.
  // The real OTCE week with a fraction added to every ATS row's shares; expected sums in whole
  // millionths with BigInt, from the decimal text.
  const FRACTIONS = ['1', '2', '000001', '333333', '75', '5'];
  const micros = (text: string) => {
    const [whole, frac = ''] = text.split('.');
    return BigInt(whole!) * 1_000_000n + BigInt(frac.padEnd(6, '0'));
  };
  const decimal = (m: bigint) => Number(`${m / 1_000_000n}.${(m % 1_000_000n).toString().padStart(6, '0')}`);
  const firm = otceFirmRows('2025-11-10').map((r, i) => ({
    ...r,
    totalWeeklyShareQuantity: Number(`${r.totalWeeklyShareQuantity as number}.${FRACTIONS[i % FRACTIONS.length]}`),
  }));
  const exactBy = (key: (r: Row) => string) => {
    const out = new Map<string, bigint>();
    for (const r of firm) out.set(key(r), (out.get(key(r)) ?? 0n) + micros(String(r.totalWeeklyShareQuantity)));
    return out;
  };
  const naiveBy = (key: (r: Row) => string) => {
    const out = new Map<string, number>();
    for (const r of firm) out.set(key(r), (out.get(key(r)) ?? 0) + (r.totalWeeklyShareQuantity as number));
    return out;
  };

  it('load, and every symbol and venue total is the exact decimal sum of its rows', async () => {
    const bySymbol = exactBy((r) => r.issueSymbolIdentifier as string);
    const byVenue = exactBy((r) => r.MPID as string);
    // The data can tell a float accumulator from an exact one.
    const naiveSymbols = naiveBy((r) => r.issueSymbolIdentifier as string);
    expect([...bySymbol].some(([s, m]) => naiveSymbols.get(s) !== decimal(m))).toBe(true);
    const naiveVenues = naiveBy((r) => r.MPID as string);
    expect([...byVenue].some(([v, m]) => naiveVenues.get(v) !== decimal(m))).toBe(true);

    const totals = derivedSymbolTotals(otceFirmRows('2025-11-10')).map((t) => ({
      ...t,
      totalWeeklyShareQuantity: decimal(bySymbol.get(t.issueSymbolIdentifier as string)!),
    }));
    const { env, dbPath } = await serve({ rows: [...firm, ...totals] });
    expect((await cli(['ingest', '--tiers', 'OTCE'], env)).stdout).toMatch(/: ok; 1 weeks: 1 published/);

    const stored = query<{ symbol: string; shares: number }>(dbPath, "SELECT symbol, shares FROM symbol_weeks WHERE tier = 'OTCE'");
    expect(stored).toHaveLength(bySymbol.size);
    for (const s of stored) expect(s.shares, s.symbol).toBe(decimal(bySymbol.get(s.symbol)!));

    const store = openStore(dbPath, SectorTable.load());
    const app = await appOn(store);
    try {
      const venues = (await app.inject({ url: '/darkpool/venues?tier=OTCE' })).json() as {
        data: { mpid: string; dark_pool_shares: number }[];
      };
      expect(venues.data).toHaveLength(byVenue.size);
      for (const v of venues.data) expect(v.dark_pool_shares, v.mpid).toBe(decimal(byVenue.get(v.mpid)!));
      const weekly = (await app.inject({ url: '/darkpool/weekly/AABB' })).json() as { dark_pool_shares: number };
      expect(weekly.dark_pool_shares).toBe(decimal(bySymbol.get('AABB')!));
    } finally {
      await app.close();
      store.close();
    }
  });
});

describe('when FINRA cannot say which weeks changed', () => {
  it('re-pulls the newest eight weeks and says so in the run notes', async () => {
    const { env } = await serve({ rows: twelveWeeks() });
    await cli(['ingest', '--tiers', 'T2', '--weeks', '12'], env);
    double.faults.push({ kind: 'status', status: 400, when: (r) => JSON.stringify(r.body).includes('lastUpdateDate') });
    double.requests.length = 0;
    const run = await cli(['ingest', '--tiers', 'T2'], env);
    expect(run.stderr).toMatch(/note: changed-weeks query failed \(HTTP 400.*\); the newest weeks re-pulled instead/);
    expect(weeksAsked()).toEqual(WEEKS.slice(0, 8).sort());
  });
});

describe('a week answered 204 although FINRA lists it', () => {
  it('is unavailable this run (not refused, nothing stored), and loads on the next when FINRA answers rows', async () => {
    const { env, dbPath } = await serve({ rows: tqqqRows() });
    double.faults.push({ kind: 'no-content', when: (r) => r.path.endsWith('/weeklySummary') && r.body?.offset === 0 });
    const first = await cli(['ingest', '--tiers', 'T2'], env);
    expect(first.stdout).toMatch(/: failed; 1 weeks: 0 published, 0 revised, 0 unchanged, 0 refused, 0 failed, 1 unavailable from FINRA/);
    expect(query(dbPath, 'SELECT * FROM weeks')).toEqual([]);
    const second = await cli(['ingest', '--tiers', 'T2'], env);
    expect(second.stdout).toMatch(/: ok; 1 weeks: 1 published/);
  });
});
