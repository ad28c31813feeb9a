#!/usr/bin/env node
// The `darkpool-radar` command. Each subcommand parses its flags, opens what it needs, and closes it.
import { accessSync, constants, createReadStream, existsSync, mkdtempSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { toCsv } from './api/csv.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { isIsoDate, weekEndingOf } from './domain/calendar.js';
import { importDailyFiles, ingestDaily, type DailyContext, type DailyRunSummary } from './ingest/daily.js';
import { backtest, formatBacktest } from './estimate/backtest.js';
import { FileTruth, StoreDailyVolumes, StoreTruth } from './estimate/sources.js';
import type { Usage } from './domain/usage.js';
import { createCdnClient, createDispatcher, createFinraClient } from './finra/index.js';
import { dottedSpelling } from './domain/symbols.js';
import { isTier, TIERS, type Tier } from './domain/tiers.js';
import { PACKAGE_VERSION } from './package-info.js';
import { importFiles, ingestFromFinra, type IngestContext, type RunSummary } from './ingest/run.js';
import { createLogger } from './logger.js';
import type { DestinationStream } from 'pino';
import { SectorTable } from './sectors/table.js';
import { openDatabase } from './store/db.js';
import { IngestLockedError } from './store/lock.js';
import { Queries } from './read/queries.js';
import { Store } from './store/store.js';
import { finraCrossCheck } from './ticks/finra-check.js';
import { analyzeTape } from './ticks/index.js';
import { CANDLE_CSV_COLUMNS } from './ticks/report.js';
import { isRuleSetName } from './ticks/rules.js';
import { openStore } from './compose.js';

// The HTTP server (Fastify and its plugins) loads only for the commands that serve.
const server = () => import('./server.js');

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Where the commands' pino logs go: JSON lines, or a line a person reads (see logSink). */
  logs?: DestinationStream;
  /** Standard error is a terminal (default: as Node sees it): progress with ETA, logs for people. */
  terminal?: boolean;
}

const USAGE = `Usage: darkpool-radar <command> [options]

Commands:
  serve                              serve the API and run the scheduled ingest (same as npm start)
  demo                               load the bundled real FINRA weeks into a temporary store and serve them
  ingest [--weeks N] [--tiers T1,T2,OTCE] [--only weekly|daily] [--quiet]
                                     pull FINRA's daily files (the trading days of the last
                                     DAILY_WINDOW_DAYS not stored yet, the newest 5 asked again), then
                                     FINRA's weeks (default: weeks missing from the store, weeks FINRA
                                     changed since, and the newest 2 again; --weeks N: the newest N,
                                     older ones from FINRA's historic dataset)
  import FILE... [--week YYYY-MM-DD] [--tier T1|T2|OTCE] [--published-through YYYY-MM-DD]
                                     load FINRA export files, saved API JSON, or daily files
                                     (CNMSshvol{YYYYMMDD}.txt, gzipped or not); --published-through
                                     keeps the weeks as FINRA had published them on that date
  backtest [--tiers T1,T2] [--weeks N] [--symbols A,B] [--weekly-totals FILE] [--format table|json]
                                     replay the estimate on stored history: each published week with
                                     every daily file, estimated from the weeks before it
  status                             weeks loaded per tier, row counts, last runs, this month's download
  ticks FILE [--interval 60] [--rules sip|letter-u-y] [--format json|csv] [--strict]
        [--large-size 5000] [--large-notional 200000] [--delay-seconds 10]
                                     analyse consolidated-tape trades (CSV or NDJSON; - for stdin)
  backup FILE                        write a consistent copy of the live database to FILE
  openapi                            print the OpenAPI document (YAML)
  help, --help                       this text (also COMMAND --help)
  --version                          the version
  --verbose                          with any command: JSON logs at info level (LOG_LEVEL sets
                                     another); without it a terminal shows warnings as plain lines

Environment variables configure everything else (see README.md).`;

class UsageError extends Error {}

