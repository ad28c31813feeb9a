import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/api/api-keys.js';
import { toCsv } from '../../src/api/csv.js';
import { buildApp, OPEN_APP_CONFIG } from '../../src/app.js';
import type { Store } from '../../src/store/store.js';
import { analyzeTape } from '../support/tape.js';
import { CANDLE_CSV_COLUMNS } from '../../src/ticks/report.js';
import { seededStore } from '../support/app.js';
import { FIXTURES, tqqqRows } from '../support/fixtures.js';
import { cli, removeTempDirs, silentLogger, tempDbPath } from '../support/harness.js';

const IBM = `${FIXTURES}ticks/ibm_2013-10-11_trades.csv`;
const ibmText = readFileSync(IBM, 'utf8');
let store: Store;
let app: FastifyInstance;

beforeAll(async () => {
  store = await seededStore(); // holds TQQQ's week of 2025-11-17 (T2)
  app = await buildApp(OPEN_APP_CONFIG, { store, logger: silentLogger, ticksMaxBytes: 2_000_000 });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  store.close();
  removeTempDirs();
});

describe('darkpool-radar ticks', () => {
  it('prints the JSON analysis, or the candles as CSV', async () => {
    const json = await cli(['ticks', IBM], { DB_PATH: tempDbPath() });
    expect(json.code).toBe(0);
    // Written in chunks straight from the tape, it is JSON.stringify's text of the report, byte for byte.
    expect(json.stdout).toBe(`${JSON.stringify(await analyzeTape([ibmText]), null, 2)}\n`);
    expect(JSON.parse(json.stdout).symbols[0].finra).toEqual({ status: 'no_store' });
    // Two symbols (IBM's first 3,000 trades again as AAA, after IBM's) and three classes, as JSON and as CSV.
    const dir = mkdtempSync(join(tmpdir(), 'ticks-'));
    const twoText = `${ibmText}${ibmText.split('\n').slice(1, 3_001).join('\n').replaceAll('IBM,', 'AAA,')}\n`;
    writeFileSync(join(dir, 'two.csv'), twoText);
    const prints = ['off-exchange', 'all', 'lit-round-lot'] as const;
    const two = await analyzeTape([twoText], { prints: [...prints] });
    expect(two.symbols.map((s) => s.symbol)).toEqual(['AAA', 'IBM']);
    const twoJson = await cli(['ticks', join(dir, 'two.csv'), '--prints', prints.join(',')], { DB_PATH: tempDbPath() });
    expect(twoJson.stdout).toBe(`${JSON.stringify(two, null, 2)}\n`);
    const twoCsv = await cli(['ticks', join(dir, 'two.csv'), '--prints', prints.join(','), '--format', 'csv'], { DB_PATH: tempDbPath() });
    const records = two.symbols.flatMap((s) => s.candles.map((c) => ({ symbol: s.symbol, ...c })));
    expect(twoCsv.stdout).toBe(toCsv(CANDLE_CSV_COLUMNS, records));
    rmSync(dir, { recursive: true });

    const csv = await cli(['ticks', IBM, '--format', 'csv', '--interval', '300'], { DB_PATH: tempDbPath() });
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(CANDLE_CSV_COLUMNS);
    const fiveMinutes = await analyzeTape([ibmText], { intervalSeconds: 300 });
    expect(rows).toHaveLength(fiveMinutes.symbols[0]!.candles.length);
    expect(rows.reduce((n, r) => n + Number(r.volume), 0)).toBe(fiveMinutes.totals.volume);
  });

  it("reads a gzip'd Massive flat file, and writes the print classes side by side", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ticks-'));
    const rows = [
      'ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp',
      'AAPL,,0,12,1,,200.00,1,1772463600000000000,100,3,,',
      'AAPL,"14,37",0,11,2,,200.50,2,1772463601000000000,10,3,,',
      'AAPL,,0,4,3,1772463590000000000,199.50,3,1772463602000000000,300,3,202,1772463602000000000',
      'AAPL,,8,4,4,,150.00,4,1772463603000000000,900,3,201,',
    ];
    const file = join(dir, 'trades.csv.gz');
    writeFileSync(file, gzipSync(`${rows.join('\n')}\n`));
    const res = await cli(['ticks', file, '--prints', 'lit,off-exchange', '--format', 'csv'], { DB_PATH: tempDbPath() });
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/1 rows marked cancelled, erroneous or corrected were left out/);
    const candles = parse(res.stdout, { columns: true }) as Record<string, string>[];
    expect(candles.map((c) => [c.symbol, c.prints, c.volume, c.high])).toEqual([
      ['AAPL', 'lit', '110', '200'],
      ['AAPL', 'off-exchange', '300', '199.5'],
    ]);
    const json = JSON.parse((await cli(['ticks', file, '--exclude-late', '--delay-seconds', '5'], { DB_PATH: tempDbPath() })).stdout);
    expect(json.input).toMatchObject({ layout: 'massive', trades: 3, superseded: 1 });
    expect(json.symbols[0].candles[0]).toMatchObject({ trades_late: 1, volume_late: 300, volume: 110 });
    rmSync(dir, { recursive: true });
  });

  it('refuses bad options with a clear message', async () => {
    expect((await cli(['ticks', IBM, '--rules', 'u-y'], {})).stderr).toMatch(/--rules must be sip or letter-u-y/);
    expect((await cli(['ticks', IBM, '--interval', '0'], {})).stderr).toMatch(/--interval must be a positive integer/);
    expect((await cli(['ticks'], {})).code).toBe(64);
    expect((await cli(['ticks', IBM, '--prints', 'dark'], {})).stderr).toMatch(/--prints must be a comma-separated list of all, lit/);
    expect((await cli(['ticks', IBM, '--input-format', 'databento'], {})).stderr).toMatch(/--input-format must be auto, radar, massive/);
  });
});

