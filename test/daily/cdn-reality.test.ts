// FINRA's CDN as it really behaves (../shared/finra/README.md): S3's "no such file" is absence, the
// edge's own 403 is a block, files come late or not at all, and FINRA re-posts a day's file.
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { FinraCdnClient, CdnBlockedError } from '../../src/finra/cdn.js';
import { ingestDaily } from '../../src/ingest/daily.js';
import { HttpGateway } from '../../src/finra/http.js';
import { SectorTable } from '../../src/sectors/table.js';
import { Store } from '../../src/store/store.js';
import { appOn, cdnClient, dailyContext } from '../support/app.js';
import { CdnDouble } from '../support/cdn-double.js';
import { regshoFiles, regshoRows } from '../support/fixtures.js';
import { cli, removeTempDirs, silentLogger, tempDbPath } from '../support/harness.js';
import { openStore } from '../../src/compose.js';

// Monday 3 January 2022, noon UTC: every December 2021 file is out.
const NOW = new Date('2022-01-03T12:00:00Z');
let cdn: CdnDouble;
let store: Store;

beforeEach(async () => {
  cdn = await new CdnDouble(regshoFiles()).start();
  store = openStore(tempDbPath(), SectorTable.load());
});
afterEach(async () => {
  await cdn.close();
  store.close();
});
afterAll(removeTempDirs);

const run = (windowDays: number, now = NOW) =>
  ingestDaily(
    dailyContext(store, () => now),
    cdnClient(cdn.url),
    { trigger: 'test', windowDays },
  );

describe("what FINRA's CDN answers for a day without a file", () => {
  it("is absence when S3 says so (403 AccessDenied, 404 NoSuchKey), and a block when the edge's HTML says 403", async () => {
    const client = cdnClient(cdn.url);
    expect(await client.day('2021-12-24')).toMatchObject({ kind: 'absent', status: 403 });
    cdn.fault('CNMSshvol20211227.txt', { kind: 'no-such-key' });
    expect(await client.day('2021-12-27')).toMatchObject({ kind: 'absent', status: 404 });
    cdn.fault('CNMSshvol20211228.txt', { kind: 'edge-403' });
    const err = await client.day('2021-12-28').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CdnBlockedError);
    expect((err as Error).message).toMatch(/^blocked: .*text\/html/);
  });

  it('is a block for a client that sends no User-Agent: every request carries ours', async () => {
    const agent = new Agent();
    const bare = new FinraCdnClient(new HttpGateway({ dispatcher: agent, logger: silentLogger, minIntervalMs: 0, userAgent: '' }), cdn.url);
    await expect(bare.day('2021-12-01')).rejects.toBeInstanceOf(CdnBlockedError);
    await agent.close();
    cdn.requests.length = 0;
    await cdnClient(cdn.url).day('2021-12-01');
    expect(cdn.requests[0]!.headers['user-agent']).toMatch(/^darkpool-radar\/\d+\.\d+\.\d+ \(\+https:\/\/\S+\)$/);
  });
});

describe('a blocked CDN', () => {
  it('fails the run with a non-zero exit, and /health says blocked although no day ever loaded', async () => {
    cdn.blockAll = true;
    const dbPath = tempDbPath();
    const result = await cli(['ingest', '--only', 'daily'], { FINRA_CDN_URL: cdn.url, DB_PATH: dbPath, DAILY_WINDOW_DAYS: '10' });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/daily run \d+: failed; .* 0 published/);
    // Two days tried (each blocked), then one line for all the days skipped after them.
    const lines = result.stderr.split('\n').filter((l) => / day {2}\d{4}-\d{2}-\d{2} /.test(l));
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatch(/skipped: FINRA unreachable in this run \(and the \d+ days after it\)/);
    const served = openStore(dbPath, SectorTable.load());
    const app = await appOn(served);
    try {
      const health = (await app.inject({ url: '/health' })).json() as { status: string; daily: Record<string, unknown> };
      expect(health.daily).toMatchObject({ days_loaded: 0, blocked: true, last_run: { status: 'failed' } });
    } finally {
      await app.close();
      served.close();
    }
  });
});

describe('a day whose file does not come', () => {
  it('is not published yet on the day, and missing two business days later: the run is partial and /health degraded', async () => {
    // 40 days back reaches 24 November 2021; the double has no file before December.
    const summary = await run(40);
    expect(summary.status).toBe('partial');
    const missing = summary.days.filter((d) => d.outcome === 'missing').map((d) => d.tradeDate);
    expect(missing).toEqual(['2021-11-24', '2021-11-26', '2021-11-29', '2021-11-30']);
    expect(summary.days.filter((d) => d.outcome === 'not_published').map((d) => d.tradeDate)).toEqual(['2022-01-03']);
    const app = await appOn(store);
    try {
      const health = (await app.inject({ url: '/health' })).json() as { daily: Record<string, unknown> };
      expect(health.daily).toMatchObject({ missing_days: missing, blocked: false, last_run: { status: 'partial' } });
    } finally {
      await app.close();
    }
  });

  it('is not missing one business day later', async () => {
    // Friday 31 December's file, asked on Monday 3 January (one business day later), is only late.
    cdn.fault('CNMSshvol20211231.txt', { kind: 'no-such-key' });
    const summary = await run(33);
    expect(summary.days.find((d) => d.tradeDate === '2021-12-31')).toMatchObject({ outcome: 'not_published' });
  });
});

describe('a file FINRA re-posts ("Updated")', () => {
  it('is found by the next run through its validators and published as a revision of the day', async () => {
    await run(33);
    const file = 'CNMSshvol20211230.txt';
    const original = gunzipSync(regshoFiles().get(file)!).toString('latin1');
    const aapl = regshoRows(file).get('AAPL')!;
    const updated = original.replace(
      `|AAPL|${aapl.short}|${aapl.exempt}|${aapl.total}|`,
      `|AAPL|${aapl.short + 100}|${aapl.exempt}|${aapl.total + 100}|`,
    );
    expect(updated).not.toBe(original);
    cdn.update(file, updated, new Date('2022-01-03T10:00:00Z'));
    cdn.requests.length = 0;
    const next = await run(33);
    expect(next.days.filter((d) => d.outcome === 'revised').map((d) => d.tradeDate)).toEqual(['2021-12-30']);
    expect(next.days.filter((d) => d.outcome === 'unchanged').map((d) => d.tradeDate)).toEqual([
      '2021-12-27',
      '2021-12-28',
      '2021-12-29',
      '2021-12-31',
    ]);
    expect(store.db.prepare("SELECT total_volume FROM daily_volumes WHERE symbol = 'AAPL' AND trade_date = '2021-12-30'").get()).toEqual({
      total_volume: aapl.total + 100,
    });
    expect(store.daily.days().find((d) => d.trade_date === '2021-12-30')).toMatchObject({ revisions: 1 });
  });
});