/** An input file that can be read, or an error in one sentence naming it and the cause. */
function inputFile(path: string): string {
  let stats;
  try {
    stats = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code ?? err)}`);
  }
  if (stats.isDirectory()) throw new Error(`${path}: is a folder, not a file`);
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new Error(`${path}: permission denied`);
  }
  return path;
}

export async function main(argv: string[], env: Record<string, string | undefined>, io: Io): Promise<number> {
  const [command = 'help', ...args] = argv;
  // `<command> --help` is help, like the tools people know; `--version` anywhere first.
  if (command === '--version' || command === '-V' || command === 'version') {
    io.stdout(`darkpool-radar ${PACKAGE_VERSION}\n`);
    return 0;
  }
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  const verbose = args.includes('--verbose');
  if (verbose) {
    args.splice(args.indexOf('--verbose'), 1);
    env = { ...env, LOG_LEVEL: env.LOG_LEVEL || 'info' };
  }
  const terminal = io.terminal ?? process.stderr.isTTY === true;
  io = { ...io, terminal, logs: io.logs ?? logSink(verbose || !terminal, io) };
  try {
    switch (command) {
      case 'ingest':
        return await ingestCommand(args, cliConfig(env), io);
      case 'import':
        return await importCommand(args, cliConfig(env), io);
      case 'status':
        return statusCommand(args, cliConfig(env), io);
      case 'serve': {
        parse(args, {});
        const { closeOnSignals, serve } = await server();
        closeOnSignals(await serve(loadConfig(env), { schedule: true }));
        return await new Promise<number>(() => {}); // runs until a signal ends the process
      }
      case 'demo':
        return await demoCommand(args, env, io);
      case 'openapi':
        return await openapiCommand(io);
      case 'backtest':
        return await backtestCommand(args, cliConfig(env), io);
      case 'backup':
        return await backupCommand(args, cliConfig(env), io);
      case 'ticks':
        return await ticksCommand(args, cliConfig(env), io);
      case 'help':
      case '--help':
      case '-h':
        io.stdout(`${USAGE}\n`);
        return 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`darkpool-radar: ${err.message}\n\n${USAGE}\n`);
      return 64;
    }
    if (err instanceof ConfigError) {
      io.stderr(`${err.message}\n`);
      return 78;
    }
    if (err instanceof IngestLockedError) {
      io.stderr(`darkpool-radar ${command}: ${err.message}; nothing done\n`);
      return 75; // EX_TEMPFAIL: try again later
    }
    io.stderr(`darkpool-radar ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/**
 * JSON log lines for machines (a pipe, a file, --verbose); on a terminal, a warning or an error as
 * one line a person reads, its fields after it.
 */
function logSink(json: boolean, io: Io): DestinationStream {
  if (json) return { write: (line: string) => io.stderr(line) };
  const names: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };
  const quiet = new Set(['level', 'time', 'pid', 'hostname', 'msg']);
  return {
    write(line: string) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      const fields = Object.entries(entry)
        .filter(([k]) => !quiet.has(k))
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
      io.stderr(`${names[entry.level as number] ?? 'log'}: ${String(entry.msg)}${fields.length ? ` (${fields.join(', ')})` : ''}\n`);
    },
  };
}

/** Commands print their own progress; logs stay at warn unless LOG_LEVEL asks for more. */
function cliConfig(env: Record<string, string | undefined>): Config {
  return loadConfig({ ...env, LOG_LEVEL: env.LOG_LEVEL || 'warn' });
}

function parse<const O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true as const });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function parseTiers(value: string | undefined): Tier[] {
  if (!value) return [...TIERS];
  const tiers = value.split(',').map((t) => t.trim().toUpperCase());
  const bad = tiers.filter((t) => !isTier(t));
  if (bad.length) throw new UsageError(`--tiers: unknown tier ${bad.join(', ')} (use T1, T2, OTCE)`);
  return tiers as Tier[];
}

