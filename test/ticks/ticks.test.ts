import { createReadStream, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TapeOptions } from '../../src/ticks/index.js';
import { analyzeTape } from '../support/tape.js';
import { MalformedRowError, MAX_TEXT_CHARS, parseTimestamp, readTrades } from '../../src/ticks/parse.js';
import { darkToLit } from '../../src/ticks/report.js';
import { roundLot } from '../../src/ticks/rules.js';
import { isoTime } from '../../src/ticks/session.js';
import { FIXTURES } from '../support/fixtures.js';

const IBM = `${FIXTURES}ticks/ibm_2013-10-11_trades.csv`;
const LEAN = `${FIXTURES}ticks/ibm_2013-10-11_lean.csv`;
const HEADER = 'symbol,timestamp,price,size,exchange,conditions,trf_id,participant_timestamp,tape';

/** The LEAN source, read here with a plain split: ms since NY midnight, price x 10,000, size, participant, flags. */
function leanRows() {
  return readFileSync(LEAN, 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const [ms, px, size, ex, flags] = l.split(',');
      return { ms: Number(ms), price: Number(px) / 10_000, size: Number(size), exchange: ex!, flags: Number.parseInt(flags!, 16) };
    });
}
// LEAN bits 24 and 26: official close and open reports, which update no consolidated statistic.
const officialReport = (flags: number) => (flags & (1 << 24)) !== 0 || (flags & (1 << 26)) !== 0;

const analyze = (text: string, options: TapeOptions = {}) => analyzeTape([text], options);
const csv = (...rows: string[]) => [HEADER, ...rows].join('\n');

describe('the real IBM tape (2013-10-11)', () => {
  it('counts off-exchange (participant D) prints and volume as an independent sum of the source rows', async () => {
    const report = await analyzeTape(createReadStream(IBM));
    const rows = leanRows().filter((r) => !officialReport(r.flags));
    const off = rows.filter((r) => r.exchange === 'D');
    expect(report.input).toMatchObject({ format: 'csv', trades: 19_264, malformed: 0 });
    expect(report.totals).toMatchObject({
      trades: rows.length,
      volume: rows.reduce((n, r) => n + r.size, 0),
      off_exchange_trades: off.length,
      off_exchange_volume: off.reduce((n, r) => n + r.size, 0),
      lit_volume: rows.filter((r) => r.exchange !== 'D').reduce((n, r) => n + r.size, 0),
      odd_lot_trades: 0, // odd lots reached the tape only in December 2013
      prints_without_statistics: 3, // the official open (2) and close (1) reports
    });
    expect(off.length).toBe(4_615);
    const ratio = report.totals.off_exchange_volume / report.totals.lit_volume;
    expect(report.totals.dark_to_lit_ratio).toBeCloseTo(ratio, 4);
    expect(report.totals.dark_to_lit_band).toBe(ratio < 0.3 ? 'lit-dominant' : ratio <= 0.6 ? 'elevated' : 'heavy');
  });

  it('builds one-minute candles whose naive range and volumes match the source rows minute by minute', async () => {
    const report = await analyzeTape(createReadStream(IBM));
    const [ibm] = report.symbols;
    const byMinute = new Map<number, { high: number; low: number; volume: number; off: number }>();
    for (const r of leanRows()) {
      const m = Math.floor(r.ms / 60_000);
      const e = byMinute.get(m) ?? { high: -Infinity, low: Infinity, volume: 0, off: 0 };
      e.high = Math.max(e.high, r.price);
      e.low = Math.min(e.low, r.price);
      if (!officialReport(r.flags)) {
        e.volume += r.size;
        if (r.exchange === 'D') e.off += r.size;
      }
      byMinute.set(m, e);
    }
    expect(ibm!.candles).toHaveLength(byMinute.size);
    const edtMidnight = Date.parse('2013-10-11T00:00:00-04:00');
    for (const c of ibm!.candles) {
      const e = byMinute.get((Date.parse(c.start) - edtMidnight) / 60_000)!;
      expect([c.raw_high, c.raw_low, c.volume, c.volume_off_exchange], c.start).toEqual([e.high, e.low, e.volume, e.off]);
      expect(c.volume_lit + c.volume_off_exchange).toBe(c.volume);
    }
    // Extended-hours (T) prints may not set the regular candle: before 09:30 the candles have no OHLC.
    const early = ibm!.candles.find((c) => c.start === '2013-10-11T12:11:00.000Z')!;
    expect(early).toMatchObject({ open: null, high: null, raw_high: 184.99, phantom_high: true });
  });
});

