import { getEventListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IncompleteDataError, WEEK_SORT } from '../../src/finra/client.js';
import { header, UpstreamHttpError } from '../../src/finra/http.js';
import { parseFinraRow, RowValidationError, type FinraRow } from '../../src/finra/schema.js';
import { DATA_PATH, FinraDouble, sortRows } from '../support/finra-double.js';
import { defaultFinraRows, FIXTURES, otceFirmRows, relabelWeek, tqqqRows } from '../support/fixtures.js';
import { captureLogs, testClient, type TestClient } from '../support/harness.js';

const OTCE_FIRM = { weekStart: '2025-11-10', tier: 'OTCE', summaryTypes: ['ATS_W_SMBL_FIRM'] } as const;

let double: FinraDouble;
let t: TestClient;

beforeEach(async () => {
  double = await new FinraDouble({
    rows: defaultFinraRows(),
    // FINRA's partitions list has carried NMS and NA tiers, and its metadata calls the OTC tier OTC.
    strayPartitions: [
      ['2019-01-07', 'NMS'],
      ['2019-01-07', 'NA'],
      ['2023-11-06', 'NMS'],
      ['2019-01-07', 'OTC'],
    ],
  }).start();
  t = testClient(double.url);
});

afterEach(async () => {
  await t.agent.close();
  await double.close();
});

describe('empty answers and headers', () => {
  for (const emptyAnswer of ['204', '200', '200-no-total'] as const) {
    it(`reads "no rows" answered as ${emptyAnswer === '204' ? '204 (real traffic)' : emptyAnswer === '200' ? '200 [] with Record-Total 0 (the docs)' : '200 [] without Record-Total'}`, async () => {
      await t.agent.close();
      await double.close();
      double = await new FinraDouble({ rows: defaultFinraRows(), emptyAnswer }).start();
      t = testClient(double.url);
      expect(await t.client.weekRows({ weekStart: '2020-01-06', tier: 'T1', summaryTypes: ['ATS_W_SMBL_FIRM'] })).toEqual([]);
    });
  }

  it('reads header names in any case', () => {
    const res = { status: 200, headers: { 'Record-Total': '262', 'total-records-on-page': '' }, body: Buffer.alloc(0) };
    expect(header(res, 'record-total')).toBe('262');
    expect(header(res, 'RECORD-TOTAL')).toBe('262');
    expect(header(res, 'Total-Records-On-Page')).toBe('');
  });
});

