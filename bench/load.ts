// Load test (loopback only, bounded): mixed traffic over every endpoint at 100 connections against
// the built server, while an ingest process publishes a new full-size week into the same database
// (and scores the estimates served for it). Asserts zero errors and no non-2xx answers other than the
// intended 404s. Reports the slowest answers by window (cold start, before, during and after the publish),
// and first what a burst of new clients right after a start waits while the histories are built.
// Run: npm run load (LOAD_SECONDS=N for its length, LOAD_PER_SECOND=1 for each second's slowest answer,
// PROF=DIR to write the server's CPU profile there).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pino from 'pino';
import { Agent, Pool } from 'undici';
import { parseShortVolumeFile } from '../src/finra/short-volume-file.js';
import { addDays } from '../src/domain/calendar.js';
import { createFinraClient } from '../src/finra/index.js';
import type { Tier } from '../src/domain/tiers.js';
import { ingestFromFinra } from '../src/ingest/run.js';
import { SectorTable } from '../src/sectors/table.js';
import { startService, waitReady } from './lib.js';
import { ensureWeekFiles, symbolOf, syntheticDailyFiles, TIER_SHAPES, WEEK_FILES_DIR } from './synthetic.js';
import { openStore } from '../src/compose.js';

const DURATION_S = Number(process.env.LOAD_SECONDS ?? 20);
const NEWEST = '2026-10-26'; // the week the ingest publishes during the load
const PREFILLED = [1, 2, 3, 4].map((i) => addDays(NEWEST, -7 * i));
const TIERS: Tier[] = ['T1', 'T2', 'OTCE'];

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

/** Every answer's latency and when it ended (ms since the load began), to place the slow ones in time. */
interface Timed {
  at: number;
  ms: number;
}

function run(url: string, connections: number, path: () => string, timed: Timed[], began: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url, connections, duration: DURATION_S, requests: [{ setupRequest: (req) => ({ ...req, path: path() }) }] },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    instance.on('response', (_client, _status, _bytes, ms: number) => timed.push({ at: Date.now() - began, ms }));
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/**
 * p99, p99.9 and max of the answers that ended in [from, to) ms, and when the slowest was sent: one
 * ending after the first second may have waited since the cold start.
 */
function window(timed: Timed[], from: number, to: number) {
  const inside = timed.filter((t) => t.at >= from && t.at < to);
  const ms = inside.map((t) => t.ms).sort((a, b) => a - b);
  const slowest = inside.reduce<Timed | null>((a, t) => (a === null || t.ms > a.ms ? t : a), null);
  return {
    answers: ms.length,
    p99: quantile(ms, 0.99),
    p999: quantile(ms, 0.999),
    max: ms.at(-1) ?? 0,
    slowestSentAt: slowest ? slowest.at - slowest.ms : 0,
  };
}

/**
 * One request on each of `paths.length` new connections, all at once, as soon as a fresh server on
 * `dbPath` is ready: the median and slowest answer (ms). The histories are built in the first
 * seconds after a start, so this is what that building costs a burst of new clients.
 */
