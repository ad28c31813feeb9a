import { describe, expect, it } from 'vitest';
import { parseFinraRow, type FinraRow } from '../../src/finra/schema.js';
import { buildWeek, WeekRefusedError, type WeekRows } from '../../src/ingest/build-week.js';
import { weekOverWeek } from '../../src/domain/trend.js';
import { aaplBrkbTotals, tqqqRows, type Row } from '../support/fixtures.js';

function tqqqWeek(mutate?: (rows: Row[]) => void): WeekRows {
  const raw = tqqqRows();
  mutate?.(raw);
  const rows = raw.map((r, i) => parseFinraRow(r, i));
  const of = (type: string): FinraRow[] => rows.filter((r) => r.summaryTypeCode === type);
  return {
    weekStart: '2025-11-17',
    tier: 'T2',
    firm: of('ATS_W_SMBL_FIRM'),
    symbolTotals: of('ATS_W_SMBL'),
    nonAts: of('OTC_W_SMBL'),
    nonAtsFirm: of('OTC_W_SMBL_FIRM'),
  };
}

describe('building a week from FINRA rows', () => {
  it("sums TQQQ's 26 real ATS rows to FINRA's own total and keeps non-ATS volume apart", () => {
    const week = buildWeek(tqqqWeek());
    expect(week.rows).toHaveLength(26);
    expect(week.reconciled).toBe(true);
    expect(week.symbols).toEqual([
      expect.objectContaining({
        symbol: 'TQQQ',
        shares: 48_136_092, // FINRA's ATS_W_SMBL row
        trades: 408_358,
        venues: 26,
        notional: null, // the sample carries no notional
        nonAtsShares: 248_494_799, // FINRA's OTC_W_SMBL row, not added to the ATS figure
        nonAtsTrades: 990_507,
      }),
    ]);
  });

  it('refuses a week whose firm rows do not sum to FINRA’s total', () => {
    const week = tqqqWeek((rows) => {
      const total = rows.find((r) => r.summaryTypeCode === 'ATS_W_SMBL')!;
      total.totalWeeklyShareQuantity = (total.totalWeeklyShareQuantity as number) + 1;
    });
    expect(() => buildWeek(week)).toThrow(WeekRefusedError);
    expect(() => buildWeek(week)).toThrow("TQQQ: firm rows sum to 48136092 shares, FINRA's total is 48136093");
  });

  it('refuses when a firm row is missing (the per-symbol total no longer matches)', () => {
    const week = tqqqWeek();
    week.firm.pop();
    expect(() => buildWeek(week)).toThrow(/reconciliation/);
  });

  it('never reads a null quantity as 0: a null share count cannot reconcile with a number', () => {
    const week = tqqqWeek((rows) => {
      rows.find((r) => r.MPID === 'XSTM')!.totalWeeklyShareQuantity = null;
    });
    expect(() => buildWeek(week)).toThrow(/firm rows sum to null shares/);
  });

  it('refuses duplicate (symbol, ATS) rows', () => {
    const week = tqqqWeek();
    week.firm.push({ ...week.firm[0]! });
    expect(() => buildWeek(week)).toThrow(/duplicate_key: TQQQ at XSTM appears twice/);
  });

  it('refuses rows of another week or tier (a filter FINRA ignored)', () => {
    const week = tqqqWeek();
    week.firm[3] = { ...week.firm[3]!, weekStartDate: '2025-11-10' };
    expect(() => buildWeek(week)).toThrow(/wrong_partition/);
  });

  it('refuses an empty week instead of zeroing every symbol', () => {
    expect(() => buildWeek({ weekStart: '2025-11-17', tier: 'T2', firm: [], symbolTotals: [], nonAts: [] })).toThrow(/empty_week/);
  });

  it('gives the same checksum for the same rows in another order, a different one after a revision', () => {
    const a = buildWeek(tqqqWeek());
    const shuffled = tqqqWeek();
    shuffled.firm.reverse();
    expect(buildWeek(shuffled).checksum).toBe(a.checksum);
    const revised = tqqqWeek((rows) => {
      const r = rows.find((x) => x.MPID === 'UBSA')!;
      r.totalWeeklyShareQuantity = (r.totalWeeklyShareQuantity as number) + 100;
      const t = rows.find((x) => x.summaryTypeCode === 'ATS_W_SMBL')!;
      t.totalWeeklyShareQuantity = (t.totalWeeklyShareQuantity as number) + 100;
    });
    expect(buildWeek(revised).checksum).not.toBe(a.checksum);
  });
});

describe('week-over-week trend', () => {
  it('is stable at exactly +5% and -5%, rising or falling just beyond', () => {
    expect(weekOverWeek(105, 100)).toEqual({ changePct: 5, trend: 'stable' });
    expect(weekOverWeek(95, 100)).toEqual({ changePct: -5, trend: 'stable' });
    expect(weekOverWeek(2_100_001, 2_000_000).trend).toBe('rising');
    expect(weekOverWeek(1_899_999, 2_000_000).trend).toBe('falling');
  });

  it('rises from a loaded week without volume, and is stable when there is nothing to compare', () => {
    expect(weekOverWeek(10, 0)).toEqual({ changePct: null, trend: 'rising' });
    expect(weekOverWeek(0, 0)).toEqual({ changePct: null, trend: 'stable' });
    expect(weekOverWeek(10, null)).toEqual({ changePct: null, trend: 'stable' });
    expect(weekOverWeek(0, 10)).toEqual({ changePct: -100, trend: 'falling' });
  });
});