describe('paging', () => {
  it('pages a week with more rows than one page until Record-Total, with the real filters', async () => {
    const rows = await t.client.weekRows(OTCE_FIRM);
    expect(rows).toHaveLength(5328);
    const calls = double.dataRequests();
    expect(calls.map((c) => c.body?.offset)).toEqual([0, 5000]);
    expect(calls[0]?.headers.accept).toBe('application/json');
    expect(calls[0]?.body).toMatchObject({
      limit: 5000,
      compareFilters: [
        { compareType: 'EQUAL', fieldName: 'weekStartDate', fieldValue: '2025-11-10' },
        { compareType: 'EQUAL', fieldName: 'tierIdentifier', fieldValue: 'OTCE' },
        { compareType: 'EQUAL', fieldName: 'summaryTypeCode', fieldValue: 'ATS_W_SMBL_FIRM' },
      ],
    });
  });

  it('advances by the rows actually received when the payload cap cuts a page short', async () => {
    await double.close();
    double = await new FinraDouble({ rows: defaultFinraRows(), maxPageBytes: 300_000 }).start();
    t = testClient(double.url);
    const rows = await t.client.weekRows(OTCE_FIRM);
    expect(rows).toHaveLength(5328);
    const offsets = double.dataRequests().map((c) => c.body?.offset as number);
    expect(offsets.length).toBeGreaterThan(2);
    expect(offsets.slice(1).every((o) => o % 5000 !== 0)).toBe(true);
    // Same rows, same order as the data set: nothing skipped or repeated across page boundaries.
    expect(rows.map((r) => `${r.issueSymbolIdentifier} ${r.MPID}`)).toEqual(
      otceFirmRows('2025-11-10').map((r) => `${r.issueSymbolIdentifier} ${r.MPID}`),
    );
  });

  describe('with the next page asked for while one travels (FINRA answers in 300 ms here)', () => {
    // Two real OTCE weeks' rows under one week: 10,520 rows, three pages of 5,000 at most.
    const week = [...otceFirmRows('2025-11-10'), ...relabelWeek(otceFirmRows('2025-11-17'), '2025-11-10', 'OTCE')];
    // The order FINRA serves them in: the week's sort on the double's rows, not the client's.
    const served = sortRows(week, [...WEEK_SORT]).map(
      (r) => `${String(r.issueSymbolIdentifier)}|${String(r.MPID)}|${String(r.totalWeeklyShareQuantity)}`,
    );
    const read = (rows: FinraRow[]) =>
      rows.map((r) => `${String(r.issueSymbolIdentifier)}|${String(r.MPID)}|${String(r.totalWeeklyShareQuantity)}`);

    it('has two pages on their way at most, and reads every row once, in order', async () => {
      await double.close();
      double = await new FinraDouble({ rows: week, dataLatencyMs: 300 }).start();
      t = testClient(double.url);
      const rows = await t.client.weekRows(OTCE_FIRM);
      expect(Math.ceil(week.length / 5000)).toBe(3); // so the offsets are 0, 5000 and 10000
      expect(read(rows)).toEqual(served);
      expect(double.dataRequests().map((c) => c.body?.offset)).toEqual([0, 5000, 10000]);
      expect(double.maxDataInFlight).toBe(2);
    });

    it("stops when the caller's signal aborts, and leaves nothing listening on it, aborted or not", async () => {
      await double.close();
      double = await new FinraDouble({ rows: week, dataLatencyMs: 300 }).start();
      t = testClient(double.url);
      const whole = new AbortController();
      await t.client.weekRows(OTCE_FIRM, whole.signal);
      expect(getEventListeners(whole.signal, 'abort')).toHaveLength(0);

      const stopped = new AbortController();
      let askedWhenStopped = 0;
      const rows = t.client.weekRows(OTCE_FIRM, stopped.signal);
      setTimeout(() => {
        askedWhenStopped = double.dataRequests().length; // by now two pages travel together
        stopped.abort(new Error('shutting down'));
      }, 450);
      await expect(rows).rejects.toThrow();
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(double.dataRequests().length).toBe(askedWhenStopped); // nothing asked for after the abort
      expect(getEventListeners(stopped.signal, 'abort')).toHaveLength(0);
    });

    it('drops the page asked for ahead when the payload cap cuts the one before it short, and asks for the right offset', async () => {
      await double.close();
      double = await new FinraDouble({ rows: week, dataLatencyMs: 300, maxPageBytes: 1_000_000 }).start();
      const logs = captureLogs('debug');
      t = testClient(double.url, { logger: logs.logger });
      const rows = await t.client.weekRows(OTCE_FIRM);
      expect(read(rows)).toEqual(served);
      const offsets = double.dataRequests().map((c) => c.body?.offset as number);
      const dropped = logs.lines.filter((l) => l.msg === 'a page came cut short: the page asked for ahead is dropped');
      expect(dropped.length).toBeGreaterThan(0);
      // Every dropped guess was a full page on from a page that came short; the right offsets were asked for after it.
      for (const line of dropped) {
        expect(offsets).toContain(line.asked);
        expect(offsets).toContain(line.needed);
        expect(line.asked).toBeGreaterThan(line.needed as number);
      }
      expect(double.maxDataInFlight).toBeLessThanOrEqual(2);
    });
  });

  it('fetches several summary types as one paged sequence, asking only for the fields it uses', async () => {
    const rows = await t.client.weekRows({
      weekStart: '2025-11-17',
      tier: 'T2',
      summaryTypes: ['ATS_W_SMBL_FIRM', 'ATS_W_SMBL', 'OTC_W_SMBL'],
    });
    expect(rows.map((r) => r.summaryTypeCode).sort()).toEqual([...Array(26).fill('ATS_W_SMBL_FIRM'), 'ATS_W_SMBL', 'OTC_W_SMBL'].sort());
    const [call] = double.dataRequests();
    expect(call?.body).toMatchObject({
      compareFilters: [
        { compareType: 'EQUAL', fieldName: 'weekStartDate', fieldValue: '2025-11-17' },
        { compareType: 'EQUAL', fieldName: 'tierIdentifier', fieldValue: 'T2' },
      ],
      domainFilters: [{ fieldName: 'summaryTypeCode', values: ['ATS_W_SMBL_FIRM', 'ATS_W_SMBL', 'OTC_W_SMBL'] }],
    });
    expect(call?.body?.fields).toContain('totalNotionalSum');
    expect(call?.body?.fields).not.toContain('firmCRDNumber');
    expect(Object.keys(rows[0]!)).not.toContain('firmCRDNumber');
  });

  it('reads 204 No Content as no rows', async () => {
    const rows = await t.client.weekRows({ weekStart: '2020-01-06', tier: 'T1', summaryTypes: ['ATS_W_SMBL_FIRM'] });
    expect(rows).toEqual([]);
  });

  it('refuses a 204 in the middle of a page sequence', async () => {
    double.faults.push({ kind: 'no-content', when: (r) => r.body?.offset === 5000 });
    await expect(t.client.weekRows(OTCE_FIRM)).rejects.toThrow(IncompleteDataError);
  });

  it('refuses a page whose body holds fewer rows than its header says', async () => {
    double.faults.push({ kind: 'short-page', drop: 10, when: (r) => r.body?.offset === 5000 });
    await expect(t.client.weekRows(OTCE_FIRM)).rejects.toThrow(/Total-Records-On-Page/);
  });

  it('refuses an empty page before Record-Total is reached', async () => {
    double.faults.push({ kind: 'empty-page', when: (r) => r.body?.offset === 5000 });
    await expect(t.client.weekRows(OTCE_FIRM)).rejects.toThrow(/before Record-Total/);
  });

  it('refuses a Record-Total that changes between pages', async () => {
    double.faults.push({ kind: 'change-total', by: 7, when: (r) => r.body?.offset === 5000 });
    await expect(t.client.weekRows(OTCE_FIRM)).rejects.toThrow(/Record-Total changed/);
  });

  it('refuses a body that is not JSON', async () => {
    double.faults.push({ kind: 'malformed' });
    await expect(t.client.weekRows(OTCE_FIRM)).rejects.toThrow(/not JSON/);
  });
});

