import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEMO_FILES } from '../../src/cli/commands/demo.js';
import { FinraDouble } from '../support/finra-double.js';
import { defaultFinraRows, regshoFiles, regshoRows } from '../support/fixtures.js';
import { cli, removeTempDirs, tempDbPath } from '../support/harness.js';
import { eventually, startNode, type Proc } from '../support/processes.js';

let proc: Proc | undefined;
let double: FinraDouble | undefined;

afterEach(async () => {
  if (proc && proc.child.exitCode === null) {
    proc.child.kill('SIGKILL');
    await proc.exit;
  }
  await double?.close();
  proc = undefined;
  double = undefined;
});
afterAll(removeTempDirs);

const status = async (url: string) => (await fetch(url)).status;

describe('npm start (dist/server.js)', () => {
  it('with an empty store, answers 503 no_data, ingests at once in the background, then serves the data', async () => {
    double = await new FinraDouble({ rows: defaultFinraRows() }).start();
    proc = startNode(['dist/server.js'], {
      PORT: '0',
      DB_PATH: tempDbPath(),
      FINRA_API_URL: double.url,
      LOG_LEVEL: 'info',
      DAILY_WINDOW_DAYS: '0',
    });
    const [, base] = await proc.waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
    const first = await fetch(`${base}/darkpool/movers/top20`);
    expect(first.status).toBe(503);
    expect(((await first.json()) as any).code).toBe('no_data');
    await eventually(async () => ((await status(`${base}/darkpool/movers/top20`)) === 200 ? true : undefined));
    await proc.waitFor(/"trigger":"startup","code":0.*ingest finished/);
    expect(proc.output()).toMatch(/ingest scheduled \(UTC\)/);
  });

  it('keeps serving, logs why, and says when it tries again, when FINRA refuses the first ingest', async () => {
    double = await new FinraDouble({ rows: [] }).start();
    for (let i = 0; i < 10; i++)
      double.faults.push({
        kind: 'status',
        status: 403,
        body: '{"statusCode":403,"statusDescription":"Forbidden","message":"Access denied"}',
      });
    proc = startNode(['dist/server.js'], {
      PORT: '0',
      DB_PATH: tempDbPath(),
      FINRA_API_URL: double.url,
      LOG_LEVEL: 'info',
      DAILY_WINDOW_DAYS: '0',
    });
    const [, base] = await proc.waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
    await proc.waitFor(/ingest did not finish cleanly; nothing is loaded yet/);
    // It says when it will try again, and that nothing is loaded.
    await proc.waitFor(/nothing is loaded yet: the first ingest loaded no week; trying again/);
    expect(proc.output()).toMatch(/HTTP 403: Forbidden: Access denied/);
    expect(await status(`${base}/darkpool/sectors`)).toBe(503);
    expect(await status(`${base}/docs`)).toBe(200);
  });

  it('stops with a message naming a bad variable', async () => {
    proc = startNode(['dist/server.js'], { PORT: '70000', DB_PATH: tempDbPath() });
    const { code } = await proc.exit;
    expect(code).toBe(78);
    expect(proc.output()).toMatch(/PORT: .*"70000"/);
  });
});

