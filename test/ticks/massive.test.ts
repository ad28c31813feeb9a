// Massive (formerly Polygon.io) trade files: the real IBM day rewritten in the vendor's layout, by
// the vendor's own tables written out here (not the reader's), gives the same report; the layout's
// own cases (TRF ids, corrections, API pages, ids not in the tables) are hand-written rows.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeTape } from '../support/tape.js';
import { FIXTURES } from '../support/fixtures.js';

const IBM = readFileSync(`${FIXTURES}ticks/ibm_2013-10-11_trades.csv`, 'utf8');

// From Massive's GET /v3/reference/exchanges (participant_id -> id) and /v3/reference/conditions
// (sip_mapping.CTA -> id), the rows for the codes the IBM day holds (tape A: the CTA letters).
const EXCHANGE_ID: Record<string, number> = { A: 1, B: 2, C: 3, D: 4, J: 7, K: 8, M: 9, N: 10, P: 11, T: 12, W: 16, X: 17, Y: 18, Z: 19 };
const CTA_CONDITION_ID: Record<string, number> = {
  B: 2, // Average Price Trade
  C: 7, // Cash Sale
  '4': 10, // Derivatively Priced
  T: 12, // Form T/Extended Hours
  F: 14, // Intermarket Sweep
  M: 15, // Market Center Official Close
  Q: 16, // Market Center Official Open
  O: 17, // Market Center Opening Trade
  '6': 19, // Market Center Closing Trade
  N: 20, // Next Day
  P: 22, // Prior Reference Price
  R: 29, // Seller
  V: 52, // Contingent Trade
};
const MASSIVE_HEADER =
  'ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp';

/**
 * The letter file in the CTS's own codes for tape A: Nasdaq is T there (the sample writes UTP's Q),
 * and the average-price condition is B (the sample writes UTP's W). The codes change, not the meaning.
 */
function ctsLetters(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line, i) => {
      if (i === 0) return line;
      const f = line.split(',');
      if (f[4] === 'Q') f[4] = 'T';
      f[5] = f[5]!.replaceAll('W', 'B');
      return f.join(',');
    })
    .join('\n');
}

/** ISO time with an offset -> epoch nanoseconds, as text (beyond a double's precision). */
function nanos(iso: string): string {
  const ms = Date.parse(iso);
  return `${BigInt(ms) * 1_000_000n}`;
}

/** Our letter rows as Massive's flat file writes them: numeric ids, nanoseconds, conditions quoted. */
function toMassive(text: string): string {
  const lines = text.trimEnd().split('\n').slice(1);
  const rows = lines.map((line, i) => {
    const [symbol, timestamp, price, size, exchange, conditions] = line.split(',');
    const ids = [...conditions!].filter((c) => c !== '@').map((c) => CTA_CONDITION_ID[c]);
    if (ids.some((id) => id === undefined)) throw new Error(`no Massive id for a condition of ${line}`);
    const exchangeId = EXCHANGE_ID[exchange!];
    if (exchangeId === undefined) throw new Error(`no Massive id for exchange ${exchange}`);
    const ns = nanos(timestamp!);
    // The sample has no execution times: participant_timestamp stays empty, as Massive leaves it when the SIP gave none.
    return [symbol, ids.length ? `"${ids.join(',')}"` : '', '0', exchangeId, `id${i}`, '', price, i + 1, ns, size, 1, '', ''].join(',');
  });
  return `${MASSIVE_HEADER}\n${rows.join('\n')}\n`;
}

/** The report without the facts of the container (lines, layout). */
const analysis = (report: Awaited<ReturnType<typeof analyzeTape>>) => ({
  ...report,
  input: { ...report.input, format: 'x', layout: 'x', lines: 0 },
});

describe("Massive's trade flat files", () => {
  it('the real IBM day converted with the vendor tables gives the same report', async () => {
    const letters = ctsLetters(IBM);
    const fromLetters = await analyzeTape([letters]);
    const fromMassive = await analyzeTape([toMassive(letters)]);
    expect(fromMassive.input).toMatchObject({ format: 'csv', layout: 'massive', trades: 19_264, malformed: 0, superseded: 0 });
    expect(analysis(fromMassive)).toEqual(analysis(fromLetters));
    expect(fromMassive.totals.off_exchange_trades).toBe(4_615); // every participant-D print of the sample
    // The letter file as the sample writes it (UTP's Q and W on tape A) classifies the same way.
    const asSampled = await analyzeTape([IBM]);
    expect(asSampled.totals).toEqual(fromMassive.totals);
    expect(asSampled.symbols[0]!.candles).toEqual(fromMassive.symbols[0]!.candles);
  });
});