function withStore<T>(config: Config, io: Io, fn: (store: Store, ctx: IngestContext, daily: DailyContext) => Promise<T>): Promise<T> {
  const logger = createLogger(config.LOG_LEVEL, io.logs ?? process.stderr);
  const progressPrefix = progressCounter(io.terminal === true);
  const store = openStore(config.DB_PATH, SectorTable.load());
  const base = { lock: store.lock, runs: store.runs, logger, now: () => new Date() };
  const ctx: IngestContext = {
    ...base,
    publisher: store.publisher,
    weeks: store.weeks,
    onProgress: (e) => {
      const counts = e.rows ? `  ${e.rows.toLocaleString('en-US')} rows  ${e.symbols.toLocaleString('en-US')} symbols` : '';
      io.stderr(`${progressPrefix(e)} ${e.tier.padEnd(4)} ${e.weekStart}  ${e.outcome.padEnd(9)}${counts}  ${(e.ms / 1000).toFixed(1)}s${e.detail ? `  ${e.detail}` : ''}\n`);
    },
  };
  const daily: DailyContext = {
    ...base,
    daily: store.daily,
    onProgress: (e) => {
      const counts = e.rows ? `  ${e.rows.toLocaleString('en-US')} rows` : '';
      io.stderr(`${progressPrefix(e)} day  ${e.tradeDate}  ${e.outcome.padEnd(13)}${counts}  ${(e.ms / 1000).toFixed(1)}s${e.detail ? `  ${e.detail}` : ''}\n`);
    },
  };
  return fn(store, ctx, daily).finally(() => store.close());
}

/**
 * `[ 3/22]` before each item's line; on a terminal also the share done and, from the pace so far,
 * the time left. A run's first item restarts the clock (the daily and weekly phases are two runs).
 */
function progressCounter(terminal: boolean): (e: { index: number; count: number }) => string {
  let started = performance.now();
  return (e) => {
    if (e.index === 1) started = performance.now();
    const counter = `[${String(e.index).padStart(String(e.count).length)}/${e.count}]`;
    if (!terminal) return counter;
    const left = ((performance.now() - started) / e.index) * (e.count - e.index);
    return `${counter} ${String(Math.floor((e.index / e.count) * 100)).padStart(3)}% ${e.index < e.count ? `ETA ${formatDuration(left)}` : 'done'}`;
  };
}

/** 0:07, 12:30, 1:02:03. */
function formatDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const [h, m, sec] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const two = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

/** Exit codes: 0 all fine, 2 some weeks or days refused or failed, 1 nothing loaded. */
const EXIT = { ok: 0, partial: 2, failed: 1 } as const;

function printSummary(summary: RunSummary, io: Io): number {
  for (const note of summary.notes) io.stderr(`note: ${note}\n`);
  const count = (o: string) => summary.weeks.filter((w) => w.outcome === o).length;
  const rows = summary.weeks.reduce((n, w) => n + w.rows, 0);
  const unavailable = count('unavailable') ? `, ${count('unavailable')} unavailable from FINRA` : '';
  io.stdout(
    `run ${summary.runId}: ${summary.status}; ${summary.weeks.length} weeks: ${count('published')} published, ` +
      `${count('revised')} revised, ${count('unchanged')} unchanged, ${count('refused')} refused, ${count('failed')} failed${unavailable}; ` +
      `${rows.toLocaleString('en-US')} ATS rows${usageText(summary.usage)}\n`,
  );
  return EXIT[summary.status];
}

function printDailySummary(summary: DailyRunSummary, io: Io): number {
  const count = (o: string) => summary.days.filter((d) => d.outcome === o).length;
  const rows = summary.days.reduce((n, d) => n + d.rows, 0);
  io.stdout(
    `daily run ${summary.runId}: ${summary.status}; ${summary.days.length} days: ${count('published')} published, ` +
      `${count('revised')} revised, ${count('unchanged')} unchanged, ${count('not_published')} not published yet, ` +
      `${count('missing')} missing, ${count('refused')} refused, ${count('failed')} failed; ${rows.toLocaleString('en-US')} rows${usageText(summary.usage)}\n`,
  );
  return EXIT[summary.status];
}

