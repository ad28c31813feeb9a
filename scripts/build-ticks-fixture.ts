// Rewrites QuantConnect LEAN's IBM trade sample (fixtures/ticks/ibm_2013-10-11_lean.csv) in the
// tape-analysis input format (fixtures/ticks/ibm_2013-10-11_trades.csv). Only the encoding changes:
// - time: LEAN's milliseconds since New York midnight -> ISO-8601 with the New York offset (EDT, -04:00)
// - price: LEAN's price x 10,000 -> dollars
// - conditions: LEAN's condition bitmask (its own encoding, Common/Data/Auxiliary/TradeConditionFlags.cs)
//   -> SIP sale-condition letters, per the table below
// - tape: A (IBM is NYSE-listed); trf_id and participant_timestamp: not in the sample, left empty
// Run: npx tsx scripts/build-ticks-fixture.ts
import { readFileSync, writeFileSync } from 'node:fs';

/** LEAN flag bit -> SIP sale condition letter. Bits without a sale-condition letter map to ''. */
export const LEAN_BIT_TO_SIP: Record<number, string> = {
  0: '@', // Regular
  1: 'C', // Cash
  2: 'N', // NextDay
  3: 'R', // Seller
  4: 'Y', // YellowFlag (UTP)
  5: 'F', // IntermarketSweep
  6: 'O', // OpeningPrints
  7: '6', // ClosingPrints
  8: '5', // ReOpeningPrints
  9: '4', // DerivativelyPriced
  10: 'T', // FormT
  11: 'Z', // Sold (out of sequence)
  12: '1', // Stopped
  13: 'T', // ExtendedHours: a Form T (extended hours) trade
  14: 'U', // OutOfSequence: "outside regular market hours", i.e. extended hours sold out of sequence
  15: 'S', // Split
  16: 'A', // Acquisition
  17: 'B', // Bunched
  18: 'V', // StockOption: a contingent trade
  19: 'D', // Distribution
  20: 'W', // AveragePrice
  21: 'X', // Cross
  22: 'H', // PriceVariation
  23: 'K', // Rule155
  24: 'M', // OfficialClose
  25: 'P', // PriorReferencePrice
  26: 'Q', // OfficialOpen
  27: '', // CapElection: CTA's old "I", before odd lots took the letter; left out to avoid the clash
  28: 'E', // AutoExecution
  29: '', // TradeThroughExempt: a separate indicator, not a sale condition
  30: '', // UndocumentedFlag
  31: 'I', // OddLot
};

const DAY = '2013-10-11';
const OFFSET = '-04:00';

function isoTime(msSinceMidnight: number): string {
  const h = Math.floor(msSinceMidnight / 3_600_000);
  const m = Math.floor((msSinceMidnight % 3_600_000) / 60_000);
  const s = Math.floor((msSinceMidnight % 60_000) / 1000);
  const ms = msSinceMidnight % 1000;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${DAY}T${p(h)}:${p(m)}:${p(s)}.${p(ms, 3)}${OFFSET}`;
}

export function leanConditions(hex: string): string {
  const bits = BigInt(`0x${hex}`);
  let letters = '';
  for (let b = 0; b < 32; b++) if ((bits >> BigInt(b)) & 1n) letters += LEAN_BIT_TO_SIP[b] ?? '';
  return letters;
}

if (process.argv[1]?.endsWith('build-ticks-fixture.ts')) {
  const lines = readFileSync('fixtures/ticks/ibm_2013-10-11_lean.csv', 'utf8').trim().split('\n');
  const out = ['symbol,timestamp,price,size,exchange,conditions,trf_id,participant_timestamp,tape'];
  for (const line of lines) {
    const [ms, price, size, exchange, conditions] = line.split(',');
    out.push(
      ['IBM', isoTime(Number(ms)), String(Number(price) / 10_000), size, exchange, leanConditions(conditions!), '', '', 'A'].join(','),
    );
  }
  writeFileSync('fixtures/ticks/ibm_2013-10-11_trades.csv', `${out.join('\n')}\n`);
  console.log(`wrote ${lines.length} trades`);
}