describe('bounds', () => {
  it('refuses a line, or a JSON document, longer than it holds in memory, instead of growing without bound', async () => {
    const chunk = 'x'.repeat(2 ** 20);
    function* noLineBreak() {
      for (let i = 0; i <= MAX_TEXT_CHARS / chunk.length; i++) yield chunk;
    }
    await expect(analyzeTape(noLineBreak())).rejects.toThrow(/a line over 67108864 characters/);
    function* hugeDocument() {
      yield '{\n';
      for (let i = 0; i <= MAX_TEXT_CHARS / chunk.length; i++) yield `${chunk}\n`;
    }
    await expect(analyzeTape(hugeDocument())).rejects.toThrow(/a JSON document over 67108864 characters/);
  });
});

describe('candles by print class', () => {
  // LEAN bits whose SIP letter may not move a price (the fixture builder's table): cash 1, next day 2,
  // seller 3, form T 10 and 13, out of sequence 14, bunched 17, stock option 18, average price 20,
  // price variation 22.
  const NO_PRICE_BITS = [1, 2, 3, 10, 13, 14, 17, 18, 20, 22];
  const movesPrice = (flags: number) => !NO_PRICE_BITS.some((b) => (flags & (1 << b)) !== 0);

  it('builds lit-only and off-exchange-only minutes whose volume, trades and range are those prints alone', async () => {
    const report = await analyzeTape(createReadStream(IBM), { prints: ['lit', 'off-exchange'] });
    expect(report.prints).toEqual(['lit', 'off-exchange']);
    const candles = report.symbols[0]!.candles;
    const edtMidnight = Date.parse('2013-10-11T00:00:00-04:00');
    for (const printClass of ['lit', 'off-exchange'] as const) {
      const expected = new Map<string, { volume: number; trades: number; high: number; low: number }>();
      for (const r of leanRows()) {
        if ((r.exchange === 'D') !== (printClass === 'off-exchange')) continue;
        const start = new Date(edtMidnight + Math.floor(r.ms / 60_000) * 60_000).toISOString();
        const e = expected.get(start) ?? { volume: 0, trades: 0, high: -Infinity, low: Infinity };
        expected.set(start, e); // an official report opens its minute's bar (the naive range), nothing more
        if (officialReport(r.flags)) continue;
        e.volume += r.size;
        e.trades++;
        if (movesPrice(r.flags)) {
          e.high = Math.max(e.high, r.price);
          e.low = Math.min(e.low, r.price);
        }
        expected.set(start, e);
      }
      const mine = candles.filter((c) => c.prints === printClass);
      expect(mine.map((c) => c.start).sort()).toEqual([...expected.keys()].sort());
      for (const c of mine) {
        const e = expected.get(c.start)!;
        const [high, low] = e.high === -Infinity ? [null, null] : [e.high, e.low];
        expect([c.volume, c.trades, c.high, c.low], `${printClass} ${c.start}`).toEqual([e.volume, e.trades, high, low]);
      }
      const other = printClass === 'lit' ? 'volume_off_exchange' : 'volume_lit';
      expect(mine.every((c) => c[other] === 0)).toBe(true);
    }
    // Side by side: within a minute, the classes in the order asked for.
    const starts = candles.map((c) => `${c.start} ${c.prints === 'lit' ? 0 : 1}`);
    expect(starts).toEqual([...starts].sort());
    const all = await analyzeTape([readFileSync(IBM, 'utf8')]);
    const sum = (list: typeof candles, key: 'volume' | 'trades') => list.reduce((n, c) => n + c[key], 0);
    expect(sum(candles, 'volume')).toBe(sum(all.symbols[0]!.candles, 'volume'));
    expect(all.symbols[0]!.candles.every((c) => c.prints === 'all')).toBe(true);
  });

  it('round-lot classes leave odd lots out of volume as well as price', async () => {
    const rows = [
      'XYZ,2026-03-02T15:00:01Z,100.00,100,N,@,,,A',
      'XYZ,2026-03-02T15:00:02Z,103.00,10,Q,I,,,A', // odd lot, lit
      'XYZ,2026-03-02T15:00:03Z,99.00,300,D,@,N,,A', // round lot, off-exchange
      'XYZ,2026-03-02T15:00:04Z,98.00,20,D,I,N,,A', // odd lot, off-exchange
    ];
    const report = await analyze(csv(...rows), { prints: ['round-lot', 'lit-round-lot', 'all'] });
    const byClass = Object.fromEntries(report.symbols[0]!.candles.map((c) => [c.prints, c]));
    expect(byClass['round-lot']).toMatchObject({ volume: 400, trades: 2, raw_high: 100, raw_low: 99, volume_odd_lot: 0 });
    expect(byClass['lit-round-lot']).toMatchObject({ volume: 100, trades: 1, open: 100, close: 100, raw_high: 100 });
    expect(byClass.all).toMatchObject({ volume: 430, trades: 4, raw_high: 103, raw_low: 98, high: 100, low: 99 });
    // The statistics describe the whole tape, whatever the classes asked for.
    expect(report.totals).toMatchObject({ volume: 430, odd_lot_volume: 30 });
  });

  it('counts late prints per bar, and with excludeLate keeps them out of the bar but not out of the tape', async () => {
    const rows = [
      'XYZ,2026-03-02T15:00:01Z,100.00,100,N,@,,2026-03-02T15:00:01Z,A',
      'XYZ,2026-03-02T15:00:30Z,105.00,500,D,@,N,2026-03-02T14:58:00Z,A', // published 150 s late
      'XYZ,2026-03-02T15:00:40Z,101.00,200,D,@,N,2026-03-02T15:00:35Z,A', // 5 s: on time
    ];
    const counted = await analyze(csv(...rows));
    expect(counted.symbols[0]!.candles[0]).toMatchObject({ trades_late: 1, volume_late: 500, volume: 800, high: 105 });
    expect(counted.late_prints).toEqual({ threshold_seconds: 10, excluded_from_candles: false });
    const excluded = await analyze(csv(...rows), { excludeLate: true });
    expect(excluded.symbols[0]!.candles[0]).toMatchObject({
      trades_late: 1,
      volume_late: 500,
      volume: 300,
      trades: 2,
      high: 101,
      close: 101,
    });
    expect(excluded.totals.volume).toBe(800);
    const longer = await analyze(csv(...rows), { excludeLate: true, delaySeconds: 200 });
    expect(longer.symbols[0]!.candles[0]).toMatchObject({ trades_late: 0, volume: 800 });
  });
});

