// GET /darkpool/weeks/{week}/symbols: the whole week in one file. Expected figures are summed from
// FINRA's real rows (two OTCE website exports, the TQQQ T2 week) with plain loops; each record must be
// what /darkpool/weekly answers for the symbol.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { importFiles } from '../../src/ingest/run.js';
import { WeekFiles } from '../../src/read/week-file.js';
import { ingestContext, useSeededApp } from '../support/app.js';
import { OTCE_FILES, otceFirmRows, sumFirmRows } from '../support/fixtures.js';
import { tempDir } from '../support/harness.js';

type Row = Record<string, any>;
const seeded = useSeededApp();

const expected = sumFirmRows(otceFirmRows('2025-11-10').filter((r) => r.issueSymbolIdentifier));
const ndjson = (body: string) =>
  body
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Row);

describe('GET /darkpool/weeks/{week}/symbols', () => {
  it('NDJSON: every symbol of the week once, each summed from its ATS rows and equal to its weekly record', async () => {
    const res = await seeded.app.inject({ url: '/darkpool/weeks/2025-11-16/symbols?tier=otce&format=ndjson' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('inline; filename="darkpool_2025-11-16_OTCE.ndjson"');
    const records = ndjson(res.body);
    expect(records.map((r) => r.ticker)).toEqual([...expected.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    for (const r of records) {
      const e = expected.get(r.ticker)!;
      expect(r, r.ticker).toMatchObject({
        dark_pool_shares: e.shares,
        dark_pool_trades: e.trades,
        ats_venues: e.venues,
        week_start: '2025-11-10',
      });
    }
    for (const r of records.filter((_, i) => i % 150 === 0)) {
      const weekly = (await seeded.app.inject({ url: `/darkpool/weekly/${encodeURIComponent(r.ticker)}?week=2025-11-10` })).json() as Row;
      const { venues: _v, previous_week: _p, source: _s, ...record } = weekly;
      expect(r).toEqual(record);
    }
  });

  it('CSV and JSON carry the same records; JSON says which week, tiers and source first', async () => {
    const csv = await seeded.app.inject({ url: '/darkpool/weeks/2025-11-10/symbols?tier=OTCE', headers: { accept: 'text/csv' } });
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines[0]!.split(',').slice(0, 3)).toEqual(['ticker', 'issue_name', 'tier']);
    expect(lines).toHaveLength(1 + expected.size);
    const json = (await seeded.app.inject({ url: '/darkpool/weeks/2025-11-10/symbols?tier=OTCE' })).json() as Row;
    expect(json).toMatchObject({ week_start: '2025-11-10', week_ending: '2025-11-16', tiers: ['OTCE'], symbols: expected.size });
    expect(json.source.provider).toBe('FINRA');
    expect(json.data).toHaveLength(expected.size);
    expect(json.data).toEqual(
      ndjson((await seeded.app.inject({ url: '/darkpool/weeks/2025-11-10/symbols?tier=OTCE&format=ndjson' })).body),
    );
  });

  it("without tier: every tier of the week loaded whole, in FINRA's tier order", async () => {
    const records = ndjson(
      (await seeded.app.inject({ url: '/darkpool/weeks/2025-11-17/symbols', headers: { accept: 'application/x-ndjson' } })).body,
    );
    expect(records[0]).toMatchObject({ ticker: 'TQQQ', tier: 'T2' });
    expect(new Set(records.slice(1).map((r) => r.tier))).toEqual(new Set(['OTCE']));
  });

  it('is kept in memory once streamed whole: the next answer is the same bytes, served without reading the store', async () => {
    const url = '/darkpool/weeks/2025-11-17/symbols?tier=OTCE&format=csv';
    expect((await seeded.app.inject({ url, method: 'HEAD' })).statusCode).toBe(200); // a HEAD first keeps nothing
    const first = await seeded.app.inject({ url });
    expect(first.body.length).toBeGreaterThan(100_000);
    const opened = vi.spyOn(WeekFiles.prototype, 'open');
    const second = await seeded.app.inject({ url });
    expect(opened).not.toHaveBeenCalled();
    opened.mockRestore();
    expect(second.body).toBe(first.body);
    expect(second.headers['content-disposition']).toBe(first.headers['content-disposition']);
    expect(second.headers['content-type']).toBe('text/csv; charset=utf-8');
  });

  it('is validated by the dataset revision (304), and refuses what it cannot answer', async () => {
    const first = await seeded.app.inject({ url: '/darkpool/weeks/2025-11-10/symbols?tier=OTCE&format=csv' });
    const again = await seeded.app.inject({
      url: '/darkpool/weeks/2025-11-10/symbols?tier=OTCE&format=csv',
      headers: { 'if-none-match': first.headers.etag as string },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    for (const [url, status, code] of [
      ['/darkpool/weeks/2025-11-03/symbols', 404, 'week_not_found'],
      ['/darkpool/weeks/2025-11-10/symbols?tier=T1', 404, 'week_not_found'],
      ['/darkpool/weeks/2025-13-10/symbols', 400, 'invalid_parameter'],
      ['/darkpool/weeks/2025-11-10/symbols?format=xml', 400, 'invalid_parameter'],
    ] as const) {
      const res = await seeded.app.inject({ url });
      expect(res.statusCode, url).toBe(status);
      expect(res.json().code, url).toBe(code);
    }
    expect((await seeded.app.inject({ url: '/darkpool/movers/top20?format=ndjson' })).statusCode).toBe(406);
  });

  it('reads one snapshot from first record to last, while a revision of the week commits in between', async () => {
    const symbols = [...expected.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const last = symbols.at(-1)!;
    const text = readFileSync(OTCE_FILES['2025-11-10'], 'utf8');
    const revised = text
      .trim()
      .split('\n')
      .map((line) => {
        const v = line.split('|');
        if (v[1] !== last) return line;
        v[5] = String(Number(v[5]) + 777);
        v[7] = '2026-02-02';
        return v.join('|');
      })
      .join('\n');
    const path = `${tempDir()}/revised.psv`;
    writeFileSync(path, `${revised}\n`);

    const files = new WeekFiles(seeded.store.db.name);
    const file = files.open('2025-11-10', 'OTCE');
    const head = [file.records.next().value!, file.records.next().value!];
    expect(head.map((r) => r.ticker)).toEqual(symbols.slice(0, 2));
    const run = await importFiles(ingestContext(seeded.store), [path], { week: '2025-11-10', tier: 'OTCE' });
    expect(run.weeks[0]!.outcome).toBe('revised');
    const rest = [...file.records];
    expect(rest.at(-1)).toMatchObject({ ticker: last, dark_pool_shares: expected.get(last)!.shares });
    const after = [...files.open('2025-11-10', 'OTCE').records];
    const rowsOfLast = otceFirmRows('2025-11-10').filter((r) => r.issueSymbolIdentifier === last).length;
    expect(after.at(-1)).toMatchObject({ ticker: last, dark_pool_shares: expected.get(last)!.shares + 777 * rowsOfLast });
  });
});
