// The sector lookup: the shipped table first, then FINRA's issue name for exchange-traded products.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ETP_SECTOR, looksLikeEtp, SECTORS, UNKNOWN_SECTOR, type Sector, type SectorSource } from './sectors.js';

export const DEFAULT_SECTOR_TABLE = fileURLToPath(new URL('../../data/sectors/sectors.csv', import.meta.url));

export interface SectorAssignment {
  sector: Sector;
  source: SectorSource;
}

export class SectorTable {
  private constructor(
    private readonly bySymbol: Map<string, SectorAssignment>,
    /** Changes whenever the table does: stored symbols are re-classified when it moves. */
    readonly version: string,
  ) {}

  static load(path = DEFAULT_SECTOR_TABLE): SectorTable {
    const text = readFileSync(path, 'utf8');
    const map = new Map<string, SectorAssignment>();
    for (const line of text.split('\n').slice(1)) {
      if (!line.trim()) continue;
      const [symbol, sector, source] = line.split(',');
      if (!symbol || !(SECTORS as readonly string[]).includes(sector ?? '')) throw new Error(`${path}: bad line "${line}"`);
      map.set(symbol, { sector: sector as Sector, source: source as SectorSource });
    }
    return new SectorTable(map, createHash('sha256').update(text).update(ETP_PATTERN_VERSION).digest('hex').slice(0, 16));
  }

  static empty(): SectorTable {
    return new SectorTable(new Map(), 'empty');
  }

  classify(symbol: string, issueName: string | null): SectorAssignment {
    const known = this.bySymbol.get(symbol);
    if (known) return known;
    if (looksLikeEtp(issueName)) return { sector: ETP_SECTOR, source: 'finra_issue_name' };
    return { sector: UNKNOWN_SECTOR, source: 'none' };
  }

  get size(): number {
    return this.bySymbol.size;
  }
}

/** Bump when looksLikeEtp changes, so stored symbols are re-classified. */
const ETP_PATTERN_VERSION = 'etp-1';
