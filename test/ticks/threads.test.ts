// A tape file cut into parts (one per thread) gives the report of one pass over it: the parts are
// checked against the single stream on the real IBM day, and on a file built from it with every
// statistic the merge has to carry (several symbols, late prints, facilities, odd lots, bad rows).
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planParts } from '../../src/ticks/file.js';
import type { TapeOptions } from '../../src/ticks/index.js';
import { analyzeTape, analyzeTapeFile } from '../support/tape.js';
import { FIXTURES } from '../support/fixtures.js';
import { cli, removeTempDirs, tempDir } from '../support/harness.js';

const IBM = `${FIXTURES}ticks/ibm_2013-10-11_trades.csv`;
const dir = tempDir();
afterAll(removeTempDirs);

const onePass = async (path: string, options: TapeOptions = {}) =>
  JSON.parse(JSON.stringify(await analyzeTape(createReadStream(path), options)));
const inParts = async (path: string, threads: number, options: TapeOptions = {}) =>
  JSON.parse(JSON.stringify(await analyzeTapeFile(path, { ...options, threads })));

/**
 * The IBM day as three symbols, CRLF and a byte-order mark, with what one symbol-day lacks: odd lots,
 * facilities on off-exchange prints, execution times (some over 10 s before publication), and a
 * malformed row every 997 lines.
 */
function variedFile(): string {
  const [header, ...rows] = readFileSync(IBM, 'utf8').trim().split('\n');
  const facilities = ['N', 'T', 'B', ''];
  const lines = rows.map((row, i) => {
    if (i % 997 === 500) return 'IBM,not-a-time,185,100,N,,,,A';
    const f = row.split(',');
    f[0] = ['IBM', 'XYZ', 'ABC'][i % 3]!;
    if (i % 11 === 0) {
      f[3] = String(1 + (i % 99));
      f[5] = `${f[5]}I`;
    }
    if (f[4] === 'D') f[6] = facilities[i % 4]!;
    if (i % 5 === 0) f[7] = new Date(Date.parse(f[1]!) - (i % 40) * 1000).toISOString();
    return f.join(',');
  });
  const path = join(dir, 'varied.csv');
  writeFileSync(path, `\uFEFF${[header, ...lines].join('\r\n')}\r\n`);
  return path;
}

