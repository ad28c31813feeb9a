import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FinraDouble } from '../support/finra-double.js';
import { defaultFinraRows, OTCE_FILES, otceFirmRows, sumFirmRows, tqqqRows } from '../support/fixtures.js';
import { cli, removeTempDirs, tempDbPath } from '../support/harness.js';

let double: FinraDouble;
let dbPath: string;
let env: Record<string, string>;

beforeEach(async () => {
  double = await new FinraDouble({ rows: defaultFinraRows() }).start();
  dbPath = tempDbPath();
  // Daily files have their own tests (test/daily); here the weekly ingest runs alone.
  env = { FINRA_API_URL: double.url, DB_PATH: dbPath, DAILY_WINDOW_DAYS: '0' };
});
afterEach(() => double.close());
afterAll(removeTempDirs);

function query<T>(sql: string, ...params: unknown[]): T[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

/** Everything a week contributes to the store, for "untouched" comparisons. */
function weekState(weekStart: string, tier: string): string {
  return JSON.stringify([
    query('SELECT * FROM ats_rows WHERE week_start = ? AND tier = ? ORDER BY symbol, mpid', weekStart, tier),
    query('SELECT * FROM symbol_weeks WHERE week_start = ? AND tier = ? ORDER BY symbol', weekStart, tier),
    query('SELECT * FROM weeks WHERE week_start = ? AND tier = ?', weekStart, tier),
  ]);
}

describe('darkpool-radar ingest against the FINRA double', () => {
  it('loads the real OTCE weeks and the TQQQ week, every symbol total equal to the sum of its firm rows', async () => {
    const run = await cli(['ingest'], env);
    expect(run.stderr).toMatch(/\[1\/3\] OTCE 2025-11-17 {2}published/);
    expect(run.stdout).toMatch(/: ok; 3 weeks: 3 published/);
    expect(run.code).toBe(0);

    const weeks = query<{ week_start: string; tier: string; firm_rows: number; symbols: number; reconciled: number }>(
      'SELECT week_start, tier, firm_rows, symbols, reconciled FROM weeks ORDER BY week_start, tier',
    );
    expect(weeks).toEqual([
      { week_start: '2025-11-10', tier: 'OTCE', firm_rows: 5328, symbols: 3111, reconciled: 1 },
      { week_start: '2025-11-17', tier: 'OTCE', firm_rows: 5192, symbols: 2985, reconciled: 1 },
      { week_start: '2025-11-17', tier: 'T2', firm_rows: 26, symbols: 1, reconciled: 1 },
    ]);

    for (const [weekStart, tier, rows] of [
      ['2025-11-10', 'OTCE', otceFirmRows('2025-11-10')],
      ['2025-11-17', 'OTCE', otceFirmRows('2025-11-17')],
      ['2025-11-17', 'T2', tqqqRows()],
    ] as const) {
      const expected = sumFirmRows(rows);
      const stored = query<{ symbol: string; shares: number; trades: number; venues: number }>(
        'SELECT symbol, shares, trades, venues FROM symbol_weeks WHERE week_start = ? AND tier = ?',
        weekStart,
        tier,
      );
      expect(stored).toHaveLength(expected.size);
      for (const s of stored) expect(s, `${weekStart} ${s.symbol}`).toEqual({ symbol: s.symbol, ...expected.get(s.symbol) });
    }

    const [tqqq] = query<Record<string, unknown>>("SELECT * FROM symbol_weeks WHERE symbol = 'TQQQ'");
    expect(tqqq).toMatchObject({ shares: 48_136_092, trades: 408_358, venues: 26, non_ats_shares: 248_494_799 });
    // The non-ATS firm rows come with the week from the API, one per firm, as FINRA sent them.
    const firms = query<{ firm: string; shares: number; trades: number }>(
      "SELECT firm, shares, trades FROM otc_firm_rows WHERE symbol = 'TQQQ' ORDER BY firm",
    );
    const sent = tqqqRows().filter((r) => r.summaryTypeCode === 'OTC_W_SMBL_FIRM');
    expect(firms).toEqual(
      sent
        .map((r) => ({ firm: r.marketParticipantName, shares: r.totalWeeklyShareQuantity, trades: r.totalWeeklyTradeCount }))
        .sort((a, b) => (String(a.firm) < String(b.firm) ? -1 : 1)),
    );
  });

  it('stays well under FINRA’s 20 requests a second', async () => {
    await cli(['ingest', '--tiers', 'OTCE', '--weeks', '2'], env);
    const times = double.requests.map((r) => r.at);
    expect(times.length).toBeGreaterThanOrEqual(4);
    // At most 10 a second: n requests span at least (n - 1) x 100 ms (less a little arrival jitter).
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual((times.length - 1) * 100 - 30);
  });

  it('re-pulling unchanged weeks is a no-op', async () => {
    await cli(['ingest'], env);
    const before = weekState('2025-11-10', 'OTCE');
    const again = await cli(['ingest'], env);
    expect(again.stdout).toMatch(/3 unchanged/);
    expect(weekState('2025-11-10', 'OTCE')).toBe(before);
  });

  it('refuses a week whose firm rows do not sum to FINRA’s totals and keeps the loaded week exactly as it was', async () => {
    await cli(['ingest'], env);
    const before = weekState('2025-11-10', 'OTCE');

    const rows = defaultFinraRows();
    // FINRA "revises" a firm row but its per-symbol total does not follow.
    const firm = rows.find((r) => r.weekStartDate === '2025-11-10' && r.summaryTypeCode === 'ATS_W_SMBL_FIRM')!;
    firm.totalWeeklyShareQuantity = (firm.totalWeeklyShareQuantity as number) + 1000;
    double.setRows(rows);

    const run = await cli(['ingest'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/OTCE 2025-11-10 {2}refused .*reconciliation: .*firm rows sum to/);
    expect(weekState('2025-11-10', 'OTCE')).toBe(before);
    const [refusal] = query<{ outcome: string; detail: string }>(
      "SELECT outcome, detail FROM run_weeks WHERE week_start = '2025-11-10' ORDER BY rowid DESC LIMIT 1",
    );
    expect(refusal?.outcome).toBe('refused');
  });

  it('refuses a week whose paging comes back short and keeps the loaded week exactly as it was', async () => {
    await cli(['ingest'], env);
    const before = weekState('2025-11-10', 'OTCE');
    double.faults.push({
      kind: 'no-content',
      when: (r) => r.body?.offset === 5000 && JSON.stringify(r.body).includes('2025-11-10'),
    });
    const run = await cli(['ingest'], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/OTCE 2025-11-10 {2}refused .*204/);
    expect(weekState('2025-11-10', 'OTCE')).toBe(before);
  });

  it('with nothing loaded yet, a refused week leaves no trace of itself in the data tables', async () => {
    double.faults.push({ kind: 'empty-page', when: (r) => r.body?.offset === 5000 });
    const run = await cli(['ingest', '--tiers', 'OTCE', '--weeks', '1'], env);
    expect(run.code).toBe(1);
    expect(query('SELECT * FROM weeks')).toEqual([]);
    expect(query('SELECT * FROM ats_rows')).toEqual([]);
  });

  it('falls back to FINRA’s publication calendar when the partitions endpoint fails', async () => {
    double.faults.push({ kind: 'status', status: 404, when: (r) => r.path.startsWith('/partitions') });
    const run = await cli(['ingest', '--tiers', 'OTCE', '--weeks', '2'], env);
    expect(run.stderr).toMatch(/publication calendar/);
    // Today's calendar weeks are not in the double: FINRA answers 204, nothing is published.
    const asked = double.dataRequests().map((r) => (r.body?.compareFilters as { fieldValue: string }[])[0]!.fieldValue);
    expect(new Set(asked).size).toBe(2);
    expect(run.code).toBe(1);
  });
});

describe('darkpool-radar import', () => {
  it('loads the OTCE export of 2025-12-15 as week 2025-11-10: 5,328 rows for 3,111 symbols', async () => {
    const run = await cli(['import', OTCE_FILES['2025-11-10'], '--week', '2025-11-10', '--tier', 'OTCE'], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('5,328 rows  3,111 symbols');
    const [week] = query<Record<string, unknown>>('SELECT * FROM weeks');
    expect(week).toMatchObject({ week_start: '2025-11-10', tier: 'OTCE', firm_rows: 5328, symbols: 3111, reconciled: 0 });
    const expected = sumFirmRows(otceFirmRows('2025-11-10'));
    const [row] = query<{ total: number }>('SELECT sum(shares) AS total FROM symbol_weeks');
    expect(row?.total).toBe([...expected.values()].reduce((n, e) => n + e.shares, 0));
  });

  it('infers the week from the publication date when --week is missing, and says so', async () => {
    const run = await cli(['import', OTCE_FILES['2025-11-17']], env);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/week 2025-11-17 inferred from the publication date 2025-12-22/);
  });

  it('loads saved API JSON through the same reconciliation', async () => {
    const run = await cli(['import', 'fixtures/finra/tqqq_2025-11-17_T2.api.json'], env);
    expect(run.code).toBe(0);
    expect(query('SELECT reconciled FROM weeks')).toEqual([{ reconciled: 1 }]);
  });

  it('rejects a tier that contradicts the file, and bad flags, with a clear message', async () => {
    const wrongTier = await cli(['import', OTCE_FILES['2025-11-10'], '--tier', 'T1', '--week', '2025-11-10'], env);
    expect(wrongTier.code).toBe(1);
    expect(wrongTier.stderr).toMatch(/row 1 is tier OTCE, not --tier T1/);
    expect((await cli(['import', OTCE_FILES['2025-11-10'], '--week', '11/10/2025'], env)).stderr).toMatch(/--week must be a date/);
    expect((await cli(['ingest', '--weeks', '0'], env)).code).toBe(64);
    expect((await cli(['ingest', '--tiers', 'T3'], env)).stderr).toMatch(/unknown tier T3/);
  });
});

describe('configuration', () => {
  it('stops with a message naming the bad variable', async () => {
    const run = await cli(['status'], { ...env, PORT: 'eighty' });
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/PORT: .*"eighty"/);
  });

  it('status lists loaded weeks and the last run', async () => {
    await cli(['ingest'], env);
    const run = await cli(['status'], env);
    expect(run.stdout).toMatch(/OTCE: 2 weeks, 10,520 ATS rows/);
    expect(run.stdout).toMatch(/last weekly run: #1 \(cli\).* ok/);
  });
});