function usageText(usage: Usage | null): string {
  return usage ? `; ${usage.requests.toLocaleString('en-US')} requests, ${formatBytes(usage.bytes)} from FINRA` : '';
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** The worse of two exit codes: failed (1), then partial (2), then ok (0). */
function worse(...codes: number[]): number {
  return codes.includes(1) ? 1 : Math.max(...codes);
}

async function ingestCommand(args: string[], config: Config, io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    weeks: { type: 'string' },
    tiers: { type: 'string' },
    only: { type: 'string' },
    quiet: { type: 'boolean' },
    trigger: { type: 'string' },
  });
  if (positionals.length) throw new UsageError(`ingest takes no arguments (got ${positionals.join(' ')})`);
  let weeks: number | undefined;
  if (values.weeks !== undefined) {
    weeks = Number(values.weeks);
    if (!Number.isInteger(weeks) || weeks < 1 || weeks > 260) throw new UsageError('--weeks must be an integer from 1 to 260');
  }
  if (values.only !== undefined && values.only !== 'weekly' && values.only !== 'daily') throw new UsageError('--only must be weekly or daily');
  const runDaily = values.only !== 'weekly' && config.DAILY_WINDOW_DAYS > 0;
  const runWeekly = values.only !== 'daily';
  const tiers = parseTiers(values.tiers);
  const trigger = values.trigger ?? 'cli';
  const quietIo: Io = values.quiet ? { stdout: () => {}, stderr: () => {} } : io;
  const dispatcher = createDispatcher();
  // SIGTERM (a stopping server) ends the run between requests; a week's or a day's transaction is never cut.
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted by a signal'));
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    return await withStore(config, quietIo, async (_store, ctx, dailyCtx) => {
      let code = 0;
      // Daily first: it is small, and the weekly publish scores estimates against the daily data.
      if (runDaily) {
        const cdn = createCdnClient(config, { dispatcher, logger: ctx.logger });
        quietIo.stderr(`daily files from ${config.FINRA_CDN_URL}, last ${config.DAILY_WINDOW_DAYS} days\n`);
        code = printDailySummary(await ingestDaily(dailyCtx, cdn, { trigger, windowDays: config.DAILY_WINDOW_DAYS, signal: abort.signal }), quietIo);
      }
      if (runWeekly) {
        const client = createFinraClient(config, { dispatcher, logger: ctx.logger });
        quietIo.stderr(`ingesting from ${config.FINRA_API_URL} into ${config.DB_PATH}\n`);
        const summary = await ingestFromFinra(ctx, client, { trigger, tiers, weeks, signal: abort.signal });
        code = worse(code, printSummary(summary, quietIo));
      }
      return code;
    });
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await dispatcher.close();
  }
}

const isDailyFile = (path: string) => /^CNMSshvol\d{8}\.txt(\.gz)?$/.test(basename(path));

async function importCommand(args: string[], config: Config, io: Io): Promise<number> {
  const { values, positionals } = parse(args, { week: { type: 'string' }, tier: { type: 'string' }, 'published-through': { type: 'string' } });
  if (!positionals.length) throw new UsageError('import needs at least one FILE');
  const week = values.week;
  if (week !== undefined && !isIsoDate(week)) throw new UsageError('--week must be a date, YYYY-MM-DD');
  const publishedThrough = values['published-through'];
  if (publishedThrough !== undefined && !isIsoDate(publishedThrough)) throw new UsageError('--published-through must be a date, YYYY-MM-DD');
  const tierArg = values.tier?.toUpperCase();
  if (tierArg !== undefined && !isTier(tierArg)) throw new UsageError('--tier must be T1, T2 or OTCE');
  positionals.forEach(inputFile);
  const dailyFiles = positionals.filter(isDailyFile);
  const weeklyFiles = positionals.filter((p) => !isDailyFile(p));
  return withStore(config, io, async (_store, ctx, dailyCtx) => {
    let code = 0;
    if (dailyFiles.length) code = printDailySummary(await importDailyFiles(dailyCtx, dailyFiles), io);
    if (weeklyFiles.length) code = worse(code, printSummary(await importFiles(ctx, weeklyFiles, { week, tier: tierArg, publishedThrough }), io));
    return code;
  });
}

async function backtestCommand(args: string[], config: Config, io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    tiers: { type: 'string' },
    weeks: { type: 'string' },
    symbols: { type: 'string' },
    'weekly-totals': { type: 'string' },
    format: { type: 'string' },
  });
  if (positionals.length) throw new UsageError(`backtest takes no arguments (got ${positionals.join(' ')})`);
  const format = values.format ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError('--format must be table or json');
  const tiers = parseTiers(values.tiers ?? 'T1,T2');
  const weeks = positiveNumber('weeks', values.weeks, 13, true);
  const symbols = values.symbols ? new Set(values.symbols.split(',').map((t) => dottedSpelling(t.trim()).toUpperCase()).filter(Boolean)) : undefined;
  const db = openDatabase(config.DB_PATH, { readonly: true });
  try {
    // FINRA's per-symbol totals from a file stand in for stored weeks when the store lacks them.
    const truth = values['weekly-totals'] ? await FileTruth.read(inputFile(values['weekly-totals'])) : new StoreTruth(db);
    const result = backtest(truth, new StoreDailyVolumes(db), { tiers, weeks, symbols });
    io.stdout(format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : formatBacktest(result));
    return result.scores.length ? 0 : 1;
  } finally {
    db.close();
  }
}

