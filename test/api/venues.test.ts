// One venue: its weekly series and what it traded in a week. Expected figures are summed from FINRA's
// per-ATS rows (the two real OTCE weeks and the real TQQQ week) with plain loops, not the service's code.
import { describe, expect, it } from 'vitest';
import { useSeededApp } from '../support/app.js';
import { otceFirmRows, tqqqRows } from '../support/fixtures.js';

type Row = Record<string, any>;
const seeded = useSeededApp();

const get = async (url: string) => {
  const res = await seeded.app.inject({ url });
  return { status: res.statusCode, body: res.json() as Row };
};
const firm = (rows: Row[]) => rows.filter((r) => r.summaryTypeCode === 'ATS_W_SMBL_FIRM');
const sum = (rows: Row[], field: string) => rows.reduce((n, r) => n + (r[field] ?? 0), 0);
const round2 = (x: number) => Math.round(x * 100) / 100;

describe('GET /darkpool/venues/{mpid}', () => {
  it("gives an ATS's weekly series, newest first, with its share of all ATS shares in its tiers", async () => {
    const weeks = { '2025-11-17': firm(otceFirmRows('2025-11-17')), '2025-11-10': firm(otceFirmRows('2025-11-10')) };
    const { status, body } = await get('/darkpool/venues/otcn?weeks=10');
    expect(status).toBe(200);
    expect(body.mpid).toBe('OTCN');
    expect(body.data.map((d: Row) => d.week_start)).toEqual(['2025-11-17', '2025-11-10']);
    for (const d of body.data as Row[]) {
      const rows = weeks[d.week_start as keyof typeof weeks];
      const mine = rows.filter((r) => r.MPID === 'OTCN');
      const shares = sum(mine, 'totalWeeklyShareQuantity');
      const trades = sum(mine, 'totalWeeklyTradeCount');
      expect(d).toMatchObject({
        tiers: ['OTCE'],
        dark_pool_shares: shares,
        dark_pool_trades: trades,
        dark_pool_volume_usd: null, // the website export carries no notional
        symbols_traded: mine.filter((r) => r.issueSymbolIdentifier && r.totalWeeklyShareQuantity > 0).length,
        market_share_pct: round2((shares / sum(rows, 'totalWeeklyShareQuantity')) * 100),
        avg_trade_size: round2(shares / trades),
      });
    }
  });

  it('follows the venue into the tiers it trades (UBSA: TQQQ in T2) and takes tier=', async () => {
    const t2 = firm(tqqqRows());
    const ubsa = t2.filter((r) => r.MPID === 'UBSA');
    const { body } = await get('/darkpool/venues/UBSA');
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({
      week_start: '2025-11-17',
      tiers: ['T2'],
      dark_pool_shares: sum(ubsa, 'totalWeeklyShareQuantity'),
      market_share_pct: round2((sum(ubsa, 'totalWeeklyShareQuantity') / sum(t2, 'totalWeeklyShareQuantity')) * 100),
    });
    expect((await get('/darkpool/venues/UBSA?tier=OTCE')).body.data).toEqual([]);
  });

  it('is a 404 venue_not_found for an MPID in no loaded week, and a 400 for one that cannot be', async () => {
    const unknown = await get('/darkpool/venues/ZZZZ');
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('venue_not_found');
    expect((await get('/darkpool/venues/no%20such')).status).toBe(400);
  });
});

describe('GET /darkpool/venues/{mpid}/symbols', () => {
  it('lists what the venue traded in its newest week, largest first, with its part of each symbol', async () => {
    const rows = firm(otceFirmRows('2025-11-17'));
    const mine = rows.filter((r) => r.MPID === 'OTCN' && r.issueSymbolIdentifier);
    const total = sum(mine, 'totalWeeklyShareQuantity');
    const symbolTotal = (s: string) =>
      sum(
        rows.filter((r) => r.issueSymbolIdentifier === s),
        'totalWeeklyShareQuantity',
      );
    const { status, body } = await get('/darkpool/venues/OTCN/symbols');
    expect(status).toBe(200);
    expect(body.week_ending).toBe('2025-11-23');
    expect(body.data).toHaveLength(mine.length);
    const shares = (body.data as Row[]).map((d) => d.shares);
    expect(shares).toEqual([...shares].sort((a, b) => b - a));
    for (const d of (body.data as Row[]).slice(0, 25)) {
      const row = mine.find((r) => r.issueSymbolIdentifier === d.ticker)!;
      expect(d.shares).toBe(row.totalWeeklyShareQuantity);
      expect(d.venue_share_pct).toBe(round2((row.totalWeeklyShareQuantity / total) * 100));
      const whole = symbolTotal(d.ticker);
      if (whole > 0) expect(d.symbol_share_pct).toBe(round2((row.totalWeeklyShareQuantity / whole) * 100));
    }
  });

  it('answers an earlier week, CSV too, and 404s a week not loaded', async () => {
    const older = await get('/darkpool/venues/OTCN/symbols?week=2025-11-12');
    expect(older.body.week_ending).toBe('2025-11-16');
    const csv = await seeded.app.inject({ url: '/darkpool/venues/OTCN/symbols?week=2025-11-12&format=csv' });
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.body.trim().split(/\r?\n/);
    expect(lines[0]).toBe('ticker,issue_name,tier,shares,trades,volume_usd,venue_share_pct,symbol_share_pct');
    expect(lines).toHaveLength(older.body.data.length + 1);
    const missing = await get('/darkpool/venues/OTCN/symbols?week=2024-01-03');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('week_not_found');
  });
});
