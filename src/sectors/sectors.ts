// Sector names the API serves: the 11 GICS sectors, a bucket for exchange-traded products (they have
// no GICS sector but carry much of the ATS volume), and Unknown.
export const GICS_SECTORS = [
  'Communication Services',
  'Consumer Discretionary',
  'Consumer Staples',
  'Energy',
  'Financials',
  'Health Care',
  'Industrials',
  'Information Technology',
  'Materials',
  'Real Estate',
  'Utilities',
] as const;

export const ETP_SECTOR = 'ETFs & ETPs';
export const UNKNOWN_SECTOR = 'Unknown';
export const SECTORS = [...GICS_SECTORS, ETP_SECTOR, UNKNOWN_SECTOR] as const;
export type Sector = (typeof SECTORS)[number];

/** Where a symbol's sector came from. */
export const SECTOR_SOURCES = ['sp500_gics', 'nasdaq_screener', 'nasdaq_screener_issuer', 'finra_issue_name', 'none'] as const;
export type SectorSource = (typeof SECTOR_SOURCES)[number];

/** Nasdaq's screener buckets, mapped to the GICS sector names (approximate; see data/sectors/README.md). */
export const NASDAQ_TO_GICS: Record<string, Sector> = {
  Finance: 'Financials',
  Technology: 'Information Technology',
  'Health Care': 'Health Care',
  'Consumer Discretionary': 'Consumer Discretionary',
  'Consumer Staples': 'Consumer Staples',
  Industrials: 'Industrials',
  'Real Estate': 'Real Estate',
  Utilities: 'Utilities',
  Energy: 'Energy',
  Telecommunications: 'Communication Services',
  'Basic Materials': 'Materials',
};

// Exchange-traded products, recognised by the issue name FINRA publishes with every row: the
// words ETF/ETN/ETP, or a sponsor that issues nothing else on US exchanges.
const ETP_NAME = new RegExp(
  [
    String.raw`\bET[FNP]s?\b`,
    String.raw`\b(iShares|SPDR|ProShares|Direxion|Invesco QQQ|Vanguard|VanEck|WisdomTree|Global X|GraniteShares|Roundhill|YieldMax|Defiance|Tradr|Leverage Shares|MicroSectors|Grayscale|Teucrium|Amplify|First Trust|Schwab|JPMorgan .*Equity Premium|Select Sector)\b`,
    String.raw`\b(Bitcoin|Ether(eum)?|Gold|Silver|Oil|Natural Gas) (Trust|Fund|Strategy)\b`,
    String.raw`\bUltra(Pro)? (Short )?(QQQ|S&P|Dow|Russell)`,
  ].join('|'),
  'i',
);

export function looksLikeEtp(issueName: string | null): boolean {
  return issueName !== null && ETP_NAME.test(issueName);
}