async function burstAtStart(dbPath: string, paths: string[], env: Record<string, string>) {
  const server = await startService(process.execPath, ['bench/server-child.mjs'], {
    DB_PATH: dbPath,
    INGEST_CRON: 'off',
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: 'error', // its first line of output is its URL
    ...env,
  });
  try {
    await waitReady(`${server.firstLine}/readyz`);
    const pool = new Pool(server.firstLine, { connections: paths.length });
    const ms = await Promise.all(
      paths.map(async (path) => {
        const started = performance.now();
        const res = await pool.request({ path, method: 'GET' });
        await res.body.dump();
        if (res.statusCode !== 200) throw new Error(`burst: ${path} answered ${res.statusCode}`);
        return performance.now() - started;
      }),
    );
    await pool.close();
    ms.sort((a, b) => a - b);
    return { median: quantile(ms, 0.5), max: ms.at(-1) ?? 0 };
  } finally {
    await server.stop();
  }
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'darkpool-load-'));
  const dbPath = join(dir, 'load.db');
  // The FINRA double runs in a process of its own: generating and gzipping a week's pages on this
  // process's event loop would stall the load generator itself and show as the server's latency.
  ensureWeekFiles(WEEK_FILES_DIR, [...PREFILLED, NEWEST], TIERS);
  const double = await startService(
    process.execPath,
    ['--import', 'tsx', 'bench/double-child.ts', NEWEST, String(PREFILLED.length + 1)],
    {},
    true,
  );
  const finraUrl = double.firstLine;

  console.log(`prefilling ${PREFILLED.length} full-size weeks x 3 tiers through the ingest path ...`);
  const store = openStore(dbPath, SectorTable.load());
  const agent = new Agent();
  const logger = pino({ level: 'warn' });
  const client = createFinraClient(
    { FINRA_API_URL: finraUrl, FINRA_TOKEN_URL: finraUrl, FINRA_CLIENT_ID: undefined, FINRA_CLIENT_SECRET: undefined },
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
  double.child.stdin!.write('release\n'); // FINRA publishes a new week
  await double.lines.next();

  // A burst of new clients right after a start, with the histories being built and without them.
  const burstPaths = Array.from({ length: 100 }, validPath);
  const burst = {
    building: await burstAtStart(dbPath, burstPaths, {}),
    without: await burstAtStart(dbPath, burstPaths, { HISTORY_MEMORY_MB: '0' }),
  };
  console.log(
    `a burst of 100 requests on new connections right after a start: median ${burst.building.median.toFixed(1)} ms, max ${burst.building.max.toFixed(1)} ms while the histories are built; median ${burst.without.median.toFixed(1)} ms, max ${burst.without.max.toFixed(1)} ms without them (HISTORY_MEMORY_MB=0)`,
  );

  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DB_PATH: dbPath,
    INGEST_CRON: 'off',
    RATE_LIMIT_MAX: '0',
    LOG_LEVEL: 'warn',
    FINRA_API_URL: finraUrl,
    DAILY_WINDOW_DAYS: '0',
  };
  const server = spawn(
    process.execPath,
    [...(process.env.PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.PROF] : []), 'dist/server.js'],
    { env, stdio: ['ignore', 'inherit', 'inherit'] },
  );
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
  const timed: Timed[] = [];
  const loads = Promise.all([run(base, 90, validPath, timed, started), run(base, 10, missPath, timed, started)]);
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
  await double.stop();
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
  // Where the slow answers fell: the first second (cold: nothing cached, nothing compiled), the rest
  // before the ingest, while it ran (its publish included), the 2 s after, and the rest.
  const windows: [string, number, number][] = [
    ['first second (cold start)', 0, 1000],
    ['before the ingest', 1000, ingestStart * 1000],
    ['while the ingest ran and published', ingestStart * 1000, ingestEnd * 1000],
    ['2 s after the publish', ingestEnd * 1000, ingestEnd * 1000 + 2000],
    ['the rest', ingestEnd * 1000 + 2000, Infinity],
    ['after the first second', 1000, Infinity],
  ];
  console.log('\n| window | answers | p99 ms | p99.9 ms | max ms | slowest sent at |\n|---|---|---|---|---|---|');
  for (const [name, from, to] of windows) {
    const w = window(timed, from, to);
    console.log(
      `| ${name} | ${w.answers.toLocaleString('en-US')} | ${w.p99.toFixed(1)} | ${w.p999.toFixed(1)} | ${w.max.toFixed(1)} | ${(w.slowestSentAt / 1000).toFixed(2)} s |`,
    );
  }
  if (process.env.LOAD_PER_SECOND)
    for (let s = 0; s < DURATION_S; s++) console.log(`  second ${s}: max ${window(timed, s * 1000, s * 1000 + 1000).max.toFixed(1)} ms`);
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
  // For `npm run bench -- load`: the same figures as data.
  if (process.env.LOAD_RESULT)
    writeFileSync(
      process.env.LOAD_RESULT,
      JSON.stringify({
        seconds: DURATION_S,
        rps: valid.requests.average + misses.requests.average,
        ingest: { from: ingestStart, to: ingestEnd, code: ingestCode },
        windows: windows.map(([name, from, to]) => ({ name, ...window(timed, from, to) })),
        burst,
        problems,
      }),
    );
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
