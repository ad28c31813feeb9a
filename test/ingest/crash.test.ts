// kill -9 of a real ingest process, mid-fetch and mid-publish: the store stays as it was before the
// week's transaction, and a server on the same database keeps answering with the previous data.
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FinraDouble, type Row } from '../support/finra-double.js';
import { removeTempDirs, tempDbPath } from '../support/harness.js';
import { eventually, startNode, type Proc } from '../support/processes.js';
import { syntheticWeek } from '../support/synthetic.js';

const WEEK = '2026-01-05';
const SYMBOLS = Array.from({ length: 8000 }, (_, i) => `S${String(i).padStart(4, '0')}`);
const ATSS = ['UBSA', 'JPBX', 'MLIX', 'INCR', 'KCGM', 'SGMT', 'LATS', 'EBXL', 'CGXS', 'BIDS', 'ICBX', 'IATS'];

/** Synthetic (labelled so): a small week, then FINRA's "revision" of it with 96,000 per-ATS rows. */
const small = (): Row[] =>
  syntheticWeek(
    WEEK,
    'T1',
    SYMBOLS.map((symbol, i) => ({ symbol, mpid: 'UBSA', shares: 1000 + i, trades: 10 })),
  );
const big = (): Row[] =>
  syntheticWeek(
    WEEK,
    'T1',
    SYMBOLS.flatMap((symbol, i) => ATSS.map((mpid, j) => ({ symbol, mpid, shares: 100 + i + j, trades: 1 + j }))),
  );

let double: FinraDouble;
let dbPath: string;
let env: Record<string, string>;
let server: Proc;
let base: string;
const procs: Proc[] = [];

function weekState(): string {
  const db = new Database(dbPath, { readonly: true });
  try {
    return JSON.stringify([
      db.prepare('SELECT week_start, tier, firm_rows, symbols, checksum, revisions FROM weeks').all(),
      db.prepare('SELECT count(*) AS n, sum(shares) AS shares FROM ats_rows').get(),
      db.prepare('SELECT count(*) AS n, sum(shares) AS shares FROM symbol_weeks').get(),
      db.pragma('integrity_check', { simple: true }),
    ]);
  } finally {
    db.close();
  }
}

/** True while another connection holds SQLite's write lock (a publish transaction). */
function writerBusy(probe: Database.Database): boolean {
  try {
    probe.exec('BEGIN IMMEDIATE');
    probe.exec('ROLLBACK');
    return false;
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return true;
    throw err;
  }
}

beforeAll(async () => {
  double = await new FinraDouble({ rows: small() }).start();
  dbPath = tempDbPath();
  env = { FINRA_API_URL: double.url, DB_PATH: dbPath, LOG_LEVEL: 'warn', DAILY_WINDOW_DAYS: '0' };
  const first = startNode(['dist/cli.js', 'ingest', '--tiers', 'T1', '--weeks', '1'], env);
  expect((await first.exit).code).toBe(0);
  double.setRows(big());
  server = startNode(['dist/server.js'], { ...env, PORT: '0', INGEST_CRON: 'off', LOG_LEVEL: 'info', RATE_LIMIT_MAX: '0' });
  [, base] = (await server.waitFor(/Server listening at (http:\/\/127\.0\.0\.1:\d+)/)) as [string, string];
});
afterEach(async () => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
});
afterAll(async () => {
  server.child.kill('SIGKILL');
  await double.close();
  removeTempDirs();
});

async function served(): Promise<number> {
  const res = await fetch(`${base}/darkpool/weekly/S0042`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { dark_pool_shares: number }).dark_pool_shares;
}

describe('kill -9 of an ingest', () => {
  it('at several moments while fetching: nothing changes', async () => {
    const before = weekState();
    for (const afterMs of [150, 900, 2500]) {
      const ingest = startNode(['dist/cli.js', 'ingest', '--tiers', 'T1', '--weeks', '1'], env);
      procs.push(ingest);
      await new Promise((r) => setTimeout(r, afterMs));
      ingest.child.kill('SIGKILL');
      expect((await ingest.exit).signal).toBe('SIGKILL');
      expect(weekState()).toBe(before);
      expect(await served()).toBe(1042);
    }
  });

  it('in the middle of the publish transaction: the store is as before it, the server keeps serving, the next run recovers', async () => {
    const before = weekState();
    const probe = new Database(dbPath, { timeout: 0 });
    const ingest = startNode(['dist/cli.js', 'ingest', '--tiers', 'T1', '--weeks', '1'], env);
    procs.push(ingest);
    const answers: number[] = [];
    // Serve requests all along; kill the ingest once its write transaction is under way.
    await eventually(
      async () => {
        answers.push(await served());
        // Two busy probes in a row: not one of the tiny autocommit writes, the week's transaction.
        if (writerBusy(probe) && writerBusy(probe)) {
          ingest.child.kill('SIGKILL');
          return true;
        }
        return undefined;
      },
      60_000,
      2,
    );
    probe.close();
    expect((await ingest.exit).signal).toBe('SIGKILL');
    expect(weekState()).toBe(before);
    expect(await served()).toBe(1042);
    expect(new Set(answers)).toEqual(new Set([1042]));

    // The dead process still holds the lock row; the next run sees it is dead and takes over.
    const again = startNode(['dist/cli.js', 'ingest', '--tiers', 'T1', '--weeks', '1'], env);
    procs.push(again);
    expect((await again.exit).code).toBe(0);
    const db = new Database(dbPath, { readonly: true });
    const runs = db.prepare('SELECT status, summary FROM runs ORDER BY id').all() as { status: string; summary: string }[];
    const week = db.prepare('SELECT firm_rows, revisions FROM weeks').get();
    db.close();
    expect(week).toEqual({ firm_rows: 96_000, revisions: 1 });
    expect(runs.at(-1)?.status).toBe('ok');
    expect(runs.filter((r) => r.summary?.includes('abandoned')).length).toBeGreaterThanOrEqual(1);
    // The server sees another process's publish within a second (its revision check).
    const revised = ATSS.reduce((n, _, j) => n + 100 + 42 + j, 0);
    expect(await eventually(async () => ((await served()) === revised ? true : undefined), 5_000)).toBe(true);
  }, 90_000);
});

describe('one ingest at a time', () => {
  it('a second process refuses to start while one runs, and says who holds the lock', async () => {
    double.faults.push({ kind: 'hang' });
    const first = startNode(['dist/cli.js', 'ingest', '--tiers', 'T1', '--weeks', '1'], env);
    procs.push(first);
    await eventually(async () => {
      const db = new Database(dbPath, { readonly: true });
      const held = db.prepare('SELECT 1 FROM ingest_lock').get();
      db.close();
      return held ? true : undefined;
    });
    const second = startNode(['dist/cli.js', 'ingest', '--tiers', 'T1', '--weeks', '1'], env);
    procs.push(second);
    expect((await second.exit).code).toBe(75);
    expect(second.output()).toMatch(new RegExp(`another ingest is running \\(pid ${first.child.pid} `));
    first.child.kill('SIGTERM'); // aborts the hung request and ends the run cleanly
    expect((await first.exit).code).toBe(1);
    const db = new Database(dbPath, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM ingest_lock').get()).toEqual({ n: 0 });
    expect(db.prepare('SELECT status FROM runs ORDER BY id DESC LIMIT 1').get()).toEqual({ status: 'failed' });
    db.close();
  });
});
