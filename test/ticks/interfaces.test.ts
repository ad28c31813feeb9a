import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/api/api-keys.js';
import { buildApp, OPEN_APP_CONFIG } from '../../src/app.js';
import type { Store } from '../../src/store/store.js';
import { analyzeTape } from '../../src/ticks/index.js';
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
    const report = JSON.parse(json.stdout);
    expect(report).toEqual(JSON.parse(JSON.stringify(await analyzeTape([ibmText]))));
    expect(report.symbols[0].finra).toEqual({ status: 'no_store' });

    const csv = await cli(['ticks', IBM, '--format', 'csv', '--interval', '300'], { DB_PATH: tempDbPath() });
    const rows = parse(csv.stdout, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual(CANDLE_CSV_COLUMNS);
    const fiveMinutes = await analyzeTape([ibmText], { intervalSeconds: 300 });
    expect(rows).toHaveLength(fiveMinutes.symbols[0]!.candles.length);
    expect(rows.reduce((n, r) => n + Number(r.volume), 0)).toBe(fiveMinutes.totals.volume);
  });

  it('refuses bad options with a clear message', async () => {
    expect((await cli(['ticks', IBM, '--rules', 'u-y'], {})).stderr).toMatch(/--rules must be sip or letter-u-y/);
    expect((await cli(['ticks', IBM, '--interval', '0'], {})).stderr).toMatch(/--interval must be a positive integer/);
    expect((await cli(['ticks'], {})).code).toBe(64);
  });
});

describe('POST /ticks/analyze', () => {
  it('answers the same analysis as the CLI, for CSV and for NDJSON', async () => {
    const res = await app.inject({ method: 'POST', url: '/ticks/analyze', headers: { 'content-type': 'text/csv' }, payload: ibmText });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(
      JSON.parse(
        JSON.stringify(
          await analyzeTape([ibmText], {
            crossCheck: () => ({ status: 'week_not_loaded', week_start: '2013-10-07', week_ending: '2013-10-13' }),
          }),
        ),
      ),
    );

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