describe("a week of FINRA's per-symbol totals only", () => {
  const week = '2021-12-13';
  const totals = () => (aaplBrkbTotals() as Row[]).filter((r) => r.weekStartDate === week).map((r, i) => parseFinraRow(r, i));
  const totalsWeek = (symbolTotals: FinraRow[]): WeekRows => ({
    weekStart: week,
    tier: 'T1',
    firm: [],
    symbolTotals,
    nonAts: null,
    totalsOnly: true,
  });

  it("loads FINRA's figures per symbol, with no venue, and keeps an empty-symbol total aside without refusing the week", () => {
    const real = totals();
    // FINRA publishes an empty-symbol total for private-securities ATSs: a copy of a real row without its symbol.
    const symbolLess = parseFinraRow(
      { ...(aaplBrkbTotals() as Row[]).find((r) => r.weekStartDate === week)!, issueSymbolIdentifier: null, issueName: null },
      99,
    );
    const built = buildWeek(totalsWeek([...real, symbolLess]));
    expect(built.coverage).toBe('symbol_totals');
    expect(built.rows).toEqual([]);
    expect(built.symbols.map((s) => [s.symbol, s.shares, s.trades])).toEqual(
      real.map((r) => [r.issueSymbolIdentifier, r.totalWeeklyShareQuantity, r.totalWeeklyTradeCount]).sort(),
    );
    expect(built.keptAside).toEqual(['1 ATS totals without a symbol, attributed to no symbol']);
  });

  it('refuses a symbol FINRA totals twice, and is never built from an API week without firm rows', () => {
    const [first] = totals();
    expect(() => buildWeek(totalsWeek([first!, first!]))).toThrow(WeekRefusedError);
    expect(() => buildWeek({ ...totalsWeek(totals()), totalsOnly: false })).toThrow(/no ATS_W_SMBL_FIRM rows/);
  });
});

describe("FINRA's non-ATS firm rows (wholesalers)", () => {
  const otcFirm = (rows: Row[]) => rows.filter((r) => r.summaryTypeCode === 'OTC_W_SMBL_FIRM');

  it("keeps TQQQ's 21 real non-ATS firm rows, De Minimis Firms included, reconciled with FINRA's non-ATS total", () => {
    const week = buildWeek(tqqqWeek());
    const expected = otcFirm(tqqqRows());
    expect(week.nonAtsFirms).toHaveLength(21);
    expect(week.nonAtsFirms.map((f) => f.firm).sort()).toEqual(expected.map((r) => r.marketParticipantName).sort());
    expect(week.nonAtsFirms.find((f) => f.firm === 'De Minimis Firms')).toMatchObject({ shares: 1_102_839, trades: 3_347 });
  });

  it('refuses the week when they do not add up to the total, or a named firm appears twice', () => {
    const off = tqqqWeek(
      (rows) => (otcFirm(rows)[0]!.totalWeeklyShareQuantity = (otcFirm(rows)[0]!.totalWeeklyShareQuantity as number) + 1),
    );
    expect(() => buildWeek(off)).toThrow(
      /reconciliation: TQQQ: non-ATS firm rows sum to 248494800 shares, 990507 trades; FINRA's non-ATS total is 248494799/,
    );
    const twice = tqqqWeek((rows) => rows.push({ ...otcFirm(rows)[0]!, totalWeeklyShareQuantity: 0, totalWeeklyTradeCount: 0 }));
    expect(() => buildWeek(twice)).toThrow(/duplicate_key: TQQQ at non-ATS firm INTERACTIVE BROKERS CORP. appears twice/);
  });

  it('sums rows that name no firm per symbol, still reconciled, and says so', () => {
    const week = buildWeek(
      tqqqWeek((rows) => {
        for (const r of otcFirm(rows).slice(0, 3)) r.marketParticipantName = null;
      }),
    );
    const three = otcFirm(tqqqRows()).slice(0, 3);
    expect(week.nonAtsFirms).toHaveLength(19);
    expect(week.nonAtsFirms.find((f) => f.firm === '(firms FINRA did not name)')).toMatchObject({
      shares: three.reduce((n, r) => n + (r.totalWeeklyShareQuantity as number), 0),
      trades: three.reduce((n, r) => n + (r.totalWeeklyTradeCount as number), 0),
    });
    expect(week.keptAside.join(' ')).toContain('3 non-ATS firm rows name no firm');
  });

  it('without per-firm rows: no breakdown, the week loads, and the checksum is the one it always had', () => {
    const without = { ...tqqqWeek(), nonAtsFirm: [] };
    const week = buildWeek(without);
    expect(week.nonAtsFirms).toEqual([]);
    expect(week.keptAside).toContain('no non-ATS per-firm rows: the week has no wholesaler breakdown');
    expect(week.checksum).toBe(buildWeek({ ...without, nonAtsFirm: undefined }).checksum);
    expect(week.checksum).not.toBe(buildWeek(tqqqWeek()).checksum);
  });
});
