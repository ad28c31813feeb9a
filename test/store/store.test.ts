// The store's classes on their own, each on an in-memory database: what they promise their callers,
// without an ingest or an HTTP request in between. Inputs are real FINRA rows and a real daily file.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import type { BuiltWeek } from '../../src/domain/week.js';
import { parseShortVolumeFile } from '../../src/finra/short-volume-file.js';
import { buildWeek } from '../../src/ingest/build-week.js';
import { readFinraFile } from '../../src/ingest/files.js';
import { SectorTable } from '../../src/sectors/table.js';
import { DataChanges } from '../../src/store/changes.js';
import { DailyStore } from '../../src/store/daily.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { IngestLock, IngestLockedError, STALE_AFTER_MS } from '../../src/store/lock.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { Publisher, type PublishScorer } from '../../src/store/publish.js';
import { RunLog } from '../../src/store/runs.js';
import { WeekStatus } from '../../src/store/status.js';
import { AAPL_BRKB_WEEKS, REGSHO_DIR, TQQQ_JSON } from '../support/fixtures.js';

let db: Db;
beforeEach(() => {
  db = openDatabase(':memory:');
});

const NOW = '2026-01-05T12:00:00.000Z';
const tqqqWeek = async (): Promise<BuiltWeek> => buildWeek((await readFinraFile(TQQQ_JSON, {})).weeks[0]!);
const totalsWeeks = async () => (await readFinraFile(AAPL_BRKB_WEEKS, { publishedThrough: '2022-01-03' })).weeks.map(buildWeek);

describe('openDatabase', () => {
  it('runs every migration on a new database and registers the exact sum', () => {
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    // 0.1 + 0.2 in floating point is 0.30000000000000004; the exact sum is not.
    expect(db.prepare('SELECT exact_sum(v) AS s FROM (SELECT 0.1 AS v UNION ALL SELECT 0.2)').get()).toEqual({ s: 0.3 });
  });
});

describe('Publisher', () => {
  it('publishes a week, then finds an identical one unchanged and tells its listeners only of changes', async () => {
    const changes = new DataChanges(db);
    const publisher = new Publisher(db, SectorTable.load(), null, changes);
    let told = 0;
    changes.on(() => told++);
    const week = await tqqqWeek();
    expect(publisher.publish(week, { source: 'test', now: NOW })).toEqual({ outcome: 'published', detail: null });
    expect(publisher.publish(week, { source: 'test', now: NOW })).toEqual({ outcome: 'unchanged', detail: null });
    expect(told).toBe(1);
    expect(db.prepare("SELECT value FROM meta WHERE key = 'dataset_revision'").pluck().get()).toBe('1'); // moved once, in the publish
    const stored = db.prepare('SELECT symbol, shares, venues FROM symbol_weeks').all();
    expect(stored).toEqual([{ symbol: 'TQQQ', shares: week.symbols[0]!.shares, venues: 26 }]);
    expect(db.prepare('SELECT count(*) AS n FROM ats_rows').get()).toEqual({ n: week.rows.length });
  });

  it('republishes a changed week whole and says what FINRA changed', async () => {
    const publisher = new Publisher(db, SectorTable.load());
    const week = await tqqqWeek();
    publisher.publish(week, { source: 'test', now: NOW });
    const [first, ...rest] = week.rows;
    const revised: BuiltWeek = {
      ...week,
      rows: [{ ...first!, shares: first!.shares! + 100 }, ...rest],
      checksum: 'revised',
      lastUpdate: '2026-01-02',
    };
    revised.symbols = [{ ...week.symbols[0]!, shares: week.symbols[0]!.shares + 100 }];
    const result = publisher.publish(revised, { source: 'test', now: NOW });
    expect(result.outcome).toBe('revised');
    expect(result.detail).toMatch(/-> 2026-01-02; ATS shares changed for 1 symbols/);
    expect(db.prepare('SELECT revisions FROM weeks').get()).toEqual({ revisions: 1 });
  });

  it('scores through the scorer it was given, in the publish transaction, only on a first publication', async () => {
    const calls: string[] = [];
    const scorer: PublishScorer = {
      estimatesBefore: (weekStart, tier) => (calls.push(`before ${weekStart} ${tier}`), ['estimate']),
      record: (estimates, published) => void calls.push(`record ${estimates.length} ${[...published.keys()].join(',')}`),
    };
    const publisher = new Publisher(db, SectorTable.load(), scorer);
    const week = await tqqqWeek();
    publisher.publish(week, { source: 'test', now: NOW });
    publisher.publish({ ...week, checksum: 'again' }, { source: 'test', now: NOW });
    expect(calls).toEqual(['before 2025-11-17 T2', 'record 1 TQQQ']);
  });

  it('keeps a whole week when per-symbol totals of it arrive, and adds up totals-only files of one week', async () => {
    const publisher = new Publisher(db, SectorTable.load());
    const [w1206] = await totalsWeeks();
    const aapl = { ...w1206!, symbols: w1206!.symbols.filter((s) => s.symbol === 'AAPL') };
    const brkb = { ...w1206!, symbols: w1206!.symbols.filter((s) => s.symbol === 'BRK.B') };
    publisher.publish({ ...aapl, checksum: 'a' }, { source: 'a', now: NOW });
    publisher.publish({ ...brkb, checksum: 'b' }, { source: 'b', now: NOW });
    expect(db.prepare('SELECT symbol FROM symbol_weeks ORDER BY symbol').pluck().all()).toEqual(['AAPL', 'BRK.B']);

    const whole = await tqqqWeek();
    publisher.publish(whole, { source: 'whole', now: NOW });
    const totals = { ...whole, coverage: 'symbol_totals' as const, rows: [], checksum: 'totals' };
    expect(publisher.publish(totals, { source: 'totals', now: NOW })).toMatchObject({
      outcome: 'unchanged',
      detail: expect.stringMatching(/already loaded whole/),
    });
    expect(db.prepare("SELECT coverage, source FROM weeks WHERE tier = 'T2'").get()).toEqual({ coverage: 'full', source: 'whole' });
  });
});

