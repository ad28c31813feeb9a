// Runs the built tape analysis on a file in a process of its own: its time (after start-up) and
// its peak memory are the analysis's alone. With a thread count, the file is read in parts on
// that many threads, as the CLI reads it.
import { createReadStream } from 'node:fs';
import { readTapeFile } from '../dist/ticks/file.js';
import { readTape } from '../dist/ticks/index.js';

const [path, threads] = process.argv.slice(2);
const started = performance.now();
const tape = threads
  ? await readTapeFile(path, { threads: Number(threads) })
  : await readTape(createReadStream(path, { highWaterMark: 1 << 20 }));
const ms = performance.now() - started;
const report = tape.report();
const candles = report.symbols.reduce((n, s) => n + s.candles.length, 0);
process.stdout.write(
  JSON.stringify({ ms, trades: report.input.trades, malformed: report.input.malformed, candles, maxRssKb: process.resourceUsage().maxRSS }),
);
