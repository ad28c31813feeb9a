// Load test (loopback only, bounded): mixed traffic over every endpoint at 100 connections against
// the built server, while an ingest process publishes a new full-size week into the same database
// (and scores the estimates served for it). Asserts zero errors and no non-2xx answers other than the
// intended 404s. Run: npm run load
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pino from 'pino';
import { Agent } from 'undici';
import { parseShortVolumeFile } from '../src/finra/short-volume-file.js';
import { addDays } from '../src/domain/calendar.js';
import { createFinraClient } from '../src/finra/index.js';
import type { Tier } from '../src/domain/tiers.js';
import { ingestFromFinra } from '../src/ingest/run.js';
import { SectorTable } from '../src/sectors/table.js';
import { FinraDouble } from '../test/support/finra-double.js';
import { rowsOfType, symbolOf, syntheticDailyFiles, syntheticWeekRows, TIER_SHAPES, type Row } from './synthetic.js';
import { openStore } from '../src/compose.js';

const DURATION_S = Number(process.env.LOAD_SECONDS ?? 20);
const NEWEST = '2026-10-26'; // the week the ingest publishes during the load
const PREFILLED = [1, 2, 3, 4].map((i) => addDays(NEWEST, -7 * i));
const TIERS: Tier[] = ['T1', 'T2', 'OTCE'];

/** FINRA double rows on demand, one week kept. */
function generator() {
  let last: { key: string; rows: ReturnType<typeof syntheticWeekRows> } | null = null;
  return (week: string, tier: string, type: string): Row[] => {
    const key = `${week}|${tier}`;
    if (last?.key !== key) last = { key, rows: syntheticWeekRows(week, tier as Tier) };
    return rowsOfType(last.rows, type);
  };
}

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  return port;
}

function pick<T>(list: readonly T[]): T {
  return list[Math.floor(Math.random() * list.length)]!;
}

const tickerOf = (tiers: readonly Tier[] = TIERS) => {
  const tier = pick(tiers);
  return symbolOf(tier, Math.floor(Math.random() * TIER_SHAPES[tier].symbols));
};
/** The daily files cover NMS stocks only. */
const nmsTicker = () => tickerOf(['T1', 'T2']);

/** Paths that must answer 2xx. */
const validPath = (): string =>
  pick([
    () => `/darkpool/weekly/${tickerOf()}`,
    () => `/darkpool/weekly/${tickerOf()}`,
    () => `/darkpool/ratio/${tickerOf()}`,
    () => `/darkpool/history/${tickerOf()}?weeks=${pick([4, 13, 52])}`,
    () => `/darkpool/movers/top20${pick(['', '?sort=change', '?sort=notional&tier=T2', '?tier=OTCE&format=csv'])}`,
    () => `/darkpool/sectors${pick(['', `?week=${PREFILLED[1]}`])}`,
    () => `/darkpool/venues${pick(['', '?tier=T1', '?format=csv'])}`,
    () => '/darkpool/weeks',
    () => `/darkpool/weekly?tickers=${[tickerOf(), tickerOf(), tickerOf()].join(',')}`,
    () => `/darkpool/daily/${nmsTicker()}${pick(['', '?days=25', '?format=csv'])}`,
    () => `/darkpool/estimate/${nmsTicker()}`,
    () => `/darkpool/history/${nmsTicker()}?include=estimates`,
    () => `/darkpool/estimate/accuracy${pick(['', '?tier=T1'])}`,
  ])();

/** Paths that must answer 404 (symbols and weeks that do not exist). */
const missPath = (): string => pick([`/darkpool/weekly/ZZ${Math.floor(Math.random() * 1e6)}`, '/darkpool/movers/top20?week=2019-01-07']);

