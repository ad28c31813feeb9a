import { constants } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { CANDLE_NUMBERS, EMPTY_BAR } from '../../src/ticks/bar.js';
import { jsonChunks, LazyRecords } from '../../src/ticks/json-text.js';
import { candleMembers, candleRecord } from '../../src/ticks/report.js';

const text = (value: unknown, space: 0 | 2) => [...jsonChunks(value, space)].join('');

describe('JSON written in chunks', () => {
  it("gives JSON.stringify's text, pretty or compact, byte for byte", () => {
    const records = (i: number) => ({
      s: i % 5 === 0 ? 'quote " back\\slash \n\t\u0001 é \ud83d\ude00 \ud800' : `r${i}`,
      n: [0, -0, 1e21, 1e-7, 0.1 + 0.2, -12.5, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER][i % 10]!,
      b: i % 2 === 0,
      z: null,
    });
    const value = {
      a: 1,
      skipped: undefined,
      fn: () => 1,
      nested: {
        empty: {},
        list: [],
        mixed: [1, 'two', null, undefined, () => 3, { deep: [[], [{}]] }],
        date: new Date(Date.UTC(2026, 0, 2)),
      },
      'key "quoted"\n': true,
      records: new LazyRecords(1_000, records),
      none: new LazyRecords(0, records),
      shapeless: new LazyRecords(2, () => ({})),
      top: [new LazyRecords(3, records)],
      // Containers holding records are written piece by piece, the rest by JSON.stringify itself.
      around: [
        undefined,
        () => 3,
        new LazyRecords(2, records),
        { deep: [new LazyRecords(1, records)], date: new Date(0), gone: undefined },
      ],
    };
    expect(JSON.stringify(value)).toContain('"s":"r1"'); // JSON.stringify itself writes the records (their toJSON)
    for (const space of [0, 2] as const) {
      expect(text(value, space)).toBe(JSON.stringify(value, null, space));
      for (const scalar of [null, 0, -0, NaN, 'text', true, [], {}, [undefined]])
        expect(text(scalar, space)).toBe(JSON.stringify(scalar, null, space));
    }
  });

  it("writes a text longer than one string can hold, in chunks small enough to stay out of V8's large-object space", () => {
    const record = (i: number) => ({
      start: '2026-11-02T14:30:00.000Z',
      end: '2026-11-02T14:31:00.000Z',
      open: i / 7,
      volume: i,
      trades: i % 17,
      flag: i % 2 === 0,
    });
    const one = JSON.stringify(record(0), null, 2).length;
    const count = Math.ceil((constants.MAX_STRING_LENGTH * 1.1) / one);
    let total = 0;
    let largest = 0;
    let tail = '';
    for (const chunk of jsonChunks({ candles: new LazyRecords(count, record) })) {
      total += chunk.length;
      largest = Math.max(largest, chunk.length);
      tail = (tail + chunk).slice(-1_000);
    }
    expect(total).toBeGreaterThan(constants.MAX_STRING_LENGTH);
    expect(largest).toBeLessThan(2 ** 17); // 128 KB
    expect(tail.endsWith(`  ${JSON.stringify(record(count - 1), null, 2).replaceAll('\n', '\n    ')}\n  ]\n}`)).toBe(true);
  });

  it("writes a candle's members as the text of its record, for bars of every kind", () => {
    // Bars whose numbers are drawn from values that JSON writes in every way it can: integers, -0,
    // fractions, exponents, null for NaN and the infinities; times in and out of isoTime's fast range.
    const pool = [0, -0, 100, 1 / 3, 184.99, 1e21, 1e-7, 123_456_789.123_456_8, NaN, Infinity, -Infinity];
    const starts = [Date.UTC(2013, 9, 14, 13, 30), Date.UTC(2026, 2, 9, 4, 0, 0, 7), -86_400_000, 253_402_300_800_000];
    const bars = [...EMPTY_BAR];
    let seed = 7;
    const next = () => (seed = (seed * 48_271) % 2_147_483_647);
    for (let b = 1; b < 400; b++) {
      bars.push(starts[next() % starts.length]!);
      for (let i = 1; i < CANDLE_NUMBERS; i++) bars.push(pool[next() % pool.length]!);
    }
    const count = bars.length / CANDLE_NUMBERS;
    const classes = ['all', 'lit-round-lot'] as const;
    const record = (i: number) => candleRecord(bars, i * CANDLE_NUMBERS, 60_000, classes[i % 2]!);
    const members = (i: number, keys: readonly string[]) =>
      candleMembers(bars, i * CANDLE_NUMBERS, 60_000, JSON.stringify(classes[i % 2]), keys);
    const value = { candles: new LazyRecords(count, record, members) };
    expect([...Array(count).keys()].some((i) => record(i).phantom_high)).toBe(true);
    for (const space of [0, 2] as const) expect(text(value, space)).toBe(JSON.stringify(value, null, space));
  });
});