describe('WeekStatus', () => {
  it('plans from whole weeks only: a totals-only week is still to be pulled whole', async () => {
    const publisher = new Publisher(db, SectorTable.load());
    for (const w of await totalsWeeks()) publisher.publish(w, { source: 'file', now: NOW });
    publisher.publish(await tqqqWeek(), { source: 'api', now: NOW });
    const status = new WeekStatus(db);
    expect(status.newestWeek('T1')).toBeUndefined();
    expect(status.newestWeek('T2')).toBe('2025-11-17');
    expect(status.loadedWeeks().map((w) => `${w.tier} ${w.week_start} ${w.coverage}`)).toEqual([
      'T1 2021-12-13 symbol_totals',
      'T1 2021-12-06 symbol_totals',
      'T2 2025-11-17 full',
    ]);
  });

  it('remembers how far FINRA’s changes are loaded, never later than the day before the run', async () => {
    const status = new WeekStatus(db);
    expect(status.changesCheckedThrough()).toBeNull();
    new Publisher(db, SectorTable.load()).publish(await tqqqWeek(), { source: 'api', now: NOW });
    expect(status.changesCheckedThrough()).toBe('2025-12-22'); // the newest lastUpdateDate pulled from the API
    status.markChangesLoaded('2025-12-22');
    expect(status.changesCheckedThrough()).toBe('2025-12-21');
  });
});

describe('RunLog', () => {
  it('records a run, its items and its usage, and answers the last one of each kind', () => {
    const runs = new RunLog(db);
    const weekly = runs.start('cron', NOW);
    runs.week(weekly, '2025-11-17', 'T2', 'published', null, NOW);
    runs.finish(weekly, 'ok', { weeks: [] }, NOW, { requests: 3, bytes: 1024 });
    const daily = runs.start('cron', NOW, 'daily');
    expect(runs.last('daily')).toMatchObject({ id: daily, status: 'running', kind: 'daily' });
    expect(runs.lastFinished('weekly')).toMatchObject({ id: weekly, status: 'ok', requests: 3, bytes: 1024 });
    expect(runs.lastFinished('daily')).toBeUndefined();
    expect(runs.usageSince('2026-01-01')).toEqual({ requests: 3, bytes: 1024 });
  });
});

describe('IngestLock', () => {
  it('lets one holder in, and takes over from a silent one, failing its run', () => {
    const a = new IngestLock(db, { pid: 1, host: 'a' });
    const b = new IngestLock(db, { pid: 2, host: 'b' });
    const runs = new RunLog(db);
    const run = runs.start('cron', NOW);
    const t0 = new Date(NOW);
    a.acquire(t0);
    a.heartbeat(t0, run);
    expect(() => b.acquire(t0)).toThrow(IngestLockedError);
    b.acquire(new Date(t0.getTime() + STALE_AFTER_MS + 1));
    expect(b.holder()).toMatchObject({ holder_pid: 2, holder_host: 'b' });
    expect(runs.last()).toMatchObject({ id: run, status: 'failed' });
    a.release(); // not the holder: nothing happens
    expect(b.holder()).toBeDefined();
    b.release();
    expect(b.holder()).toBeUndefined();
  });
});

describe('DailyStore', () => {
  it('stores a day whole, finds it unchanged again, and keeps its validators', () => {
    const daily = new DailyStore(db);
    const text = gunzipSync(readFileSync(`${REGSHO_DIR}CNMSshvol20211231.txt.gz`)).toString('latin1');
    const file = parseShortVolumeFile(text, '2021-12-31');
    const validators = { etag: '"abc"', lastModified: 'Fri, 31 Dec 2021 23:00:00 GMT' };
    expect(daily.publish(file, { source: 'cdn', now: NOW, validators })).toBe('published');
    expect(daily.publish(file, { source: 'cdn', now: NOW, validators })).toBe('unchanged');
    expect(daily.storedBetween('2021-12-01', '2021-12-31')).toEqual(new Set(['2021-12-31']));
    expect(daily.validators('2021-12-31')).toEqual(validators);
    expect(daily.newest()).toMatchObject({ trade_date: '2021-12-31', rows: file.rows.length, revisions: 0 });
  });
});
