// Runs the built CLI's `ingest` in a process of its own and reports its wall time and peak memory.
import { main } from '../dist/cli/index.js';

let out = '';
const started = performance.now();
const code = await main(process.argv.slice(2), process.env, { stdout: (t) => (out += t), stderr: () => {} });
const ms = performance.now() - started;
const rows = Number(/([\d,]+) ATS rows/.exec(out)?.[1]?.replaceAll(',', '') ?? 0);
process.stdout.write(JSON.stringify({ code, ms, rows, summary: out.trim(), maxRssKb: process.resourceUsage().maxRSS }));
