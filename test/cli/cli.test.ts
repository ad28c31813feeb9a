// The command line behaving like the tools people know: help on every command, a version, read-only
// commands that create nothing, and a backup that refuses to overwrite its own source.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AAPL_BRKB_WEEKS, TQQQ_JSON } from '../support/fixtures.js';
import { cli, removeTempDirs, tempDbPath, tempDir } from '../support/harness.js';

afterAll(removeTempDirs);

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('darkpool-radar', () => {
  it('answers --help on every command, and --version', async () => {
    for (const command of ['ingest', 'import', 'status', 'backup', 'export', 'ticks', 'backtest', 'serve', 'demo']) {
      const run = await cli([command, '--help'], {});
      expect(run.code, command).toBe(0);
      expect(run.stdout, command).toMatch(/^Usage: darkpool-radar <command>/);
    }
    expect(await cli(['--version'], {})).toMatchObject({ code: 0, stdout: `darkpool-radar ${version}\n` });
  });

  it('status never creates a store for a DB_PATH that does not exist', async () => {
    const dbPath = join(tempDir(), 'typo', 'darkpool.db');
    const run = await cli(['status'], { DB_PATH: dbPath });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no store at .*typo\/darkpool\.db \(DB_PATH\)/);
    expect(existsSync(dirname(dbPath))).toBe(false);
  });

  it('says in one sentence which input file cannot be read and why, and touches no store', async () => {
    const dir = tempDir();
    const dbPath = join(dir, 'store', 'darkpool.db');
    for (const [args, message] of [
      [['import', join(dir, 'nope.psv')], `${join(dir, 'nope.psv')}: no such file`],
      [['import', dir], `${dir}: is a folder, not a file`],
      [['ticks', join(dir, 'nope.csv')], `${join(dir, 'nope.csv')}: no such file`],
    ] as const) {
      const run = await cli([...args], { DB_PATH: dbPath });
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toBe(`darkpool-radar ${args[0]}: ${message}\n`);
    }
    expect(existsSync(dirname(dbPath))).toBe(false);
  });

  it('backup refuses to write onto the live store it copies', async () => {
    const dbPath = tempDbPath();
    expect((await cli(['import', TQQQ_JSON], { DB_PATH: dbPath })).code).toBe(0);
    const before = readFileSync(dbPath);
    for (const args of [
      ['backup', dbPath],
      ['backup', dbPath, '--force'],
    ]) {
      const run = await cli(args, { DB_PATH: dbPath });
      expect(run.code).toBe(64);
      expect(run.stderr).toMatch(/is the live store itself/);
    }
    expect(readFileSync(dbPath).equals(before)).toBe(true);
  });
});

describe('on a terminal', () => {
  it('shows the share done and the time left, and logs as lines a person reads; --verbose gives JSON logs', async () => {
    const args = ['import', AAPL_BRKB_WEEKS, '--published-through', '2022-01-10'];
    const run = await cli(args, { DB_PATH: tempDbPath(), LOG_LEVEL: 'info' }, { terminal: true });
    expect(run.code).toBe(0);
    const lines = run.stderr.split('\n');
    expect(lines.filter((l) => l.startsWith('['))).toEqual([
      expect.stringMatching(/^\[1\/3\] {2}33% ETA \d+:\d\d T1 {3}2021-12-06 {2}published/),
      expect.stringMatching(/^\[2\/3\] {2}66% ETA \d+:\d\d T1 {3}2021-12-13 {2}published/),
      expect.stringMatching(/^\[3\/3\] 100% done T1 {3}2021-12-20 {2}published/),
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^info: week processed \(weekStart=2021-12-06, tier=T1, outcome=published/));
    expect(lines.some((l) => l.startsWith('{'))).toBe(false);

    const verbose = await cli([...args, '--verbose'], { DB_PATH: tempDbPath(), LOG_LEVEL: '' }, { terminal: true });
    expect(verbose.code).toBe(0);
    expect(verbose.stderr).not.toMatch(/^info: /m);
    const json = verbose.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    expect(json).toContainEqual(expect.objectContaining({ level: 30, msg: 'week processed' }));
    // Off a terminal (a pipe, a file) progress keeps its plain counter.
    const piped = await cli(args, { DB_PATH: tempDbPath() });
    expect(piped.stderr).toMatch(/^\[1\/3\] T1 {3}2021-12-06 {2}published/m);
  });
});

describe('the demo', () => {
  it('removes its temporary store when it cannot listen, and says why', async () => {
    const { createServer } = await import('node:net');
    const { readdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    const demos = () => new Set(readdirSync(tmpdir()).filter((d) => d.startsWith('darkpool-demo-')));
    const before = demos();
    try {
      const run = await cli(['demo'], { PORT: String(port), HOST: '127.0.0.1', API_KEYS: '' });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/EADDRINUSE/);
    } finally {
      taken.close();
    }
    expect([...demos()].filter((d) => !before.has(d))).toEqual([]);
  }, 60_000);
});

describe('import and time', () => {
  it('refuses a week after today or after the file was published, and an export week too old without --force; the store stays empty', async () => {
    const { OTCE_FILES } = await import('../support/fixtures.js');
    const dbPath = tempDbPath();
    for (const [week, message] of [
      ['2031-01-06', /week 2031-01-06 starts after today \(\d{4}-\d{2}-\d{2}\): FINRA cannot have published it/],
      ['2025-12-22', /week 2025-12-22 starts after the file's publication date 2025-12-15: FINRA publishes a week after it ends/],
      ['2025-09-01', /week 2025-09-01 is 105 days before the export's publication date 2025-12-15; .* check --week, or give --force/],
    ] as const) {
      const run = await cli(['import', OTCE_FILES['2025-11-10'], '--week', week, '--tier', 'OTCE'], { DB_PATH: dbPath });
      expect(run.code, week).not.toBe(0);
      expect(run.stdout + run.stderr, week).toMatch(message);
    }
    const status = await cli(['status'], { DB_PATH: dbPath });
    expect(status.stdout).toMatch(/no weeks loaded/);
    const forced = await cli(['import', OTCE_FILES['2025-11-10'], '--week', '2025-09-01', '--tier', 'OTCE', '--force'], {
      DB_PATH: dbPath,
    });
    expect(forced.code).toBe(0);
  });
});
