// Ticker spellings. FINRA writes class shares with a dot (BRK.B); users write BRK-B, BRK/B, brk.b.

/** Separators dropped and letters upper-cased: the key under which all spellings of a symbol meet. */
export function lookupKey(symbol: string): string {
  return symbol.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

/** What a user may type: letters, digits and the separators . - / ^ and space, at most 20 characters. */
const TICKER_INPUT = /^[A-Za-z0-9](?:[A-Za-z0-9.\-/^ ]{0,18}[A-Za-z0-9])?$/;

export function isTickerInput(raw: string): boolean {
  return TICKER_INPUT.test(raw);
}

/** The dotted spelling FINRA uses: BRK-B, BRK/B and BRK B become BRK.B. Case is left to the lookup. */
export function dottedSpelling(raw: string): string {
  return raw.trim().replace(/[-/^ ]/g, '.');
}

/** FINRA's daily files write class shares with a slash (BRK/B), its weekly data with a dot (BRK.B). */
export function weeklySpellingOfDaily(fileSymbol: string): string {
  return fileSymbol.replaceAll('/', '.');
}