/** The real FINRA weeks bundled in fixtures/, served from a temporary store with no network. */
export const DEMO_FILES = ['ats_otce_published_2025-12-15.psv', 'ats_otce_published_2025-12-22.psv', 'tqqq_2025-11-17_T2.api.json'].map(
  (f) => fileURLToPath(new URL(`../fixtures/finra/${f}`, import.meta.url)),
);
/** FINRA's published T1 totals of AAPL and BRK.B: per-symbol totals only, labelled so wherever they appear. */
export const DEMO_TOTALS_FILE = fileURLToPath(new URL('../fixtures/finra/ats_w_smbl_T1_AAPL_BRK.B_248_weeks.json', import.meta.url));
/**
 * The totals as FINRA had published them on the Monday after the bundled daily files end: the week
 * published that day is scored against its estimate, and the week after is estimated from the files.
 */
export const DEMO_TOTALS_PUBLISHED_THROUGH = '2022-01-10';
/** FINRA's daily short-sale volume files of December 2021, bundled gzipped: the daily endpoints' data. */
const DEMO_DAILY_DIR = fileURLToPath(new URL('../fixtures/finra/regsho/', import.meta.url));
const demoDailyFiles = () =>
  existsSync(DEMO_DAILY_DIR) ? readdirSync(DEMO_DAILY_DIR).filter(isDailyFile).map((f) => join(DEMO_DAILY_DIR, f)) : [];

/** One answer from each bundled dataset: the OTC weeks, TQQQ, the T1 totals, the daily files, the estimates. */
const DEMO_URLS = [
  '/darkpool/movers/top20?tier=OTCE',
  '/darkpool/ratio/TQQQ',
  '/darkpool/history/AAPL?weeks=3',
  '/darkpool/daily/BRK-B?days=2',
  '/darkpool/estimate/BRK.B',
  '/darkpool/estimate/accuracy?tier=T1',
];

async function demoCommand(args: string[], env: Record<string, string | undefined>, io: Io): Promise<number> {
  parse(args, {});
  const dir = mkdtempSync(join(tmpdir(), 'darkpool-demo-'));
  // Warnings only unless asked (LOG_LEVEL, --verbose): the demo's output is the URLs to try.
  const config = loadConfig({ ...env, LOG_LEVEL: env.LOG_LEVEL || 'warn', DB_PATH: join(dir, 'demo.db'), INGEST_CRON: 'off' });
  const code = await withStore(config, io, async (_store, ctx, dailyCtx) => {
    const daily = demoDailyFiles();
    const dailyCode = daily.length ? printDailySummary(await importDailyFiles(dailyCtx, daily), io) : 0;
    const weeklyCode = printSummary(await importFiles(ctx, DEMO_FILES, {}), io);
    // After the daily files, so that publishing the totals scores the estimates as the ingest would.
    const totals = await importFiles(ctx, [DEMO_TOTALS_FILE], { publishedThrough: DEMO_TOTALS_PUBLISHED_THROUGH });
    return worse(dailyCode, weeklyCode, printSummary(totals, io));
  });
  if (code !== 0) return code;
  const { closeOnSignals, serve } = await server();
  const running = await serve(config, { schedule: false, logs: io.logs });
  io.stdout(
    `\nDarkPool Radar demo on the bundled FINRA data: ${running.url}\n` +
      `  open ${running.url}/ in a browser for the dashboard, ${running.url}/docs for the API reference; then try\n` +
      DEMO_URLS.map((path) => `    curl -s '${running.url}${path}'\n`).join('') +
      `  temporary store ${config.DB_PATH}, removed on exit (Ctrl-C)\n`,
  );
  closeOnSignals({ ...running, close: () => running.close().finally(() => rmSync(dir, { recursive: true, force: true })) });
  return new Promise<number>(() => {});
}

