// Runs the built tape analysis on a file in a process of its own: its time (after start-up) and
// its peak memory are the analysis's alone.
import { createReadStream } from 'node:fs';
import { analyzeTape } from '../dist/ticks/index.js';

const started = performance.now();
const report = await analyzeTape(createReadStream(process.argv[2], { highWaterMark: 1 << 20 }));
const ms = performance.now() - started;
const candles = report.symbols.reduce((n, s) => n + s.candles.length, 0);
process.stdout.write(
  JSON.stringify({ ms, trades: report.input.trades, malformed: report.input.malformed, candles, maxRssKb: process.resourceUsage().maxRSS }),
);