describe('shutdown and backups', () => {
  it('on SIGTERM stops the running ingest, finishes, closes the store and exits 0', async () => {
    double = await new FinraDouble({ rows: defaultFinraRows() }).start();
    double.faults.push({ kind: 'hang' }); // the startup ingest waits on FINRA
    const dbPath = tempDbPath();
    proc = startNode(['dist/server.js'], {
      PORT: '0',
      DB_PATH: dbPath,
      FINRA_API_URL: double.url,
      LOG_LEVEL: 'info',
      DAILY_WINDOW_DAYS: '0',
    });
    const [, base] = await proc.waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/);
    const [, childPid] = await proc.waitFor(/"trigger":"startup","pid":(\d+),"msg":"ingest started"/);
    await eventually(async () => (double!.requests.length > 0 ? true : undefined));
    expect(await status(`${base}/livez`)).toBe(200);
    proc.child.kill('SIGTERM');
    expect((await proc.exit).code).toBe(0);
    expect(proc.output()).toMatch(/shutting down[\s\S]*stopped/);
    expect(() => process.kill(Number(childPid), 0)).toThrow(); // the ingest child is gone
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare('SELECT status, summary FROM runs').all()).toEqual([
      { status: 'failed', summary: expect.stringContaining('interrupted by a signal') },
    ]);
    expect(db.prepare('SELECT count(*) AS n FROM ingest_lock').get()).toEqual({ n: 0 });
    db.close();
  });

  it('backup writes a consistent copy of the live database while the server runs', async () => {
    const dbPath = tempDbPath();
    const loaded = await cli(['import', ...DEMO_FILES], { DB_PATH: dbPath });
    expect(loaded.code).toBe(0);
    proc = startNode(['dist/server.js'], { PORT: '0', DB_PATH: dbPath, INGEST_CRON: 'off', LOG_LEVEL: 'info' });
    await proc.waitFor(/Server listening at/);
    const copy = `${tempDbPath()}.bak`;
    const backup = await cli(['backup', copy], { DB_PATH: dbPath });
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/3 weeks, integrity ok/);
    const original = new Database(dbPath, { readonly: true });
    const restored = new Database(copy, { readonly: true });
    const dump = (db: Database.Database) =>
      JSON.stringify(db.prepare('SELECT * FROM ats_rows ORDER BY week_start, tier, symbol, mpid').all());
    expect(dump(restored)).toBe(dump(original));
    original.close();
    restored.close();
    expect((await cli(['backup', copy], { DB_PATH: dbPath })).stderr).toMatch(/exists; give --force/);
  });
});

describe('npm run demo', () => {
  it('serves the bundled real FINRA weeks from a temporary store, offline, and cleans up on SIGTERM', async () => {
    proc = startNode(['dist/cli.js', 'demo'], { PORT: '0', LOG_LEVEL: 'warn', FINRA_API_URL: 'http://127.0.0.1:9' });
    const [, base] = await proc.waitFor(/demo on the bundled FINRA data: (http:\/\/127\.0\.0\.1:\d+)/);
    const movers = (await (await fetch(`${base}/darkpool/movers/top20`)).json()) as any;
    expect(movers.data).toHaveLength(20);
    expect(movers.tiers).toEqual(['OTCE', 'T2']);
    const tqqq = (await (await fetch(`${base}/darkpool/weekly/TQQQ`)).json()) as any;
    expect(tqqq.ats_venues).toBe(26);
    // FINRA's bundled daily files of December 2021 are loaded too: the daily endpoints answer from them.
    const aapl = (await (await fetch(`${base}/darkpool/daily/AAPL?days=22`)).json()) as any;
    expect(aapl.data.map((d: { trade_date: string }) => d.trade_date)).toEqual(
      [...regshoFiles().keys()]
        .sort()
        .reverse()
        .map((f) => `${f.slice(9, 13)}-${f.slice(13, 15)}-${f.slice(15, 17)}`),
    );
    expect(aapl.data[0].off_exchange_shares).toBe(regshoRows('CNMSshvol20211231.txt').get('AAPL')!.total);
    // A browser at / gets the dashboard, and its bundled script is served from this process.
    const page = await fetch(`${base}/`, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const script = /src="([^"]+\.js)"/.exec(await page.text())![1]!;
    const asset = await fetch(new URL(script, base));
    expect(asset.status).toBe(200);
    expect((await asset.text()).length).toBeGreaterThan(1000);
    const [, db] = await proc.waitFor(/temporary store (\S+demo\.db), removed on exit/);
    expect(existsSync(db!)).toBe(true);
    proc.child.kill('SIGTERM');
    expect((await proc.exit).code).toBe(0);
    expect(existsSync(db!)).toBe(false);
  });
});