// 2 March 2026, 15:00:00 UTC (10:00 New York), in nanoseconds.
const T0 = 1_772_463_600_000_000_000n;
const ns = (seconds: number) => `${T0 + BigInt(seconds * 1e9)}`;
const row = (fields: Partial<Record<string, string | number>>) =>
  MASSIVE_HEADER.split(',')
    .map((c) => fields[c] ?? '')
    .join(',');
const massiveFile = (...rows: Partial<Record<string, string | number>>[]) => `${MASSIVE_HEADER}\n${rows.map(row).join('\n')}\n`;

describe("Massive's layout, case by case", () => {
  const base = { ticker: 'AAPL', correction: 0, tape: 3, price: '200.00' };
  const file = massiveFile(
    { ...base, exchange: 12, size: 100, sip_timestamp: ns(0) }, // lit, Nasdaq (Q on tape C)
    { ...base, exchange: 4, trf_id: 202, size: 300, sip_timestamp: ns(1), participant_timestamp: ns(-1) }, // Carteret, 2 s
    { ...base, exchange: 4, trf_id: 201, size: 500, sip_timestamp: ns(2), participant_timestamp: ns(-58) }, // NYSE TRF, late
    { ...base, exchange: 11, conditions: '37', size: 5, price: '201.00', sip_timestamp: ns(3) }, // odd lot
    { ...base, exchange: 10, correction: 8, size: 9_000, sip_timestamp: ns(4) }, // cancelled original
    { ...base, exchange: 10, correction: 10, size: 9_000, sip_timestamp: ns(5) }, // the cancel record
    { ...base, exchange: 99, size: 100, sip_timestamp: ns(6) },
    { ...base, exchange: 12, conditions: '77', size: 100, sip_timestamp: ns(7) },
    { ...base, exchange: 12, conditions: '"12,37"', size: 7, price: '199.00', sip_timestamp: ns(8) }, // form T odd lot
    { ...base, exchange: 4, tape: 1, trf_id: 203, size: 200, sip_timestamp: ns(9) }, // Chicago, on a CTS tape
    { ...base, exchange: 4, size: 100, sip_timestamp: ns(10) }, // FINRA without a facility
    { ...base, exchange: 203, size: 100, sip_timestamp: ns(11) }, // the facility as the exchange
  );

  it('maps exchanges, facilities, conditions and corrections by the tables, and reports what it leaves out', async () => {
    const report = await analyzeTape([file]);
    expect(report.input).toMatchObject({ layout: 'massive', trades: 8, malformed: 2, superseded: 2 });
    expect(report.input.malformed_rows.map((r) => r.reason)).toEqual([
      'exchange "99" is not in Massive\'s exchange table',
      "condition 77 is not in Massive's condition table",
    ]);
    expect(report.totals).toMatchObject({
      trades: 8,
      volume: 100 + 300 + 500 + 5 + 7 + 200 + 100 + 100,
      off_exchange_trades: 5,
      off_exchange_volume: 300 + 500 + 200 + 100 + 100,
      odd_lot_trades: 2,
      odd_lot_volume: 12,
      off_exchange_volume_by_facility: {
        'FINRA/NYSE TRF': 500,
        'FINRA/Nasdaq TRF Carteret': 300,
        'FINRA/Nasdaq TRF Chicago': 300,
        'facility not given': 100,
      },
    });
    const [aapl] = report.symbols;
    expect(aapl!.delayed_prints).toMatchObject({ with_participant_time: 2, count: 1 });
    expect(aapl!.delayed_prints.longest[0]).toMatchObject({ size: 500, delay_seconds: 60, exchange: 'D' });
    // The odd lots (one at 201, one at 199) move no price: the minute's range is the round lots' 200.
    expect(aapl!.candles[0]).toMatchObject({ high: 200, low: 200, raw_high: 201, raw_low: 199, phantom_high: true, trades_late: 1 });
  });

  it('reads an API page (results, no ticker) with the symbol given, pretty-printed or on one line, and NDJSON of trades', async () => {
    const page = {
      results: [
        { conditions: [14], exchange: 12, id: '1', price: 200.01, sequence_number: 1, sip_timestamp: Number(ns(0)), size: 100, tape: 3 },
        {
          exchange: 4,
          id: '2',
          price: 200.02,
          sip_timestamp: Number(ns(1)),
          participant_timestamp: Number(ns(0)),
          size: 300,
          tape: 3,
          trf_id: 202,
        },
        { conditions: [37], exchange: 15, id: '3', price: 200.03, sip_timestamp: Number(ns(2)), size: 3, tape: 3 },
      ],
      status: 'OK',
      request_id: 'r',
      next_url: 'https://api.massive.com/v3/trades/AAPL?cursor=c',
    };
    for (const text of [JSON.stringify(page), JSON.stringify(page, null, 2)]) {
      const report = await analyzeTape([text], { symbols: ['aapl'] });
      expect(report.input).toMatchObject({ layout: 'massive', trades: 3, malformed: 0 });
      expect(report.symbols[0]!.symbol).toBe('AAPL');
      expect(report.totals).toMatchObject({ volume: 403, off_exchange_volume: 300, odd_lot_volume: 3 });
    }
    const withoutSymbol = await analyzeTape([JSON.stringify(page)]);
    expect(withoutSymbol.input).toMatchObject({ trades: 0, malformed: 3 });
    expect(withoutSymbol.input.malformed_rows[0]).toEqual({
      line: 1,
      reason: 'results[0]: the row has no ticker: name it with one symbol (--symbols, symbols=)',
    });

    const ndjson = page.results.map((r) => JSON.stringify({ ticker: 'aapl', ...r })).join('\n');
    const lines = await analyzeTape([ndjson]);
    expect(lines.input).toMatchObject({ format: 'ndjson', layout: 'massive', trades: 3 });
    expect(lines.totals).toEqual((await analyzeTape([JSON.stringify(page)], { symbols: ['AAPL'] })).totals);
    // A numeric exchange is Massive's, never our letter '4': without its time the row is refused, not read as lit.
    const numeric = await analyzeTape([
      JSON.stringify({ ticker: 'AAPL', exchange: 4, price: 1, size: 100, timestamp: '2026-03-02T15:00:00Z' }),
    ]);
    expect(numeric.input).toMatchObject({ layout: 'massive', trades: 0, malformed: 1 });
    expect(numeric.input.malformed_rows[0]!.reason).toBe('sip_timestamp is missing');
    // Symbols not asked for are counted, not analysed; two symbols name no ticker for a page's rows.
    const other = await analyzeTape([ndjson], { symbols: ['MSFT', 'IBM'] });
    expect(other.input).toMatchObject({ trades: 0, other_symbols: 3, malformed: 0 });
    expect((await analyzeTape([JSON.stringify(page)], { symbols: ['MSFT', 'IBM'] })).input).toMatchObject({ trades: 0, malformed: 3 });
  });

  it('reads a row the same whichever way it is read (in place, or split), a corrected trade (1) as it stands', async () => {
    const rows = (correction: number | string, conditions: string) =>
      massiveFile(
        { ...base, exchange: 4, trf_id: 203, conditions, correction, size: 250, sip_timestamp: ns(0), participant_timestamp: ns(-20) },
        { ...base, ticker: 'aapl', exchange: 15, conditions: '"14,37"', size: 30, price: '200.25', sip_timestamp: ns(1) },
      );
    // A correction other than 0, and a quote inside a field, send a row to the split path.
    const inPlace = await analyzeTape([rows(0, '"12,14"')]);
    const split = await analyzeTape([rows(1, '"12,""14"""')]);
    expect(split.input).toMatchObject({ trades: 2, malformed: 0 });
    expect(split.symbols).toEqual(inPlace.symbols);
    // A participant time of 0 means none: not a print 56 years late, in either path.
    const zero = massiveFile({ ...base, exchange: 12, size: 100, sip_timestamp: ns(0), participant_timestamp: 0 });
    for (const text of [zero, zero.replace(',0,12,', ',1,12,')]) {
      expect((await analyzeTape([text])).symbols[0]!.delayed_prints).toMatchObject({ with_participant_time: 0, count: 0 });
    }
    expect(inPlace.symbols[0]!.statistics).toMatchObject({ trades: 2, off_exchange_volume: 250, odd_lot_volume: 30 });
    expect(inPlace.symbols[0]!.statistics.off_exchange_volume_by_facility).toEqual({ 'FINRA/Nasdaq TRF Chicago': 250 });
  });

  it('refuses a forced layout the header does not have, and letter conventions on numeric ids', async () => {
    await expect(analyzeTape([file], { inputFormat: 'radar' })).rejects.toThrow(/it is Massive's layout/);
    await expect(analyzeTape([IBM], { inputFormat: 'massive' })).rejects.toThrow(/Massive's CSV header lacks ticker, sip_timestamp/);
    await expect(analyzeTape([file], { rules: 'letter-u-y' })).rejects.toThrow(/Massive's trades take the sip rules/);
  });
});
