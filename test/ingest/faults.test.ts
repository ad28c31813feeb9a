// FINRA faults, driven through the double, against a real store: each leaves the store either
// correctly updated or exactly as it was, and the retries wait as documented.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY } from '../../src/finra/http.js';
import { ingestFromFinra } from '../../src/ingest/run.js';
import { SectorTable } from '../../src/sectors/table.js';
import { Store } from '../../src/store/store.js';
import { ingestContext } from '../support/app.js';
import { FinraDouble, type Fault, type Row } from '../support/finra-double.js';
import { defaultFinraRows } from '../support/fixtures.js';
import { captureLogs, tempDbPath, testClient, type TestClient } from '../support/harness.js';
import { openStore } from '../../src/compose.js';

let double: FinraDouble;
let store: Store;
let t: TestClient;

beforeEach(async () => {
  double = await new FinraDouble({ rows: defaultFinraRows() }).start();
  store = openStore(tempDbPath(), SectorTable.load());
  t = testClient(double.url, { bodyTimeout: 500 });
});
afterEach(async () => {
  await t.agent.close();
  await double.close();
  store.close();
});

/** Each call is a later run: the clock moves on an hour between runs. */
let clock = Date.parse('2026-02-02T06:00:00Z');
const ingest = (logger = captureLogs().logger) => {
  clock += 3_600_000;
  const at = clock;
  return ingestFromFinra({ ...ingestContext(store, () => new Date(at)), logger }, t.client, { trigger: 'test', tiers: ['OTCE'], weeks: 2 });
};

/** Every stored row of the OTCE weeks, as one string. */
function state(): string {
  const all = (sql: string) => store.db.prepare(sql).all();
  return JSON.stringify([
    all("SELECT * FROM ats_rows WHERE tier = 'OTCE' ORDER BY week_start, symbol, mpid"),
    all("SELECT * FROM symbol_weeks WHERE tier = 'OTCE' ORDER BY week_start, symbol"),
    all("SELECT * FROM weeks WHERE tier = 'OTCE' ORDER BY week_start"),
  ]);
}

const onWeek = (week: string, offset?: number) => (r: { body: Record<string, unknown> | null }) =>
  JSON.stringify(r.body).includes(week) && (offset === undefined || r.body?.offset === offset);

describe('retries', () => {
  it('retries a 503 with exponential backoff and jitter, then loads the week', async () => {
    double.faults.push({ kind: 'status', status: 503 }, { kind: 'status', status: 503 });
    const run = await ingest();
    expect(run.status).toBe('ok');
    // random() is pinned to 0.5 in the test client: waits are half of base * 2^retry.
    expect(t.sleeps).toEqual([50, 100]);
  });

  it('honours Retry-After on a 429', async () => {
    double.faults.push({ kind: 'status', status: 429, headers: { 'retry-after': '7' } });
    const run = await ingest();
    expect(run.status).toBe('ok');
    expect(t.sleeps).toEqual([7000]);
  });

  it('gives up on a hung connection after the body timeout, and retries', async () => {
    double.faults.push({ kind: 'hang', when: onWeek('2025-11-10', 5000) });
    const run = await ingest();
    expect(run.status).toBe('ok');
    expect(t.sleeps).toHaveLength(1);
    expect(store.db.prepare("SELECT firm_rows FROM weeks WHERE week_start = '2025-11-10'").get()).toEqual({ firm_rows: 5328 });
  });

  it('retries a dropped connection', async () => {
    double.faults.push({ kind: 'reset' });
    expect((await ingest()).status).toBe('ok');
    expect(t.sleeps).toHaveLength(1);
  });

  it("fails fast on a 400 with FINRA's message in the log, and touches nothing", async () => {
    await ingest();
    const before = state();
    const logs = captureLogs();
    await t.agent.close();
    t = testClient(double.url, { logger: logs.logger });
    double.faults.push({
      kind: 'status',
      status: 400,
      when: onWeek('2025-11-10'),
      body: JSON.stringify({ statusCode: 400, statusDescription: 'Bad Request', message: 'Invalid date field format' }),
    });
    const run = await ingest();
    expect(run.weeks.find((w) => w.weekStart === '2025-11-10')).toMatchObject({
      outcome: 'failed',
      detail: 'HTTP 400: Bad Request: Invalid date field format',
    });
    expect(logs.lines.some((l) => l.msg === 'FINRA refused the request' && String(l.err).includes('Invalid date field format'))).toBe(true);
    expect(t.sleeps).toEqual([]);
    expect(state()).toBe(before);
  });

  it('stops after the documented number of attempts', () => {
    expect(DEFAULT_RETRY).toEqual({ attempts: 5, baseDelayMs: 1_000, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 });
    // Full jitter: a wait is uniform in [0, min(30 s, 1 s * 2^retry)].
    expect([0, 1, 2, 3, 4, 5].map((r) => backoffDelay(r, DEFAULT_RETRY, () => 1))).toEqual([1000, 2000, 4000, 8000, 16000, 30000]);
    expect(backoffDelay(3, DEFAULT_RETRY, () => 0)).toBe(0);
  });
});

