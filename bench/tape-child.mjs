// Runs the built tape analysis on a file in a process of its own: its time (after start-up) and
// its peak memory are the analysis's alone. With a thread count, the file is read in parts on
// that many threads, as the CLI reads it. With `json`, the report's JSON is also written (to
// /dev/null), as the CLI writes it, and its time and size are reported; with `stringify`, the
// report's objects are written by JSON.stringify instead (V8's own writer: the baseline).
import { createReadStream, openSync, writeSync } from 'node:fs';
import { READ_CHUNK_BYTES, readTapeFile } from '../dist/ticks/file.js';
import { readTape } from '../dist/ticks/index.js';

const [path, threads, json] = process.argv.slice(2);
const started = performance.now();
const tape =
  threads && threads !== '0'
    ? await readTapeFile(path, { threads: Number(threads) })
    : await readTape(createReadStream(path, { highWaterMark: READ_CHUNK_BYTES }));
const ms = performance.now() - started;
let jsonMs = null;
let jsonBytes = null;
if (json === 'json') {
  const out = openSync('/dev/null', 'w');
  jsonBytes = 0;
  for (const chunk of tape.json(2)) jsonBytes += writeSync(out, chunk);
  jsonMs = performance.now() - started - ms;
} else if (json === 'stringify') {
  jsonBytes = writeSync(openSync('/dev/null', 'w'), JSON.stringify(tape.report(), null, 2));
  jsonMs = performance.now() - started - ms;
}
const maxRssKb = process.resourceUsage().maxRSS;
// Counted one bar at a time: a whole market's bars as objects are more than the heap holds.
let candles = 0;
const symbols = new Set();
for (const row of tape.candleRows()) {
  candles++;
  symbols.add(row.symbol);
}
process.stdout.write(
  JSON.stringify({
    ms,
    jsonMs,
    jsonBytes,
    trades: tape.input.trades,
    malformed: tape.input.malformed,
    symbols: symbols.size,
    candles,
    maxRssKb,
  }),
);
