// `darkpool-radar export`: the whole week in one file. The Parquet file is read back by DuckDB (an
// independent reader, as a user's pandas, Polars or DuckDB would read it); figures are summed from
// FINRA's real rows (the OTCE export of 2025-12-15 and the TQQQ T2 week) with plain loops.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OTCE_FILES, otceFirmRows, sumFirmRows, TQQQ_JSON } from '../support/fixtures.js';
import { cli, removeTempDirs, tempDbPath, tempDir } from '../support/harness.js';

let dbPath: string;
let dir: string;
beforeAll(async () => {
  dbPath = tempDbPath();
  dir = tempDir();
  expect((await cli(['import', OTCE_FILES['2025-11-10'], '--week', '2025-11-10', '--tier', 'OTCE'], { DB_PATH: dbPath })).code).toBe(0);
  expect((await cli(['import', TQQQ_JSON], { DB_PATH: dbPath })).code).toBe(0);
});
afterAll(removeTempDirs);

const expected = sumFirmRows(otceFirmRows('2025-11-10').filter((r) => r.issueSymbolIdentifier));
const totalShares = [...expected.values()].reduce((n, e) => n + e.shares, 0);
const totalTrades = [...expected.values()].reduce((n, e) => n + e.trades, 0);

async function duck<T>(sql: string): Promise<T[]> {
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJson() as T[];
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

describe('darkpool-radar export', () => {
  it('writes Parquet that DuckDB reads with typed columns and the same records as the CSV', async () => {
    const parquet = join(dir, 'week.parquet');
    const csv = join(dir, 'week.csv');
    const run = await cli(['export', '--week', '2025-11-16', '--tier', 'otce', parquet], { DB_PATH: dbPath });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^wrote 3,111 symbols of OTCE week 2025-11-10 to 2025-11-16 to .*week\.parquet \(parquet\)/);
    expect((await cli(['export', '--week', '2025-11-10', '--tier', 'OTCE', '--format', 'csv', csv], { DB_PATH: dbPath })).code).toBe(0);

    const types = await duck<{ column_name: string; column_type: string }>(`DESCRIBE SELECT * FROM '${parquet}'`);
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.column_type]))).toMatchObject({
      ticker: 'VARCHAR',
      week_start: 'DATE',
      dark_pool_shares: 'DOUBLE',
      dark_pool_trades: 'BIGINT',
      ats_venues: 'INTEGER',
    });
    const [sums] = await duck<Record<string, string | number>>(
      `SELECT count(*) AS n, sum(dark_pool_shares) AS shares, sum(dark_pool_trades) AS trades, count(DISTINCT ticker) AS tickers
       FROM '${parquet}'`,
    );
    expect(sums).toEqual({ n: String(expected.size), shares: totalShares, trades: String(totalTrades), tickers: String(expected.size) });
    const aabb = await duck<Record<string, unknown>>(`SELECT dark_pool_shares, ats_venues FROM '${parquet}' WHERE ticker = 'AABB'`);
    expect(aabb).toEqual([{ dark_pool_shares: expected.get('AABB')!.shares, ats_venues: expected.get('AABB')!.venues }]);
    const differ = await duck(
      `SELECT * FROM '${parquet}' EXCEPT SELECT * FROM read_csv('${csv}', types={'week_start': 'DATE', 'week_ending': 'DATE'})`,
    );
    expect(differ).toEqual([]);
  });

  it('writes NDJSON by the file name, and refuses what it cannot do without touching anything', async () => {
    const ndjson = join(dir, 'week.ndjson');
    expect((await cli(['export', '--week', '2025-11-17', ndjson], { DB_PATH: dbPath })).code).toBe(0);
    const records = readFileSync(ndjson, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ ticker: 'TQQQ', tier: 'T2', dark_pool_shares: 48_136_092 });

    for (const [args, message] of [
      [['export', '--week', '2025-11-17', ndjson], 'exists; give --force'],
      [['export', '--week', '2025-11-03', join(dir, 'x.csv')], 'week 2025-11-03 to 2025-11-09 is not loaded'],
      [['export', '--week', '2025-11-10', join(dir, 'x.xlsx')], '--format must be csv, ndjson or parquet'],
      [['export', join(dir, 'x.csv')], 'export needs --week'],
    ] as const) {
      const run = await cli([...args], { DB_PATH: dbPath });
      expect(run.code, args.join(' ')).toBe(64);
      expect(run.stderr).toContain(message);
    }
  });
});