describe('truncation and bad bodies leave the loaded week exactly as it was', () => {
  const faults: [string, Fault][] = [
    ['a short page', { kind: 'short-page', drop: 25, when: onWeek('2025-11-10', 5000) }],
    ['an empty page before Record-Total', { kind: 'empty-page', when: onWeek('2025-11-10', 5000) }],
    ['a Record-Total that changes between pages', { kind: 'change-total', by: 3, when: onWeek('2025-11-10', 5000) }],
    ['a body that is not JSON', { kind: 'malformed', when: onWeek('2025-11-10', 5000) }],
    ['a 204 in the middle of the pages', { kind: 'no-content', when: onWeek('2025-11-10', 5000) }],
  ];
  for (const [name, fault] of faults) {
    it(`refuses ${name}`, async () => {
      await ingest();
      // FINRA has since revised the week; the faulty answer must not half-apply the revision.
      const rows = defaultFinraRows();
      revise(rows, '2025-11-10', 'AABB', 100);
      double.setRows(rows);
      const before = state();
      double.faults.push(fault);
      const run = await ingest();
      expect(run.weeks.find((w) => w.weekStart === '2025-11-10')?.outcome).toBe('refused');
      expect(state()).toBe(before);
      const [recorded] = store.db
        .prepare("SELECT outcome FROM run_weeks WHERE week_start = '2025-11-10' ORDER BY rowid DESC LIMIT 1")
        .all();
      expect(recorded).toEqual({ outcome: 'refused' });
    });
  }

  it('refuses duplicate natural keys across pages', async () => {
    await ingest();
    const before = state();
    const rows = defaultFinraRows();
    const firstFirm = rows.findIndex((r) => r.weekStartDate === '2025-11-10' && r.summaryTypeCode === 'ATS_W_SMBL_FIRM');
    // The same (symbol, ATS) again, at the end of the week's rows (so on the second page).
    const lastFirm = rows.findLastIndex((r) => r.weekStartDate === '2025-11-10' && r.summaryTypeCode === 'ATS_W_SMBL_FIRM');
    rows[lastFirm] = { ...rows[firstFirm]! };
    double.setRows(rows);
    const run = await ingest();
    expect(run.weeks.find((w) => w.weekStart === '2025-11-10')).toMatchObject({
      outcome: 'refused',
      detail: expect.stringMatching(/duplicate_key/),
    });
    expect(state()).toBe(before);
  });
});

describe('revisions', () => {
  it('re-publishes a revised week whole, counts the revision, keeps FINRA’s lastUpdateDate, and refreshes the next week’s trend', async () => {
    await ingest();
    const trendBefore = store.db
      .prepare("SELECT change_pct FROM symbol_weeks WHERE week_start = '2025-11-17' AND symbol = 'AABB'")
      .get() as { change_pct: number };

    const rows = defaultFinraRows();
    revise(rows, '2025-11-10', 'AABB', 1_000_000, '2026-02-02');
    double.setRows(rows);
    const run = await ingest();
    const week = run.weeks.find((w) => w.weekStart === '2025-11-10');
    expect(week).toMatchObject({
      outcome: 'revised',
      detail: 'FINRA lastUpdateDate 2025-12-15 -> 2026-02-02; ATS shares changed for 1 symbols',
    });
    expect(run.weeks.find((w) => w.weekStart === '2025-11-17')?.outcome).toBe('unchanged');

    const stored = store.db
      .prepare("SELECT revisions, last_update, loaded_at < updated_at AS moved FROM weeks WHERE week_start = '2025-11-10'")
      .get();
    expect(stored).toEqual({ revisions: 1, last_update: '2026-02-02', moved: 1 });
    const aabb = store.db.prepare("SELECT shares FROM symbol_weeks WHERE week_start = '2025-11-10' AND symbol = 'AABB'").get() as {
      shares: number;
    };
    const original = defaultFinraRows().filter(
      (r) => r.weekStartDate === '2025-11-10' && r.summaryTypeCode === 'ATS_W_SMBL_FIRM' && r.issueSymbolIdentifier === 'AABB',
    );
    expect(aabb.shares).toBe(original.reduce((n, r) => n + (r.totalWeeklyShareQuantity as number), 0) + 1_000_000);

    const trendAfter = store.db
      .prepare("SELECT prev_shares, change_pct FROM symbol_weeks WHERE week_start = '2025-11-17' AND symbol = 'AABB'")
      .get() as { prev_shares: number; change_pct: number };
    expect(trendAfter.prev_shares).toBe(aabb.shares);
    expect(trendAfter.change_pct).not.toBe(trendBefore.change_pct);
  });
});

/** FINRA revises one firm row of a symbol and its per-symbol total, consistently. */
function revise(rows: Row[], week: string, symbol: string, addShares: number, lastUpdate?: string) {
  const firm = rows.find((r) => r.weekStartDate === week && r.summaryTypeCode === 'ATS_W_SMBL_FIRM' && r.issueSymbolIdentifier === symbol)!;
  const total = rows.find((r) => r.weekStartDate === week && r.summaryTypeCode === 'ATS_W_SMBL' && r.issueSymbolIdentifier === symbol)!;
  firm.totalWeeklyShareQuantity = (firm.totalWeeklyShareQuantity as number) + addShares;
  total.totalWeeklyShareQuantity = (total.totalWeeklyShareQuantity as number) + addShares;
  if (lastUpdate) firm.lastUpdateDate = lastUpdate;
}
