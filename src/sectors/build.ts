// Builds the shipped sector table from its source files (see data/sectors/README.md). Pure: text in,
// rows out; scripts/build-sectors.ts writes the result.
import { parse } from 'csv-parse/sync';
import { GICS_SECTORS, NASDAQ_TO_GICS, type Sector, type SectorSource } from './sectors.js';

export interface SectorRow {
  symbol: string;
  sector: Sector;
  source: SectorSource;
}

/**
 * Nasdaq's screener writes class shares with `/` (BRK/B) and preferreds with `^` (ABR^D). FINRA's
 * weekly ATS data writes classes with a dot (BRK.B); preferreds are written here as FINRA's CMS
 * symbology in its daily files does (ABRpD).
 */
export function finraSpelling(nasdaqSymbol: string): string {
  return nasdaqSymbol.trim().replace('/', '.').replace('^', 'p');
}

export function buildSectorTable(sp500Csv: string, screenerCsv: string): SectorRow[] {
  const out = new Map<string, SectorRow>();
  const sp = parse(sp500Csv, { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
  for (const r of sp) {
    const sector = r['GICS Sector'] as Sector;
    if (!(GICS_SECTORS as readonly string[]).includes(sector)) throw new Error(`S&P file: unknown GICS sector ${sector}`);
    out.set(r.Symbol!.trim(), { symbol: r.Symbol!.trim(), sector, source: 'sp500_gics' });
  }

  const screener = parse(screenerCsv, { columns: true, skip_empty_lines: true, bom: true }) as Record<string, string>[];
  const bucket = new Map(screener.map((r) => [r.symbol!.trim(), NASDAQ_TO_GICS[r.industry?.trim() ?? '']]));
  for (const r of screener) {
    const symbol = finraSpelling(r.symbol!);
    if (out.has(symbol)) continue; // GICS from the S&P file wins
    const own = bucket.get(r.symbol!.trim());
    if (own) {
      out.set(symbol, { symbol, sector: own, source: 'nasdaq_screener' });
      continue;
    }
    // Preferreds, warrants and units share their issuer's business: take the common stock's sector.
    const issuer = r.symbol!.trim().split(/[/^]/)[0]!;
    const issuerRow = issuer !== r.symbol!.trim() ? out.get(issuer) : undefined;
    const sibling = [...out.values()].find((row) => row.symbol.startsWith(`${issuer}.`)); // BRK.A from BRK.B
    const issuerSector = issuerRow?.sector ?? bucket.get(issuer) ?? (issuer !== r.symbol!.trim() ? sibling?.sector : undefined);
    if (issuerSector) out.set(symbol, { symbol, sector: issuerSector, source: 'nasdaq_screener_issuer' });
  }
  return [...out.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

export function toCsv(rows: SectorRow[]): string {
  return `symbol,sector,source\n${rows.map((r) => `${r.symbol},${r.sector},${r.source}`).join('\n')}\n`;
}
