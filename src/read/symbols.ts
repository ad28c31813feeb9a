// A ticker in any spelling users type, found in a table of FINRA's spellings: exactly as typed, then
// in FINRA's dotted spelling, then ignoring case, then ignoring separators (BRK.B, brk-b, BRK/B, BRKB).
import { dottedSpelling, lookupKey } from '../domain/symbols.js';

export interface SpellingLookup<S> {
  exact: (symbol: string) => S | undefined;
  noCase: (symbol: string) => S | undefined;
  byKey: (key: string) => S | undefined;
}

export function resolveSpelling<S>(ticker: string, lookup: SpellingLookup<S>): S | undefined {
  const raw = ticker.trim();
  const dotted = dottedSpelling(raw);
  return lookup.exact(raw) ?? lookup.exact(dotted) ?? lookup.noCase(dotted) ?? lookup.byKey(lookupKey(raw));
}