describe('classification by the SIP rules (hand-written rows)', () => {
  it('keeps an odd lot that prints above every round lot out of the high: raw_high above high, phantom_high', async () => {
    const report = await analyze(
      csv(
        'XYZ,2026-03-02T15:00:01Z,100.00,100,N,@,,,A',
        'XYZ,2026-03-02T15:00:02Z,101.00,200,P,@,,,A',
        'XYZ,2026-03-02T15:00:03Z,105.00,10,Q,I,,,A',
        'XYZ,2026-03-02T15:00:04Z,99.50,300,D,@,N,,A',
      ),
    );
    const [candle] = report.symbols[0]!.candles;
    expect(candle).toMatchObject({
      open: 100,
      high: 101,
      low: 99.5,
      close: 99.5,
      raw_high: 105,
      raw_low: 99.5,
      phantom_high: true,
      phantom_low: false,
      volume: 610,
      volume_odd_lot: 10,
      volume_round_lot: 600,
      volume_off_exchange: 300,
      volume_lit: 310,
      trades: 4,
      trades_odd_lot: 1,
      trades_off_exchange: 1,
      vwap: Math.round(((100 * 100 + 101 * 200 + 99.5 * 300) / 600) * 1e6) / 1e6,
    });
    expect(report.symbols[0]!.statistics.off_exchange_volume_by_facility).toEqual({ 'FINRA/NYSE TRF': 300 });
  });

  it('detects odd lots by the price-tiered round lot when the feed omits I', async () => {
    expect([
      roundLot(250, Date.UTC(2026, 0, 5)),
      roundLot(250.01, Date.UTC(2026, 0, 5)),
      roundLot(1000.01, Date.UTC(2026, 0, 5)),
      roundLot(10_000.01, Date.UTC(2026, 0, 5)),
    ]).toEqual([100, 40, 10, 1]);
    expect(roundLot(300, Date.UTC(2025, 10, 2))).toBe(100); // before 3 Nov 2025: 100 at any price
    const report = await analyze(
      csv(
        'AAA,2026-03-02T15:00:01Z,300,50,N,@,,,A', // 50 >= 40: a round lot
        'AAA,2026-03-02T15:00:02Z,300,30,N,@,,,A', // odd
        'AAA,2026-03-02T15:00:03Z,100,50,N,@,,,A', // odd: 100 below $250
        'AAA,2026-03-02T15:00:04Z,5000,10,N,@,,,A', // round: 10 above $1,000
        'AAA,2025-10-30T15:00:05Z,300,50,N,@,,,A', // odd: before the tiers
      ),
    );
    expect(report.totals).toMatchObject({ trades: 5, odd_lot_trades: 3, odd_lot_volume: 130 });
  });

  it('lets no listed condition move open/high/low/close, counts their volume, and drops M and Q entirely', async () => {
    const rows = ['XYZ,2026-03-02T15:00:00Z,100.00,100,N,@,,,A'];
    'CHNRTUVWB7'.split('').forEach((c, i) => rows.push(`XYZ,2026-03-02T15:00:0${1 + (i % 8)}Z,${120 + i},100,N,${c},,,A`));
    rows.push(
      'XYZ,2026-03-02T15:00:09Z,90,100,N,M,,,A',
      'XYZ,2026-03-02T15:00:09Z,91,100,N,Q,,,A',
      'XYZ,2026-03-02T15:00:09Z,92,100,N,9,,,A',
    );
    const report = await analyze(csv(...rows));
    const [candle] = report.symbols[0]!.candles;
    expect(candle).toMatchObject({ open: 100, high: 100, low: 100, close: 100, raw_high: 129, raw_low: 90, volume: 1100, trades: 11 });
    expect(report.totals.prints_without_statistics).toBe(3);
  });

  it('reads B by its tape: the average-price trade on the CTS (no price), the bunched trade on UTP (a regular print)', async () => {
    const rows = (tape: string) =>
      ['XYZ,2026-03-02T15:00:01Z,100.00,100,N,@,,,T', 'XYZ,2026-03-02T15:00:02Z,104.00,100,N,B,,,T'].map((r) => r.replace(/T$/, tape));
    const cts = await analyze(csv(...rows('A')));
    expect(cts.symbols[0]!.candles[0]).toMatchObject({ high: 100, close: 100, raw_high: 104 });
    const utp = await analyze(csv(...rows('C')));
    expect(utp.symbols[0]!.candles[0]).toMatchObject({ high: 104, close: 104, raw_high: 104 });
  });

  it('lets 4, G, P and Z (prices out of their time order) move high and low, never open or close', async () => {
    const rows = ['XYZ,2026-03-02T15:00:10Z,100.00,100,N,@,,,A', 'XYZ,2026-03-02T15:00:20Z,101.00,100,N,@,,,A'];
    ['4', 'G', 'P', 'Z'].forEach((c, i) =>
      rows.push(`XYZ,2026-03-02T15:00:${i % 2 ? '59' : '01'}Z,${i % 2 ? 95 - i : 105 + i},100,N,${c},,,C`),
    );
    const report = await analyze(csv(...rows));
    expect(report.symbols[0]!.candles[0]).toMatchObject({ open: 100, close: 101, high: 107, low: 92, volume: 600, trades: 6 });
  });

  it('lets any "no" win when a trade carries several conditions', async () => {
    const report = await analyze(
      csv(
        'XYZ,2026-03-02T15:00:01Z,100,100,N,@F,,,A', // both eligible: moves the candle
        'XYZ,2026-03-02T15:00:02Z,110,100,N,F T,,,A', // T says no
        'XYZ,2026-03-02T15:00:03Z,111,100,N,@I,,,A', // I says no
      ),
    );
    expect(report.symbols[0]!.candles[0]).toMatchObject({ high: 100, raw_high: 111, trades_odd_lot: 1 });
  });

  it('takes fractional sizes (an odd lot) and sums them exactly', async () => {
    const report = await analyze(
      csv(
        'XYZ,2026-03-02T15:00:01Z,100,0.1,N,I,,,C',
        'XYZ,2026-03-02T15:00:02Z,100,0.2,N,I,,,C',
        'XYZ,2026-03-02T15:00:03Z,100,100.000001,N,@,,,C',
      ),
    );
    expect(report.totals).toMatchObject({ volume: 100.300001, odd_lot_volume: 0.3, odd_lot_trades: 2 });
  });

  it('ignores I before 9 Dec 2013, when CTA used it for something else', async () => {
    const report = await analyze(csv('XYZ,2013-10-11T15:00:01Z,100,200,N,I,,,A'));
    expect(report.totals.odd_lot_trades).toBe(0);
    expect(report.symbols[0]!.candles[0]!.high).toBe(100);
  });

  it('names the facility of an off-exchange print by its tape: Carteret is T on CTS and Q on UTP', async () => {
    const report = await analyze(
      csv(
        'AAA,2026-03-02T15:00:01Z,10,100,D,@,T,,A',
        'BBB,2026-03-02T15:00:01Z,10,200,D,@,Q,,C',
        'BBB,2026-03-02T15:00:02Z,10,300,D,@, ,,C', // a space: the ADF
        'BBB,2026-03-02T15:00:03Z,10,50,D,@,,,C', // empty: the feed did not say
      ),
    );
    expect(report.totals.off_exchange_volume_by_facility).toEqual({
      'FINRA/Nasdaq TRF Carteret': 300,
      'FINRA ADF': 300,
      'facility not given': 50,
    });
  });
});