describe('POST /ticks/analyze', () => {
  it('answers the same analysis as the CLI, for CSV and for NDJSON', async () => {
    const res = await app.inject({ method: 'POST', url: '/ticks/analyze', headers: { 'content-type': 'text/csv' }, payload: ibmText });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    // Streamed in chunks, it is JSON.stringify's text of the report, byte for byte.
    const expected = await analyzeTape([ibmText], {
      crossCheck: () => ({ status: 'week_not_loaded', week_start: '2013-10-07', week_ending: '2013-10-13' }),
    });
    expect(res.body).toBe(JSON.stringify(expected));

    const lines = ibmText
      .trim()
      .split('\n')
      .slice(1, 200)
      .map((l) => {
        const [symbol, timestamp, price, size, exchange, conditions, , , tape] = l.split(',');
        return JSON.stringify({ symbol, timestamp, price: Number(price), size: Number(size), exchange, conditions, tape });
      });
    const asCsv = await app.inject({
      method: 'POST',
      url: '/ticks/analyze?interval=120',
      headers: { 'content-type': 'text/csv' },
      payload: ibmText.split('\n').slice(0, 200).join('\n'),
    });
    const asJson = await app.inject({
      method: 'POST',
      url: '/ticks/analyze?interval=120',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: lines.join('\n'),
    });
    expect(asJson.json().symbols).toEqual(asCsv.json().symbols);
    expect(asJson.json().input.format).toBe('ndjson');
  });

  it('splits the tape’s off-exchange volume by FINRA’s ATS share when the store holds the week (an estimate)', async () => {
    // Hand-written TQQQ prints on Tuesday 2025-11-18, in the week FINRA's sample covers.
    const body = [
      'symbol,timestamp,price,size,exchange,conditions,trf_id,participant_timestamp,tape',
      'TQQQ,2025-11-18T15:00:00Z,105.10,1000,D,@,Q,,C',
      'TQQQ,2025-11-18T15:00:01Z,105.12,500,Q,@,,,C',
      'TQQQ,2025-11-18T15:00:02Z,105.11,3000,D,@,N,,C',
    ].join('\n');
    const res = await app.inject({ method: 'POST', url: '/ticks/analyze', headers: { 'content-type': 'text/csv' }, payload: body });
    const ats = tqqqRows().find((r) => r.summaryTypeCode === 'ATS_W_SMBL')!.totalWeeklyShareQuantity as number;
    const nonAts = tqqqRows().find((r) => r.summaryTypeCode === 'OTC_W_SMBL')!.totalWeeklyShareQuantity as number;
    const share = ats / (ats + nonAts);
    expect(res.json().symbols[0].finra).toEqual({
      status: 'loaded',
      week_start: '2025-11-17',
      week_ending: '2025-11-23',
      finra_symbol: 'TQQQ',
      tier: 'T2',
      finra_ats_shares: ats,
      finra_non_ats_shares: nonAts,
      finra_ats_share_of_off_exchange: Math.round(share * 10_000) / 10_000,
      tape_off_exchange_volume: 4000,
      estimate: {
        estimate: true,
        method: expect.any(String),
        ats_volume: Math.round(4000 * share),
        non_ats_volume: Math.round(4000 * (1 - share)),
      },
    });
  });

  it('refuses a body over the limit (413, also while streaming), other media types (415), and with strict a malformed row (400)', async () => {
    const big = `symbol,timestamp,price,size,exchange,conditions\n${'XYZ,2026-03-02T15:00:01Z,100,100,N,@\n'.repeat(80_000)}`;
    const declared = await app.inject({ method: 'POST', url: '/ticks/analyze', headers: { 'content-type': 'text/csv' }, payload: big });
    expect(declared.statusCode).toBe(413);
    expect(declared.json()).toMatchObject({ code: 'payload_too_large' });
    const streamed = await app.inject({
      method: 'POST',
      url: '/ticks/analyze',
      headers: { 'content-type': 'text/csv' },
      payload: Readable.from([big.slice(0, 1_500_000), big.slice(1_500_000)]),
    });
    expect(streamed.statusCode).toBe(413);
    const json = await app.inject({
      method: 'POST',
      url: '/ticks/analyze',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(json.statusCode).toBe(415);
    const strict = await app.inject({
      method: 'POST',
      url: '/ticks/analyze?strict=true',
      headers: { 'content-type': 'text/csv' },
      payload: 'symbol,timestamp,price,size,exchange\nXYZ,2026-03-02T15:00:01Z,100,100,N\nXYZ,bad,100,100,N\n',
    });
    expect(strict.statusCode).toBe(400);
    expect(strict.json().detail).toMatch(/line 3: timestamp "bad"/);
    const noHeader = await app.inject({
      method: 'POST',
      url: '/ticks/analyze',
      headers: { 'content-type': 'text/csv' },
      payload: 'a,b\n1,2\n',
    });
    expect(noHeader.statusCode).toBe(400);
    expect(noHeader.json().detail).toMatch(/header lacks symbol, timestamp, price, size, exchange/);
  });

  it('answers the candles as CSV when asked, of the print classes asked for, from a gzip body as from a plain one', async () => {
    const post = (url: string, headers: Record<string, string>, payload: string | Buffer) =>
      app.inject({ method: 'POST', url, headers: { 'content-type': 'text/csv', ...headers }, payload });
    const json = (await post('/ticks/analyze?prints=LIT,off-exchange&interval=300', {}, ibmText)).json();
    expect(json.prints).toEqual(['lit', 'off-exchange']);
    for (const [url, headers] of [
      ['/ticks/analyze?prints=lit,off-exchange&interval=300&format=csv', {}],
      ['/ticks/analyze?prints=lit,off-exchange&interval=300', { accept: 'text/csv' }],
    ] as const) {
      const res = await post(url, headers, ibmText);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      const rows = parse(res.body, { columns: true }) as Record<string, string>[];
      expect(Object.keys(rows[0]!)).toEqual(CANDLE_CSV_COLUMNS);
      expect(rows.map((r) => [r.prints, r.start, Number(r.volume)])).toEqual(
        json.symbols[0].candles.map((c: Record<string, unknown>) => [c.prints, c.start, c.volume]),
      );
    }
    const gzipped = await post('/ticks/analyze?prints=lit,off-exchange&interval=300', { 'content-encoding': 'gzip' }, gzipSync(ibmText));
    expect(gzipped.statusCode).toBe(200);
    expect(gzipped.json()).toEqual(json);
    // Symbols in any case are one symbol.
    const lower = ibmText.replaceAll('\nIBM,', '\nibm,');
    expect((await post('/ticks/analyze?prints=lit,off-exchange&interval=300', {}, lower)).json().symbols).toEqual(json.symbols);
  });

  it('refuses an upload that makes more candles than the limit, with 413, and answers it at a longer interval', async () => {
    const capped = await buildApp(OPEN_APP_CONFIG, { store, logger: silentLogger, ticksMaxBars: 100 });
    try {
      const post = (url: string) => capped.inject({ method: 'POST', url, headers: { 'content-type': 'text/csv' }, payload: ibmText });
      // The IBM day makes one bar a minute it traded (hundreds of them), one a day at 86,400 s.
      expect((await analyzeTape([ibmText])).symbols[0]!.candles.length).toBeGreaterThan(100);
      const refused = await post('/ticks/analyze');
      expect(refused.statusCode).toBe(413);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.json()).toMatchObject({ code: 'payload_too_large', status: 413 });
      expect(refused.json().detail).toMatch(/more than 100 candles .*longer interval.*darkpool-radar ticks FILE/);
      const daily = await post('/ticks/analyze?interval=86400');
      expect(daily.statusCode).toBe(200);
      expect(daily.json().symbols[0].candles).toHaveLength(1);
    } finally {
      await capped.close();
    }
  });

  it('analyses as many uploads at once as it is set to, and tells the next to come back (503 busy, Retry-After)', async () => {
    const one = await buildApp(OPEN_APP_CONFIG, { store, logger: silentLogger, ticksConcurrency: 1 });
    try {
      const [header, ...rows] = ibmText.split('\n');
      // An upload still arriving: its first rows now, the rest when the test says.
      const slow = new PassThrough();
      slow.write(`${header}\n${rows.slice(0, 100).join('\n')}\n`);
      const post = (payload: string | PassThrough) =>
        one.inject({ method: 'POST', url: '/ticks/analyze', headers: { 'content-type': 'text/csv' }, payload });
      const first = post(slow);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const refused = await post(ibmText);
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('1');
      expect(refused.json()).toMatchObject({ code: 'busy', status: 503 });
      slow.end(`${rows.slice(100).join('\n')}`);
      const answered = await first;
      expect(answered.statusCode).toBe(200);
      expect(answered.json().input.trades).toBe(19_264);
      // Its turn given back once answered: the next upload is read.
      expect((await post(ibmText)).statusCode).toBe(200);
    } finally {
      await one.close();
    }
  });

  it('reads a Massive API page with symbol=, and refuses an empty body, broken gzip, a gzip bomb and other encodings', async () => {
    const page = JSON.stringify({
      results: [{ conditions: [37], exchange: 4, trf_id: 201, price: 100.5, sip_timestamp: 1_772_463_600_000_000_000, size: 7, tape: 3 }],
      status: 'OK',
    });
    const post = (url: string, headers: Record<string, string>, payload: string | Buffer, type = 'application/x-ndjson') =>
      app.inject({ method: 'POST', url, headers: { 'content-type': type, ...headers }, payload });
    const massive = await post('/ticks/analyze?symbols=aapl', {}, page);
    expect(massive.statusCode).toBe(200);
    expect(massive.json().input).toMatchObject({ format: 'ndjson', layout: 'massive', trades: 1 });
    expect(massive.json().symbols[0]).toMatchObject({ symbol: 'AAPL', statistics: { off_exchange_volume: 7, odd_lot_volume: 7 } });

    for (const body of ['', '\n\n']) {
      const empty = await post('/ticks/analyze', {}, body, 'text/csv');
      expect(empty.statusCode).toBe(400);
      expect(empty.json()).toMatchObject({ code: 'invalid_body', detail: expect.stringMatching(/holds no trades/) });
    }
    const broken = await post('/ticks/analyze', { 'content-encoding': 'gzip' }, Buffer.from('not gzip at all'), 'text/csv');
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ code: 'invalid_body' });
    // 2 MB limit here: 30 MB of one repeated row compresses to far less, and may not expand past 10x the limit.
    const bomb = gzipSync(`symbol,timestamp,price,size,exchange\n${'XYZ,2026-03-02T15:00:01Z,100,100,N\n'.repeat(900_000)}`);
    expect(bomb.length).toBeLessThan(2_000_000);
    const exploded = await post('/ticks/analyze', { 'content-encoding': 'gzip' }, bomb, 'text/csv');
    expect(exploded.statusCode).toBe(413);
    expect(exploded.json().detail).toMatch(/Decompressed uploads are limited to 20000000 bytes/);
    const brotli = await post('/ticks/analyze', { 'content-encoding': 'br' }, ibmText, 'text/csv');
    expect(brotli.statusCode).toBe(415);
    const xml = await app.inject({
      method: 'POST',
      url: '/ticks/analyze',
      headers: { 'content-type': 'text/csv', accept: 'application/xml' },
      payload: ibmText,
    });
    expect(xml.statusCode).toBe(406);
    const badClass = await post('/ticks/analyze?prints=lit,dark', {}, ibmText, 'text/csv');
    expect(badClass.statusCode).toBe(400);
    expect(badClass.json().detail).toMatch(/prints must be a comma-separated list of all, lit, off-exchange, round-lot, lit-round-lot/);
  });

  it('needs an API key when keys are configured', async () => {
    const keyed = await buildApp(OPEN_APP_CONFIG, {
      store,
      logger: silentLogger,
      apiKeys: ApiKeys.fromConfig(['ticks-key-0123456789abcdef'], undefined),
    });
    const res = await keyed.inject({
      method: 'POST',
      url: '/ticks/analyze',
      headers: { 'content-type': 'text/csv' },
      payload: ibmText.slice(0, 500),
    });
    expect(res.statusCode).toBe(401);
    await keyed.close();
  });
});