describe('a tape file in parts', () => {
  it('cuts at line starts into parts that cover the file once, and only a plain CSV file', () => {
    const size = statSync(IBM).size;
    const bytes = readFileSync(IBM);
    const plan = planParts(IBM, 7)!;
    expect(plan.parts).toHaveLength(7);
    expect(plan.header.toString()).toBe(`${bytes.subarray(0, bytes.indexOf(10)).toString()}\n`);
    expect(plan.parts[0]!.start).toBe(0);
    expect(plan.parts.at(-1)!.end).toBe(size);
    for (const [i, part] of plan.parts.entries()) {
      if (i > 0) expect(part.start).toBe(plan.parts[i - 1]!.end);
      expect(bytes[part.start - 1] ?? 10).toBe(10);
    }

    const gz = join(dir, 'ibm.csv.gz');
    writeFileSync(gz, gzipSync(bytes));
    const ndjson = join(dir, 'ibm.ndjson');
    writeFileSync(ndjson, '{"symbol":"IBM","timestamp":1,"price":1,"size":1,"exchange":"N"}\n'.repeat(500));
    const headerOnly = join(dir, 'header.csv');
    writeFileSync(headerOnly, `${plan.header.toString()}`);
    for (const path of [gz, ndjson, headerOnly]) expect(planParts(path, 4)).toBeNull();
  });

  it('gives the real IBM day the report of one pass, bar for bar, however many parts', async () => {
    const options: TapeOptions = { prints: ['all', 'lit', 'off-exchange'] };
    const expected = await onePass(IBM, options);
    expect(expected.input.trades).toBe(19_264);
    for (const threads of [2, 3, 16, 97]) expect(await inParts(IBM, threads, options)).toEqual(expected);
  });

  it('carries every statistic across the cuts: symbols, odd lots, facilities, late prints, bad rows and their lines', async () => {
    const path = variedFile();
    for (const options of [{}, { prints: ['round-lot', 'lit-round-lot'], intervalSeconds: 300, excludeLate: true }] as TapeOptions[]) {
      const expected = await onePass(path, options);
      expect(expected.symbols.map((s: { symbol: string }) => s.symbol)).toEqual(['ABC', 'IBM', 'XYZ']);
      expect(expected.totals.odd_lot_trades).toBeGreaterThan(1_000);
      expect(expected.symbols[1].delayed_prints.count).toBeGreaterThan(100);
      expect(Object.keys(expected.totals.off_exchange_volume_by_facility)).toHaveLength(4);
      expect(expected.input.malformed).toBe(19);
      for (const threads of [2, 5, 31]) expect(await inParts(path, threads, options)).toEqual(expected);
    }
  });

  it('carries a symbol first seen after the first cut, whose bars arrive from one part and grow with the next', async () => {
    const [header, ...rows] = readFileSync(IBM, 'utf8').trim().split('\n');
    const third = Math.floor(rows.length / 3);
    const path = join(dir, 'late-symbol.csv');
    writeFileSync(path, `${[header, ...rows.map((r, i) => (i < third ? r : r.replace(/^IBM,/, 'XYZ,')))].join('\n')}\n`);
    const options: TapeOptions = { prints: ['all', 'lit'] };
    const expected = await onePass(path, options);
    expect(expected.symbols.map((s: { symbol: string }) => s.symbol)).toEqual(['IBM', 'XYZ']);
    for (const threads of [2, 3, 5]) expect(await inParts(path, threads, options)).toEqual(expected);
  });

  it('breaks ties across a cut as one pass does: the first print of an instant opens, the last closes, the first large print ranks first', async () => {
    // 3,000 prints in one second at changing prices, every 97th a large one of the same size.
    const price = (i: number) => 100 + (i % 50) / 100;
    const rows = Array.from({ length: 3_000 }, (_, i) => `XYZ,2026-03-02T15:00:00Z,${price(i).toFixed(2)},${i % 97 ? 100 : 5_000},N,@,,,A`);
    const path = join(dir, 'ties.csv');
    writeFileSync(path, `symbol,timestamp,price,size,exchange,conditions,trf_id,participant_timestamp,tape\n${rows.join('\n')}\n`);
    const expected = await onePass(path);
    const [bar] = expected.symbols[0].candles;
    expect([bar.open, bar.close]).toEqual([price(0), price(2_999)]);
    // Equal in size, the large prints rank in file order: the first ten of them, rows 0, 97, 194...
    const firstTen = Array.from({ length: 10 }, (_, k) => price(k * 97));
    expect(expected.symbols[0].large_prints.largest.map((p: { price: number }) => p.price)).toEqual(firstTen);
    for (const threads of [2, 3, 7]) expect(await inParts(path, threads)).toEqual(expected);
  });

  it('reports progress as the lines and the share of the file read by every part together', async () => {
    const calls: [number, number][] = [];
    await analyzeTapeFile(IBM, { threads: 3, progressEvery: 1_000, onProgress: (lines, share) => calls.push([lines, share]) });
    const [lines, share] = calls.at(-1)!;
    // Each part reports every 1,000 of its lines: at the end, all but under 1,000 per part.
    expect(lines).toBeGreaterThan(19_265 - 3 * 1_000);
    expect(lines).toBeLessThanOrEqual(19_265 + 2);
    expect(share).toBeGreaterThan(0.8);
    expect(share).toBeLessThanOrEqual(1);
    expect(calls.map(([n]) => n)).toEqual([...calls.map(([n]) => n)].sort((a, b) => a - b));
  });

  it('stops at the first malformed row of the file with --strict, named by its line in the file', async () => {
    const path = variedFile();
    const single = analyzeTape(createReadStream(path), { strict: true });
    await expect(single).rejects.toThrow(/^line 502: timestamp "not-a-time"/);
    for (const threads of [2, 9]) await expect(analyzeTapeFile(path, { strict: true, threads })).rejects.toThrow(/^line 502: timestamp/);
  });

  it('takes --threads auto or a count from 1 to 64, and says so otherwise', async () => {
    for (const bad of ['0', '65', '1.5', 'all']) {
      const run = await cli(['ticks', IBM, '--threads', bad], { DB_PATH: join(dir, 'none.db') });
      expect(run.code).toBe(64);
      expect(run.stderr).toMatch(/--threads must be/);
    }
    for (const good of ['auto', '1', '4'])
      expect((await cli(['ticks', IBM, '--threads', good], { DB_PATH: join(dir, 'none.db') })).code).toBe(0);
  });

  it('runs the parts on worker threads in the built CLI, with the same report', async () => {
    const cli = 'dist/cli.js';
    expect(existsSync(cli), 'the build (npm run build) makes dist/').toBe(true);
    const path = variedFile();
    const run = spawnSync(process.execPath, [cli, 'ticks', path, '--threads', '3'], {
      encoding: 'utf8',
      env: { ...process.env, DB_PATH: join(dir, 'none.db'), LOG_LEVEL: 'silent' },
    });
    expect(run.stderr).toBe('19 malformed rows (first at line 502); see input.malformed_rows\n');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(await onePass(path));
    const bad = spawnSync(process.execPath, [cli, 'ticks', path, '--threads', '3', '--strict'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^darkpool-radar ticks: line 502: timestamp/);
  });
});