describe('the letter-u-y convention (named, never the default)', () => {
  const rows = csv(
    'XYZ,2026-03-02T15:00:01Z,100,100,D,@,,,A', // D: off-exchange by the SIP, lit by the convention
    'XYZ,2026-03-02T15:00:02Z,102,100,N,U,,,A', // U: extended hours out of sequence (SIP) / dark pool (convention)
    'XYZ,2026-03-02T15:00:03Z,103,100,N,Y,,,C', // Y: yellow flag, eligible (SIP) / odd lot (convention)
  );

  it('classifies differently from the SIP rules, and says which rules it used', async () => {
    const sip = await analyze(rows);
    const uy = await analyze(rows, { rules: 'letter-u-y' });
    expect(sip.rules.name).toBe('sip');
    expect(uy.rules).toMatchObject({ name: 'letter-u-y', description: expect.stringMatching(/^NOT the SIP specifications/) });
    expect([sip.totals.off_exchange_volume, sip.totals.odd_lot_trades, sip.symbols[0]!.candles[0]!.high]).toEqual([100, 0, 103]);
    expect([uy.totals.off_exchange_volume, uy.totals.odd_lot_trades, uy.symbols[0]!.candles[0]!.high]).toEqual([100, 1, 102]);
  });
});

describe('input', () => {
  it('reads NDJSON like CSV, with epoch ns and ms timestamps and condition arrays', async () => {
    const fromCsv = await analyze(csv('XYZ,2026-03-02T15:00:01.5Z,100,100,N,@F,,,A', 'XYZ,2026-03-02T15:00:02Z,101,50,D,,N,,A'));
    const ndjson = [
      JSON.stringify({
        symbol: 'XYZ',
        timestamp: '1772463601500000000',
        price: 100,
        size: 100,
        exchange: 'N',
        conditions: ['@', 'F'],
        tape: 'A',
      }),
      JSON.stringify({ symbol: 'XYZ', timestamp: 1772463602000, price: '101', size: 50, exchange: 'D', trf_id: 'N', tape: 'A' }),
    ].join('\n');
    const fromJson = await analyze(ndjson);
    expect(fromJson.input.format).toBe('ndjson');
    expect(fromJson.symbols).toEqual(fromCsv.symbols);
  });

  it('reads each CSV line in place as the plain parser reads the same fields, whatever repeats from the line before', async () => {
    // Lines where one field at a time changes from the line before: the fast path compares the
    // repeated ones (symbol, conditions, TRF id, the time's date and zone) with the previous line's.
    const rows = [
      ['IBM', '2013-10-14T08:11:15.725-04:00', '184.99', '100', 'P', 'FT', '', '', 'A'],
      ['IBN', '2013-10-14T08:11:15.725-04:00', '184.99', '100', 'P', 'FT', '', '', 'a'],
      ['ibm', '2013-10-15T08:11:15-04:00', '185', '40', 'D', 'FI', 'N', '2013-10-15T08:11:14.5-04:00', 'A'],
      ['IBM', '2013-10-15T08:11:15-05:00', '185', '40', 'D', 'FI', 'T', '', 'C'],
      ['IBM', '2013-10-15T13:11:15Z', '185', '40', 'D', '@FTI4567', 'T', '', 'C'],
      ['IBM', '2013-10-15T13:11:15-00:00', '185', '40', 'D', '@FTI4568', ' ', '', 'C'],
      ['IBM', '2013-02-30T13:11:15Z', '185', '40', 'D', '', '', '', 'C'],
      ['IBM', '2013-02-28T13:11:15Z', '185', '40', 'D', '', '', '', 'C'],
      ['IBM', '2013-02-30T13:11:15Z', '185', '40', 'D', '', '', '', 'C'],
      ['BRK.B', '2013-02-28 13:11:15+05:30', '185.5', '1', 'N', '@', '', '', 'B'],
      ['LONGSYMBOL', '2013-02-28T13:11:15.000001+05:30', '185.5', '1', 'N', '@', '', '', 'B'],
      ['LONGSYMBOM', '2013-02-28T13:11:15.000001+05:30', '185.5', '1', 'N', '@', '', '', 'B'],
      ['LONGSYMBOM', '1361999475000', '185.5', '1', 'N', '@', '', '', 'B'],
    ];
    const names = HEADER.split(',');
    const seen = async (input: string) => {
      const trades: unknown[] = [];
      const summary = await readTrades([input], (t) => trades.push({ ...t }));
      return { trades, malformed: summary.malformedRows };
    };
    const fromCsv = await seen(csv(...rows.map((r) => r.join(','))));
    const fromObjects = await seen(rows.map((r) => JSON.stringify(Object.fromEntries(names.map((n, i) => [n, r[i]])))).join('\n'));
    expect(fromCsv.trades).toHaveLength(rows.length - 2); // 30 February, twice
    expect(fromCsv.trades).toEqual(fromObjects.trades);
    expect(fromCsv.malformed.map((m) => m.line)).toEqual([8, 10]);
    expect(fromObjects.malformed.map((m) => m.line)).toEqual([7, 9]); // no header line
  });

  it('tells epoch units apart and keeps sub-millisecond precision of nanoseconds', () => {
    expect(parseTimestamp('1772463601')).toBe(1772463601000);
    expect(parseTimestamp('1772463601500')).toBe(1772463601500);
    expect(parseTimestamp('1772463601500250')).toBe(1772463601500.25);
    expect(parseTimestamp('1772463601500250999')).toBeCloseTo(1772463601500.251, 3);
    expect(parseTimestamp('2026-03-02T10:00:01.5-05:00')).toBe(Date.parse('2026-03-02T15:00:01.500Z'));
    expect(parseTimestamp('2026-03-02T10:00:01')).toBeNaN(); // no zone: ambiguous, refused
    expect(parseTimestamp('2026-02-30T10:00:01Z')).toBeNaN();
  });

  it('counts and reports malformed rows with their line numbers, or stops at the first with --strict', async () => {
    const text = csv(
      'XYZ,2026-03-02T15:00:01Z,100,100,N,@,,,A',
      'XYZ,not-a-time,100,100,N,@,,,A',
      'XYZ,2026-03-02T15:00:03Z,-5,100,N,@,,,A',
      'XYZ,2026-03-02T15:00:04Z,100,100,N',
      '$$$,2026-03-02T15:00:05Z,100,100,N,@,,,A',
      'XYZ,2026-03-02T15:00:06Z,100,0,N,@,,,A',
      'XYZ,2026-03-02T15:00:07Z,100,100,NY,@,,,A',
      '"XYZ,2026-03-02T15:00:08Z,100,100,N,@,,,A',
      'XYZ,2026-03-02T15:00:09Z,100,100,N,@,,,A',
    );
    const report = await analyze(text);
    expect(report.input).toMatchObject({ trades: 2, malformed: 7 });
    expect(report.input.malformed_rows.map((r) => r.line)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(report.input.malformed_rows[0]!.reason).toMatch(/timestamp "not-a-time"/);
    await expect(analyze(text, { strict: true })).rejects.toThrow(MalformedRowError);
    await expect(analyze(text, { strict: true })).rejects.toThrow(/^line 3: timestamp/);
  });

  it('reads across chunk boundaries, CRLF and a multi-byte character split between chunks', async () => {
    const text = `${csv('XYZ,2026-03-02T15:00:01Z,100,100,N,@,,,A', 'XYZ,2026-03-02T15:00:02Z,101,100,N,@,,,A').replaceAll('\n', '\r\n')}\r\n`;
    const bytes = Buffer.from(text.replace('XYZ,2026-03-02T15:00:02Z', 'XYZ,2026-03-02T15:00:02Z'));
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
    const report = await analyzeTape(chunks);
    expect(report.totals.trades).toBe(2);
    const euro = await analyzeTape([
      Buffer.from(`${HEADER}\nXYZ,2026-03-02T15:00:01Z,100,100,N,@,,,A\n`),
      Buffer.from([0xe2, 0x82]),
      Buffer.from([0xac, 0x0a]),
    ]);
    expect(euro.input).toMatchObject({ trades: 1, malformed: 1 });
    // A character begun at a chunk's end and never finished is read where it stands (line 3), not
    // at the end of the input, even when the chunks after it are plain ASCII.
    const cut = await analyzeTape([
      Buffer.from(`${HEADER}\nXYZ,2026-03-02T15:00:01Z,100,100,N,@,,,A\n`),
      Buffer.from([0xe2, 0x82]),
      Buffer.from('\nXYZ,2026-03-02T15:00:02Z,100,100,N,@,,,A\n'),
    ]);
    expect(cut.input).toMatchObject({ trades: 2, malformed: 1 });
    expect(cut.input.malformed_rows[0]!.line).toBe(3);
    // After a whole non-ASCII character, ASCII chunks read as before.
    const whole = await analyzeTape([
      Buffer.from(`${HEADER}\nXYZ,2026-03-02T15:00:01Z,100,100,N,@,,,A\nX€Z,2026-03-02T15:00:01Z,100,100,N,@,,,A\n`),
      Buffer.from('XYZ,2026-03-02T15:00:02Z,100,100,N,@,,,A\n'),
    ]);
    expect(whole.input).toMatchObject({ trades: 2, malformed: 1 });
    expect(whole.input.malformed_rows[0]).toMatchObject({ line: 3, reason: expect.stringContaining('"X€Z"') });
  });
});

describe('times in the report', () => {
  it('writes a time exactly as toISOString does, across days, years and sub-milliseconds, and beyond the four-digit years', () => {
    const times = [0, -0.5, 0.9, 1_381_498_200_000, 1_381_498_259_999.999, 951_782_400_000 - 1, 951_782_400_000, 4_102_444_799_999];
    // The same day twice, then another, then back: the date part is kept per day and must follow.
    times.push(1_381_449_600_000, 1_381_535_999_999, 1_381_536_000_000, 1_381_449_600_001);
    // Spread over the whole range, reproducibly (a multiplicative hash of i).
    for (let i = 1; i <= 2_000; i++) times.push(((i * 2_654_435_761) % 253_402_300_799) * 1000 + (i % 1000) + (i % 2 ? 0.5 : 0));
    for (const t of times) expect(isoTime(t), String(t)).toBe(new Date(t).toISOString());
    for (const t of [-1, -86_400_000.5, 253_402_300_800_000, 8.64e15]) expect(isoTime(t)).toBe(new Date(t).toISOString());
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
  });
});

describe('statistics', () => {
  it('bands the dark-to-lit ratio at 0.3 and 0.6', () => {
    expect(darkToLit(29, 100).band).toBe('lit-dominant');
    expect(darkToLit(30, 100).band).toBe('elevated');
    expect(darkToLit(60, 100).band).toBe('elevated');
    expect(darkToLit(61, 100).band).toBe('heavy');
    expect(darkToLit(5, 0)).toEqual({ ratio: null, band: null });
  });

  it('finds large prints by size and by notional, late reports, and the shift of print sizes across the session', async () => {
    const report = await analyze(
      csv(
        'XYZ,2026-03-02T14:35:00Z,10,6000,D,@,N,2026-03-02T14:34:59Z,A', // 09:35 ET; 6,000 shares; 1 s late
        'XYZ,2026-03-02T14:36:00Z,50,4500,N,@,,,A', // $225,000 notional
        'XYZ,2026-03-02T14:37:00Z,10,100,N,@,,,A',
        'XYZ,2026-03-02T18:00:00Z,10,100,D,@,N,2026-03-02T17:59:30Z,A', // 13:00 ET; 30 s late
        'XYZ,2026-03-02T18:01:00Z,10,300,N,@,,,A',
      ),
    );
    const xyz = report.symbols[0]!;
    expect(xyz.large_prints).toMatchObject({ by_size: 1, by_notional: 1 });
    expect(xyz.large_prints.largest.map((p) => p.size)).toEqual([6000, 4500]);
    expect(xyz.delayed_prints).toMatchObject({ count: 1, with_participant_time: 2, longest: [{ delay_seconds: 30 }] });
    const first = xyz.size_distribution.first_half;
    const second = xyz.size_distribution.second_half;
    expect(first.find((b) => b.bucket === '5000-9999')!.trades).toBe(1);
    expect(second.find((b) => b.bucket === '200-499')!.trade_share).toBe(0.5);
    expect(xyz.size_distribution.shift_pct_points.find((b) => b.bucket === '100-199')!.change).toBeCloseTo(50 - 33.3333, 2);
  });
});
