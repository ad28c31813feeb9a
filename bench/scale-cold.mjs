// What each answer costs the read model on the four-year store when no cache holds it: every endpoint
// of the weekly data, called directly (the built dist/) with random symbols, weeks and venues.
// argv: db path, inputs JSON file ({ symbols, weeks, mpids, asOf }). Prints one JSON line.
import { readFileSync } from 'node:fs';
import { openStore } from '../dist/compose.js';
import { PointInTime } from '../dist/read/point-in-time.js';
import { Queries } from '../dist/read/queries.js';
import { Revisions } from '../dist/read/revisions.js';
import { Snapshot } from '../dist/read/snapshot.js';
import { WeekFiles } from '../dist/read/week-file.js';
import { Reports } from '../dist/read/weekly.js';
import { SectorTable } from '../dist/sectors/table.js';

const [dbPath, inputsPath] = process.argv.slice(2);
const { symbols, weeks, mpids, asOf } = JSON.parse(readFileSync(inputsPath, 'utf8'));
// Opened for writing once, as the server would: a store built by an older version is migrated first.
const store = openStore(dbPath, SectorTable.load());
const snapshot = new Snapshot(store.db);
const reports = new Reports(new Queries(store.db), snapshot);
const revisions = new Revisions(store.db, reports, snapshot);
const pit = new PointInTime(dbPath);
const pick = (list) => list[Math.floor(Math.random() * list.length)];

/** Median and p99 of `n` calls, in microseconds, after a few to warm up. */
function time(n, fn) {
  for (let i = 0; i < Math.min(5, n); i++) JSON.stringify(fn());
  const us = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    JSON.stringify(fn());
    us.push((performance.now() - started) * 1000);
  }
  us.sort((a, b) => a - b);
  return { median_us: Math.round(us[Math.floor(n / 2)]), p99_us: Math.round(us[Math.min(n - 1, Math.floor(n * 0.99))]) };
}

const result = {
  'weekly/{ticker}': time(500, () => reports.weekly(pick(symbols))),
  'weekly/{ticker}?as_of': time(300, () => pit.reports(asOf).weekly(pick(symbols))),
  'history/{ticker}?weeks=52': time(300, () => reports.history(pick(symbols), 52)),
  'history/{ticker}?weeks=5000 (all)': time(200, () => reports.history(pick(symbols), 5000)),
  'history/{ticker}?from&to (a year)': time(200, () => reports.history(pick(symbols), undefined, { from: weeks[100], to: weeks[48] })),
  'history/{ticker}?weeks=52&as_of': time(100, () => pit.reports(asOf).history(pick(symbols), 52)),
  'ratio/{ticker}': time(500, () => reports.ratio(pick(symbols))),
  'offexchange/{ticker}': time(500, () => reports.offExchange(pick(symbols))),
  'movers/top20?week': time(30, () => reports.movers({ week: pick(weeks) })),
  'movers/top20?week&sort=change': time(30, () => reports.movers({ week: pick(weeks), sort: 'change' })),
  'movers/top20?as_of&sort=change': time(10, () => pit.reports(asOf).movers({ sort: 'change' })),
  'sectors?week': time(30, () => reports.sectors({ week: pick(weeks) })),
  'venues?week': time(30, () => reports.venues({ week: pick(weeks) })),
  'venues/{mpid}?weeks=208': time(100, () => reports.venue(pick(mpids), 208)),
  'venues/{mpid}/symbols?week': time(100, () => reports.venueSymbols(pick(mpids), pick(weeks))),
  'revisions?ticker': time(100, () => revisions.list({ ticker: pick(symbols) })),
  revisions: time(10, () => revisions.list({})),
};

// The whole-week file: every record of the biggest tier-week, read as the endpoint streams it.
const files = new WeekFiles(dbPath);
const rssBefore = process.memoryUsage().rss;
let peak = rssBefore;
const started = performance.now();
let records = 0;
for (const week of weeks.slice(0, 10)) {
  const file = files.open(week, 'T2');
  for (const r of file.records) {
    records++;
    if (records % 1000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
    JSON.stringify(r);
  }
}
result['weeks/{week}/symbols?tier=T2'] = {
  median_us: Math.round(((performance.now() - started) * 1000) / 10),
  records_per_week: records / 10,
  rss_growth_mb: Math.round((peak - rssBefore) / 2 ** 20),
};
pit.close();
store.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
