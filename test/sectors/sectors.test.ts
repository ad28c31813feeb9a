import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { buildSectorTable, toCsv } from '../../src/sectors/build.js';
import { SectorTable } from '../../src/sectors/table.js';
import { tqqqRows } from '../support/fixtures.js';

const sources = 'data/sectors/sources';
const sp500 = parse(readFileSync(`${sources}/sp500_constituents.csv`), { columns: true }) as Record<string, string>[];

describe('the shipped sector table', () => {
  it('is exactly what the build script makes from its source files', () => {
    const rows = buildSectorTable(
      readFileSync(`${sources}/sp500_constituents.csv`, 'utf8'),
      readFileSync(`${sources}/us_listed_nasdaq_screener.csv`, 'utf8'),
    );
    expect(readFileSync('data/sectors/sectors.csv', 'utf8')).toBe(toCsv(rows));
  });

  it('maps at least 5,000 symbols to a sector and every S&P 500 constituent to its GICS sector', () => {
    const table = SectorTable.load();
    expect(table.size).toBeGreaterThanOrEqual(5000);
    expect(sp500).toHaveLength(503);
    for (const r of sp500) {
      expect(table.classify(r.Symbol!, null), r.Symbol).toEqual({ sector: r['GICS Sector'], source: 'sp500_gics' });
    }
  });

  it('uses the screener bucket mapped to GICS names, and the issuer for preferreds and other classes', () => {
    const table = SectorTable.load();
    expect(table.classify('ABR', null)).toEqual({ sector: 'Real Estate', source: 'nasdaq_screener' }); // "Real Estate"
    expect(table.classify('ABRpD', null)).toEqual({ sector: 'Real Estate', source: 'nasdaq_screener_issuer' }); // ABR^D
    expect(table.classify('BRK.A', null)).toEqual({ sector: 'Financials', source: 'nasdaq_screener_issuer' }); // BRK/A
  });

  it('puts exchange-traded products in their own bucket by FINRA’s issue name, others in Unknown', () => {
    const table = SectorTable.load();
    const tqqqName = tqqqRows()[0]!.issueName as string;
    expect(table.classify('TQQQ', tqqqName)).toEqual({ sector: 'ETFs & ETPs', source: 'finra_issue_name' });
    expect(table.classify('SPY', 'SPDR S&P 500 ETF Trust').sector).toBe('ETFs & ETPs');
    expect(table.classify('SLV', 'iShares Silver Trust').sector).toBe('ETFs & ETPs');
    expect(table.classify('AABB', 'Asia Broadband Inc Common Stock')).toEqual({ sector: 'Unknown', source: 'none' });
    expect(table.classify('O', 'Realty Income Corporation Common Stock').sector).not.toBe('ETFs & ETPs');
  });
});
