// GET /darkpool/offexchange/{ticker}: a symbol's ATS venues and non-ATS firms side by side. Expected
// figures come from FINRA's real TQQQ rows (T2, 2025-11-17: 26 ATS rows, 21 non-ATS firm rows with
// "De Minimis Firms", FINRA's two totals), summed here with plain loops.
import { describe, expect, it } from 'vitest';
import { useSeededApp } from '../support/app.js';
import { tqqqRows } from '../support/fixtures.js';

type Row = Record<string, any>;
const seeded = useSeededApp();

const rows = tqqqRows();
const of = (type: string) => rows.filter((r) => r.summaryTypeCode === type);
const sum = (list: Row[], field: string) => list.reduce((n, r) => n + (r[field] as number), 0);
const pct = (part: number, whole: number) => Math.round((part / whole) * 100 * 100) / 100;

describe('GET /darkpool/offexchange/{ticker}', () => {
  it('lists the ATS venues and the non-ATS firms, each with its share of the off-exchange total', async () => {
    const res = await seeded.app.inject({ url: '/darkpool/offexchange/tqqq' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as Row;
    const ats = sum(of('ATS_W_SMBL_FIRM'), 'totalWeeklyShareQuantity');
    const nonAts = of('OTC_W_SMBL')[0]!.totalWeeklyShareQuantity as number;
    const total = ats + nonAts;
    expect(body).toMatchObject({
      ticker: 'TQQQ',
      tier: 'T2',
      week_start: '2025-11-17',
      ats_shares: ats,
      ats_trades: sum(of('ATS_W_SMBL_FIRM'), 'totalWeeklyTradeCount'),
      non_ats_shares: nonAts,
      non_ats_trades: of('OTC_W_SMBL')[0]!.totalWeeklyTradeCount,
      off_exchange_shares: total,
      ats_share_pct: pct(ats, total),
      non_ats_share_pct: pct(nonAts, total),
      non_ats_firms_loaded: true,
    });
    expect(body.data).toHaveLength(26 + 21);
    const firms = (body.data as Row[]).filter((d) => d.kind === 'non_ats');
    expect(sum(firms, 'shares')).toBe(nonAts);
    for (const r of of('OTC_W_SMBL_FIRM')) {
      expect(firms).toContainEqual({
        kind: 'non_ats',
        mpid: null,
        name: r.marketParticipantName,
        de_minimis: r.marketParticipantName === 'De Minimis Firms',
        shares: r.totalWeeklyShareQuantity,
        trades: r.totalWeeklyTradeCount,
        off_exchange_share_pct: pct(r.totalWeeklyShareQuantity as number, total),
      });
    }
    for (const r of of('ATS_W_SMBL_FIRM')) {
      expect(body.data).toContainEqual(expect.objectContaining({ kind: 'ats', mpid: r.MPID, shares: r.totalWeeklyShareQuantity }));
    }
    const shares = (body.data as Row[]).map((d) => d.shares);
    expect(shares).toEqual([...shares].sort((a, b) => b - a));
    expect(firms.filter((d) => d.de_minimis)).toHaveLength(1);
  });

  it('as CSV, one line per venue or firm', async () => {
    const res = await seeded.app.inject({ url: '/darkpool/offexchange/TQQQ?format=csv' });
    expect(res.headers['content-type']).toContain('text/csv');
    const lines = res.body.trim().split(/\r?\n/);
    expect(lines[0]).toBe('kind,mpid,name,de_minimis,shares,trades,off_exchange_share_pct');
    expect(lines).toHaveLength(1 + 47);
  });

  it('a week loaded from a website export: the ATS side only, and it says why', async () => {
    const body = (await seeded.app.inject({ url: '/darkpool/offexchange/AABB?week=2025-11-10' })).json() as Row;
    expect(body).toMatchObject({ non_ats_shares: null, off_exchange_shares: null, non_ats_firms_loaded: false, ats_share_pct: null });
    expect((body.data as Row[]).every((d) => d.kind === 'ats')).toBe(true);
  });

  it('unknown ticker: a 404 problem', async () => {
    const res = await seeded.app.inject({ url: '/darkpool/offexchange/NOPE' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'ticker_not_found' });
  });
});