async function openapiCommand(io: Io): Promise<number> {
  const { buildApp, OPEN_APP_CONFIG } = await import('./app.js');
  const { stringify } = await import('yaml');
  const store = openStore(':memory:', SectorTable.empty());
  try {
    const app = await buildApp(OPEN_APP_CONFIG, { store, logger: createLogger('silent') });
    await app.ready();
    io.stdout(stringify(app.swagger(), { lineWidth: 0, aliasDuplicateObjects: false }));
    await app.close();
    return 0;
  } finally {
    store.close();
  }
}

function positiveNumber(name: string, value: string | undefined, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}`);
  return n;
}

async function ticksCommand(args: string[], config: Config, io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    interval: { type: 'string' },
    rules: { type: 'string' },
    format: { type: 'string' },
    strict: { type: 'boolean' },
    'large-size': { type: 'string' },
    'large-notional': { type: 'string' },
    'delay-seconds': { type: 'string' },
  });
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new UsageError('ticks needs exactly one FILE (or - for standard input)');
  if (file !== '-') inputFile(file);
  const rules = values.rules ?? 'sip';
  if (!isRuleSetName(rules)) throw new UsageError('--rules must be sip or letter-u-y');
  const format = values.format ?? 'json';
  if (format !== 'json' && format !== 'csv') throw new UsageError('--format must be json or csv');
  // The FINRA cross-check reads the store when there is one; the analysis never needs it.
  const db = existsSync(config.DB_PATH) ? openDatabase(config.DB_PATH, { readonly: true }) : null;
  const started = performance.now();
  const input = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
  // A file's size is known: the share read so far, and the time left at the pace so far.
  const size = file === '-' ? 0 : statSync(file).size;
  const progress = io.terminal
    ? (lines: number) => {
        const elapsed = performance.now() - started;
        const done = size && 'bytesRead' in input ? input.bytesRead / size : 0;
        const eta = done > 0 && done < 1 ? `, ${Math.floor(done * 100)}%, ETA ${formatDuration((elapsed / done) * (1 - done))}` : '';
        io.stderr(`\r${lines.toLocaleString('en-US')} lines, ${Math.round(lines / (elapsed / 1000)).toLocaleString('en-US')}/s${eta}   `);
      }
    : undefined;
  try {
    const report = await analyzeTape(input, {
      intervalSeconds: positiveNumber('interval', values.interval, 60, true),
      rules,
      largeSize: positiveNumber('large-size', values['large-size'], 5_000),
      largeNotional: positiveNumber('large-notional', values['large-notional'], 200_000),
      delaySeconds: positiveNumber('delay-seconds', values['delay-seconds'], 10),
      strict: values.strict ?? false,
      onProgress: progress,
      crossCheck: db ? finraCrossCheck(new Queries(db)) : null,
    });
    if (progress) io.stderr('\n');
    if (report.input.malformed) io.stderr(`${report.input.malformed} malformed rows (first at line ${report.input.malformed_rows[0]?.line}); see input.malformed_rows\n`);
    if (format === 'csv') {
      const rows = report.symbols.flatMap((s) => s.candles.map((c) => ({ symbol: s.symbol, ...c })));
      io.stdout(toCsv(CANDLE_CSV_COLUMNS, rows));
    } else {
      io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    }
    return 0;
  } finally {
    db?.close();
  }
}

/** SQLite's online backup: a consistent snapshot while the server reads and an ingest writes. */
async function backupCommand(args: string[], config: Config, io: Io): Promise<number> {
  const { values, positionals } = parse(args, { force: { type: 'boolean' } });
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new UsageError('backup needs exactly one FILE');
  if (existsSync(file) && existsSync(config.DB_PATH) && realpathSync(file) === realpathSync(config.DB_PATH)) {
    throw new UsageError(`${file} is the live store itself (DB_PATH); back it up to another file`);
  }
  if (existsSync(file) && !values.force) throw new UsageError(`${file} exists; give --force to overwrite it`);
  const db = openDatabase(config.DB_PATH, { readonly: true });
  try {
    const started = performance.now();
    const { totalPages } = await db.backup(file);
    const copy = openDatabase(file, { readonly: true });
    try {
      const check = copy.pragma('integrity_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy failed its integrity check: ${String(check)}`);
      const weeks = copy.prepare<[], { n: number }>('SELECT count(*) AS n FROM weeks').get()?.n ?? 0;
      io.stdout(`backed up ${config.DB_PATH} to ${file}: ${totalPages} pages, ${weeks} weeks, integrity ok, ${Math.round(performance.now() - started)} ms\n`);
    } finally {
      copy.close();
    }
    return 0;
  } finally {
    db.close();
  }
}