function run(url: string, connections: number, path: () => string): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(
      { url, connections, duration: DURATION_S, requests: [{ setupRequest: (req) => ({ ...req, path: path() }) }] },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'darkpool-load-'));
  const dbPath = join(dir, 'load.db');
  const rows = generator();
  const partitions: [string, string][] = PREFILLED.flatMap((w) => TIERS.map((t) => [w, t] as [string, string]));
  const double = await new FinraDouble({ rows: [], generated: { partitions, rows } }).start();

  console.log(`prefilling ${PREFILLED.length} full-size weeks x 3 tiers through the ingest path ...`);
  const store = openStore(dbPath, SectorTable.load());
  const agent = new Agent();
  const logger = pino({ level: 'warn' });
  const client = createFinraClient(
    { FINRA_API_URL: double.url, FINRA_TOKEN_URL: double.url, FINRA_CLIENT_ID: undefined, FINRA_CLIENT_SECRET: undefined },
    { dispatcher: agent, logger, minIntervalMs: 0 },
  );
  const prefill = await ingestFromFinra(
    { publisher: store.publisher, lock: store.lock, runs: store.runs, weeks: store.weeks, logger, now: () => new Date() },
    client,
    { trigger: 'load-prefill', weeks: PREFILLED.length },
  );
  if (prefill.status !== 'ok') throw new Error(`prefill failed: ${prefill.status}`);
  // FINRA's daily files of the prefilled weeks and of the week about to be published: until the ingest
  // publishes it, that week is served as an estimate; publishing it scores those estimates.
  const dailyFiles = [...PREFILLED, NEWEST].flatMap(syntheticDailyFiles);
  for (const f of dailyFiles)
    store.daily.publish(parseShortVolumeFile(f.text, f.tradeDate), { source: 'synthetic', now: new Date().toISOString() });
  console.log(`and ${dailyFiles.length} daily files (${TIER_SHAPES.T1.symbols + TIER_SHAPES.T2.symbols} NMS symbols a day)`);
  store.close();
  await agent.close();
  partitions.unshift([NEWEST, 'T1']); // FINRA publishes a new T1 week

  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DB_PATH: dbPath,
    INGEST_CRON: 'off',
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: 'warn',
    FINRA_API_URL: double.url,
    DAILY_WINDOW_DAYS: '0',
  };
  const server = spawn(process.execPath, ['dist/server.js'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) break;
    } catch {
      if (i > 100) throw new Error('server did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  console.log(
    `load: ${DURATION_S} s, 100 connections (90 on valid paths, 10 on intended 404s); ingest of week ${NEWEST} T1 starts after 2 s`,
  );
  const started = Date.now();
  const loads = Promise.all([run(base, 90, validPath), run(base, 10, missPath)]);
  await new Promise((r) => setTimeout(r, 2000));
  const ingestStart = (Date.now() - started) / 1000;
  const ingest = spawn(process.execPath, ['dist/cli.js', 'ingest', '--tiers', 'T1', '--weeks', '1'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let ingestOut = '';
  ingest.stdout!.on('data', (d) => (ingestOut += d));
  ingest.stderr!.on('data', (d) => (ingestOut += d));
  const [ingestCode] = (await once(ingest, 'exit')) as [number];
  const ingestEnd = (Date.now() - started) / 1000;
  const [valid, misses] = await loads;
  const newest = (await (await fetch(`${base}/darkpool/movers/top20`)).json()) as { week_ending: string };
  const accuracy = (await (await fetch(`${base}/darkpool/estimate/accuracy?tier=T1`)).json()) as {
    data: { method: string; estimates: number; median_ape_pct: number | null }[];
  };
  const scored = accuracy.data.find((r) => r.method === 'all');

  server.kill('SIGTERM');
  await once(server, 'exit');
  await double.close();
  rmSync(dir, { recursive: true, force: true });

  const line = (name: string, r: autocannon.Result) =>
    `| ${name} | ${r.requests.total.toLocaleString('en-US')} | ${Math.round(r.requests.average).toLocaleString('en-US')} | ${r.latency.p50} | ${r.latency.p99} | ${r.latency.max} | ${r.errors} | ${r.timeouts} | ${JSON.stringify(Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([k, v]) => [k, v.count])))} |`;
  console.log(
    '\n| traffic | requests | req/s | p50 ms | p99 ms | max ms | errors | timeouts | status codes |\n|---|---|---|---|---|---|---|---|---|',
  );
  console.log(line('valid paths (90 conns)', valid));
  console.log(line('intended 404s (10 conns)', misses));
  console.log(
    `\ntotal ${Math.round(valid.requests.average + misses.requests.average).toLocaleString('en-US')} req/s; ingest ran from ${ingestStart.toFixed(1)} s to ${ingestEnd.toFixed(1)} s (exit ${ingestCode}): ${ingestOut.trim().split('\n').at(-1)}`,
  );
  console.log(`after the load, /darkpool/movers/top20 serves week ending ${newest.week_ending}`);
  console.log(
    `the publish scored ${scored?.estimates ?? 0} T1 estimates of that week (synthetic data: their error says nothing about real accuracy)`,
  );

  const problems: string[] = [];
  if (valid.errors || valid.timeouts || valid.non2xx)
    problems.push(`valid paths: ${valid.errors} errors, ${valid.timeouts} timeouts, ${valid.non2xx} non-2xx`);
  const missCodes = Object.keys(misses.statusCodeStats ?? {});
  if (misses.errors || misses.timeouts || missCodes.some((c) => c !== '404'))
    problems.push(`intended 404s answered ${missCodes.join(',')}, ${misses.errors} errors`);
  if (ingestCode !== 0 || ingestEnd > DURATION_S)
    problems.push(`the ingest did not publish within the load (exit ${ingestCode}, ended at ${ingestEnd.toFixed(1)} s)`);
  if (newest.week_ending !== addDays(NEWEST, 6)) problems.push(`served week ${newest.week_ending}, expected ${addDays(NEWEST, 6)}`);
  if (!scored?.estimates) problems.push('publishing the new T1 week scored no estimates');
  if (problems.length) {
    console.error(`\nFAILED:\n- ${problems.join('\n- ')}`);
    process.exitCode = 1;
  } else {
    console.log('\nOK: zero errors, zero non-2xx except the intended 404s, the new week published under load');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
