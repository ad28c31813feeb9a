// `darkpool-radar demo`: every bundled real FINRA dataset in a temporary store, served, offline.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../config.js';
import { importDailyFiles, type DailyContext } from '../../ingest/daily.js';
import { importFiles, type IngestContext } from '../../ingest/run.js';
import { isDailyFile, parse } from '../args.js';
import { printDailySummary, printSummary, worse, type Io } from '../output.js';
import { withStore } from '../store.js';

/** The real FINRA weeks bundled in fixtures/, served from a temporary store with no network. */
export const DEMO_FILES = ['ats_otce_published_2025-12-15.psv', 'ats_otce_published_2025-12-22.psv', 'tqqq_2025-11-17_T2.api.json'].map(
  (f) => fileURLToPath(new URL(`../../../fixtures/finra/${f}`, import.meta.url)),
);
/** FINRA's published T1 totals of AAPL and BRK.B: per-symbol totals only, labelled so wherever they appear. */
export const DEMO_TOTALS_FILE = fileURLToPath(new URL('../../../fixtures/finra/ats_w_smbl_T1_AAPL_BRK.B_248_weeks.json', import.meta.url));
/**
 * The totals as FINRA had published them on the Monday after the bundled daily files end: the week
 * published that day is scored against its estimate, and the week after is estimated from the files.
 */
export const DEMO_TOTALS_PUBLISHED_THROUGH = '2022-01-10';
/** FINRA's daily short-sale volume files of December 2021, bundled gzipped: the daily endpoints' data. */
const DEMO_DAILY_DIR = fileURLToPath(new URL('../../../fixtures/finra/regsho/', import.meta.url));
const demoDailyFiles = () =>
  existsSync(DEMO_DAILY_DIR)
    ? readdirSync(DEMO_DAILY_DIR)
        .filter(isDailyFile)
        .map((f) => join(DEMO_DAILY_DIR, f))
    : [];

/** One answer from each bundled dataset: the OTC weeks, TQQQ, the T1 totals, the daily files, the estimates. */
const DEMO_URLS = [
  '/darkpool/movers/top20?tier=OTCE',
  '/darkpool/ratio/TQQQ',
  '/darkpool/history/AAPL?weeks=3',
  '/darkpool/daily/BRK-B?days=2',
  '/darkpool/estimate/BRK.B',
  '/darkpool/estimate/accuracy?tier=T1',
];

/** Every bundled dataset into a store, as the demo serves it (also the OpenAPI document's examples). */
export async function loadDemoData(ctx: IngestContext, dailyCtx: DailyContext, io: Io): Promise<number> {
  const daily = demoDailyFiles();
  const dailyCode = daily.length ? printDailySummary(await importDailyFiles(dailyCtx, daily), io) : 0;
  const weeklyCode = printSummary(await importFiles(ctx, DEMO_FILES, {}), io);
  // After the daily files, so that publishing the totals scores the estimates as the ingest would.
  const totals = await importFiles(ctx, [DEMO_TOTALS_FILE], { publishedThrough: DEMO_TOTALS_PUBLISHED_THROUGH });
  return worse(dailyCode, weeklyCode, printSummary(totals, io));
}

export async function demoCommand(args: string[], env: Record<string, string | undefined>, io: Io): Promise<number> {
  parse(args, {});
  const dir = mkdtempSync(join(tmpdir(), 'darkpool-demo-'));
  // Warnings only unless asked (LOG_LEVEL, --verbose): the demo's output is the URLs to try.
  const config = loadConfig({ ...env, LOG_LEVEL: env.LOG_LEVEL || 'warn', DB_PATH: join(dir, 'demo.db'), INGEST_CRON: 'off' });
  // The temporary store goes on every way out: a failed import, a port that cannot be listened on, or Ctrl-C.
  const removeStore = () => rmSync(dir, { recursive: true, force: true });
  let running: Awaited<ReturnType<typeof import('../../server.js').serve>>;
  let closeOnSignals: typeof import('../../server.js').closeOnSignals;
  try {
    const code = await withStore(config, io, async (_store, ctx, dailyCtx) => loadDemoData(ctx, dailyCtx, io));
    if (code !== 0) {
      removeStore();
      return code;
    }
    const server = await import('../../server.js');
    closeOnSignals = server.closeOnSignals;
    running = await server.serve(config, { schedule: false, logs: io.logs });
  } catch (err) {
    removeStore();
    throw err;
  }
  io.stdout(
    `\nDarkPool Radar demo on the bundled FINRA data: ${running.url}\n` +
      `  open ${running.url}/ in a browser for the dashboard, ${running.url}/docs for the API reference; then try\n` +
      DEMO_URLS.map((path) => `    curl -s '${running.url}${path}'\n`).join('') +
      `  temporary store ${config.DB_PATH}, removed on exit (Ctrl-C)\n`,
  );
  closeOnSignals({ ...running, close: () => running.close().finally(removeStore) });
  return new Promise<number>(() => {});
}