function statusCommand(args: string[], config: Config, io: Io): number {
  parse(args, {});
  // A read-only look: a mistyped DB_PATH must not leave a new store (and its folders) behind.
  if (!existsSync(config.DB_PATH)) {
    io.stderr(`darkpool-radar status: no store at ${config.DB_PATH} (DB_PATH): run \`darkpool-radar ingest\` or \`darkpool-radar import FILE\` first\n`);
    return 1;
  }
  const store = openStore(config.DB_PATH, SectorTable.load());
  try {
    const weeks = store.weeks.loadedWeeks();
    io.stdout(`store: ${config.DB_PATH}\n`);
    if (!weeks.length) io.stdout('no weeks loaded: run `darkpool-radar ingest` or `darkpool-radar import FILE`\n');
    for (const tier of TIERS) {
      const ofTier = weeks.filter((w) => w.tier === tier);
      if (!ofTier.length) continue;
      const rows = ofTier.reduce((n, w) => n + w.firm_rows, 0);
      io.stdout(`\n${tier}: ${ofTier.length} weeks, ${rows.toLocaleString('en-US')} ATS rows\n`);
      io.stdout('  week_start  week_ending  ats_rows  symbols  reconciled  revisions  source         loaded_at\n');
      for (const w of ofTier) {
        io.stdout(
          `  ${w.week_start}  ${weekEndingOf(w.week_start)}  ${String(w.firm_rows).padStart(8)}  ${String(w.symbols).padStart(7)}  ` +
            `${(w.reconciled ? 'yes' : 'no').padEnd(10)}  ${String(w.revisions).padStart(9)}  ${w.source.slice(0, 13).padEnd(13)}  ${w.loaded_at}\n`,
        );
      }
    }
    const holder = store.lock.holder();
    if (holder) io.stdout(`\ningest running: pid ${holder.holder_pid} on ${holder.holder_host} since ${holder.acquired_at}\n`);
    const days = store.daily.days();
    if (days.length) {
      const rows = days.reduce((n, d) => n + d.rows, 0);
      io.stdout(`\ndaily files: ${days.length} trading days, ${days.at(-1)!.trade_date} to ${days[0]!.trade_date}, ${rows.toLocaleString('en-US')} rows\n`);
    }
    for (const kind of ['weekly', 'daily'] as const) {
      const run = store.runs.last(kind);
      if (!run) continue;
      const cost = run.requests === null ? '' : `, ${run.requests} requests, ${formatBytes(run.bytes ?? 0)}`;
      io.stdout(`\nlast ${kind} run: #${run.id} (${run.trigger}) started ${run.started_at}, ${run.status}` + (run.finished_at ? `, finished ${run.finished_at}` : '') + `${cost}\n`);
    }
    // A free FINRA credential is switched off for the rest of the month past 10 GB.
    const monthStart = `${new Date().toISOString().slice(0, 7)}-01`;
    const month = store.runs.usageSince(monthStart);
    io.stdout(`\ndownloaded from FINRA since ${monthStart}: ${formatBytes(month.bytes)} in ${month.requests.toLocaleString('en-US')} requests (a free FINRA credential stops at 10 GB a month)\n`);
    return 0;
  } finally {
    store.close();
  }
}

// Run only when executed as the program (also through the npm bin symlink), not when imported by tests.
const invokedPath = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invokedPath === fileURLToPath(import.meta.url)) {
  // `darkpool-radar ticks FILE | head`: the reader went away, which is not an error of ours.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const io: Io = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
  main(process.argv.slice(2), process.env, io).then((code) => {
    process.exitCode = code;
  });
}