describe('partitions', () => {
  it("lists FINRA's published weeks per tier, newest first; stray tiers (NMS, NA, OTC) are counted and logged, not dropped silently", async () => {
    const logs = captureLogs();
    await t.agent.close();
    t = testClient(double.url, { logger: logs.logger });
    const { partitions, skipped } = await t.client.partitions();
    expect(partitions).toEqual([
      { weekStart: '2025-11-17', tier: 'OTCE' },
      { weekStart: '2025-11-17', tier: 'T2' },
      { weekStart: '2025-11-10', tier: 'OTCE' },
    ]);
    expect(skipped).toEqual({ NMS: 2, NA: 1, OTC: 1 });
    expect(logs.lines.find((l) => String(l.msg).includes('tiers we do not load'))).toMatchObject({ skipped: { NMS: 2, NA: 1, OTC: 1 } });
  });
});

describe('errors and credentials', () => {
  it("fails fast on a 400 with FINRA's own message, without retrying", async () => {
    const logs = captureLogs();
    await t.agent.close();
    t = testClient(double.url, { logger: logs.logger });
    double.faults.push({
      kind: 'status',
      status: 400,
      body: JSON.stringify({ statusCode: 400, statusDescription: 'Bad Request', message: 'Invalid date field format' }),
    });
    const err = await t.client.weekRows(OTCE_FIRM).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamHttpError);
    expect((err as Error).message).toBe('HTTP 400: Bad Request: Invalid date field format');
    expect(double.dataRequests()).toHaveLength(1);
    expect(logs.lines.some((l) => String(l.err).includes('Invalid date field format'))).toBe(true);
  });

  it('gets a token with client credentials, caches it, and refreshes it once on a 401', async () => {
    await double.close();
    double = await new FinraDouble({
      rows: tqqqRows(),
      oauth: { clientId: 'id', clientSecret: 'secret', token: 'tok-1', expiresIn: 3600 },
    }).start();
    t = testClient(double.url, { auth: { id: 'id', secret: 'secret' } });
    await t.client.partitions();
    await t.client.weekRows({ weekStart: '2025-11-17', tier: 'T2', summaryTypes: ['ATS_W_SMBL'] });
    expect(double.tokensIssued).toBe(1);
    expect(double.dataRequests()[0]?.headers.authorization).toBe('Bearer tok-1');

    double.faults.push({ kind: 'status', status: 401 });
    const rows = await t.client.weekRows({ weekStart: '2025-11-17', tier: 'T2', summaryTypes: ['ATS_W_SMBL'] });
    expect(rows).toHaveLength(1);
    expect(double.tokensIssued).toBe(2);
  });
});

describe('bad credentials', () => {
  it("fail at once with FINRA's invalid_client (a 400, not a 401), asked for with our User-Agent", async () => {
    await double.close();
    double = await new FinraDouble({
      rows: tqqqRows(),
      oauth: { clientId: 'id', clientSecret: 'secret', token: 'tok-1', expiresIn: 3600 },
    }).start();
    t = testClient(double.url, { auth: { id: 'id', secret: 'wrong' } });
    const err = await t.client.partitions().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamHttpError);
    expect((err as Error).message).toBe('HTTP 400: invalid_client');
    const tokenRequests = double.requests.filter((r) => r.path.endsWith('/access_token'));
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]!.headers['user-agent']).toMatch(/^darkpool-radar\//);
  });
});

describe('row schema', () => {
  const verbatim = JSON.parse(readFileSync(`${FIXTURES}finra/api_rows_verbatim.json`, 'utf8')) as Record<string, unknown[]>;

  it('accepts every verbatim FINRA row, notional in integer and exponent notation', () => {
    const rows = [
      verbatim.ats_w_smbl_firm_row,
      verbatim.ats_w_vol_stats_row,
      ...(verbatim.ats_w_smbl_rows_AAPL as unknown[]),
      ...(verbatim['ats_w_smbl_rows_BRK.B'] as unknown[]),
    ].map((r, i) => parseFinraRow(r, i));
    expect(rows).toHaveLength(24);
    expect(rows[0]?.totalNotionalSum).toBe(1257506);
    expect(rows.some((r) => r.totalNotionalSum !== null && !Number.isInteger(r.totalNotionalSum))).toBe(true);
  });

  it('reads exponent notation as text too, keeps nulls as null, takes shares to six decimals and rejects finer ones or fractional trades', () => {
    const row = parseFinraRow(
      { totalWeeklyShareQuantity: '1.2E7', totalWeeklyTradeCount: null, totalNotionalSum: '1.0465704323210629E10' },
      0,
    );
    expect(row.totalWeeklyShareQuantity).toBe(12_000_000);
    expect(row.totalWeeklyTradeCount).toBeNull();
    expect(row.totalNotionalSum).toBe(10465704323.210629);
    expect(parseFinraRow({ totalWeeklyShareQuantity: 243764.846662 }, 3).totalWeeklyShareQuantity).toBe(243764.846662);
    expect(parseFinraRow({ totalWeeklyShareQuantity: '10.5' }, 3).totalWeeklyShareQuantity).toBe(10.5);
    expect(() => parseFinraRow({ totalWeeklyShareQuantity: 10.0000005 }, 3)).toThrow(/more than 6 decimals/);
    expect(() => parseFinraRow({ totalWeeklyTradeCount: 10.5 }, 3)).toThrow(RowValidationError);
    expect(() => parseFinraRow({ totalWeeklyShareQuantity: 'lots' }, 3)).toThrow(/row 3: totalWeeklyShareQuantity/);
  });

  it('refuses the whole page when one row is invalid', async () => {
    const rows = defaultFinraRows();
    const bad = rows.find((r) => r.weekStartDate === '2025-11-10' && r.summaryTypeCode === 'ATS_W_SMBL_FIRM')!;
    bad.totalWeeklyShareQuantity = -5;
    double.setRows(rows);
    await expect(t.client.weekRows(OTCE_FIRM)).rejects.toThrow(RowValidationError);
  });
});

describe('rate', () => {
  it('spaces requests to stay well under FINRA’s 20 requests per second', async () => {
    const { HttpGateway } = await import('../../src/finra/http.js');
    const slept: number[] = [];
    let clock = 0;
    const gateway = new HttpGateway({
      dispatcher: t.agent,
      logger: captureLogs().logger,
      sleep: async (ms) => {
        slept.push(ms);
        clock += ms;
      },
      now: () => clock,
    });
    for (let i = 0; i < 5; i++) await gateway.send({ method: 'GET', url: `${double.url}/partitions/group/otcMarket/name/weeklySummary` });
    expect(slept).toEqual([100, 100, 100, 100]); // 10 requests a second at most, half of FINRA's limit
    expect(double.requests.map((r) => r.path)).not.toContain(DATA_PATH);
  });
});
