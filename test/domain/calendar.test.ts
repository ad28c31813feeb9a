import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  expectedPublicationDate,
  isMarketHoliday,
  newestPublishedWeek,
  tradingDaysInWeek,
  weekEndingOf,
  weekPublishedOn,
  weekStartOf,
} from '../../src/domain/calendar.js';
import { FIXTURES } from '../support/fixtures.js';

const realRows = JSON.parse(readFileSync(`${FIXTURES}finra/ats_w_smbl_T1_AAPL_BRK.B_248_weeks.json`, 'utf8')) as {
  weekStartDate: string;
  initialPublishedDate: string;
}[];

describe('publication calendar', () => {
  it("predicts every real T1 initialPublishedDate in FINRA's 248-week AAPL and BRK.B history", () => {
    expect(realRows).toHaveLength(496);
    const wrong = realRows.filter((r) => expectedPublicationDate(r.weekStartDate, 'T1') !== r.initialPublishedDate);
    expect(wrong).toEqual([]);
    // The history includes Monday holidays, which move publication to Tuesday.
    expect(realRows.filter((r) => r.initialPublishedDate.endsWith('-05-30')).length).toBeGreaterThan(0);
  });

  it('publishes T2 and OTCE weeks 35 days after they start (the OTCE export of 2025-12-15 is week 2025-11-10)', () => {
    expect(expectedPublicationDate('2025-11-10', 'OTCE')).toBe('2025-12-15');
    expect(weekPublishedOn('2025-12-15', 'OTCE')).toBe('2025-11-10');
    expect(weekPublishedOn('2025-12-22', 'T2')).toBe('2025-11-17');
    expect(weekPublishedOn('2025-12-16', 'OTCE')).toBeNull(); // a Tuesday that is no publication day
  });

  it('finds the week that a holiday-shifted publication day belongs to', () => {
    // Week 2023-05-08 was published on Tuesday 2023-05-30 (Memorial Day).
    expect(weekPublishedOn('2023-05-30', 'T1')).toBe('2023-05-08');
  });

  it('knows the newest published week per tier on a given day', () => {
    expect(newestPublishedWeek('T1', '2026-09-08')).toBe('2026-08-17'); // Labor Day Tuesday
    expect(newestPublishedWeek('T1', '2026-09-07')).toBe('2026-08-10');
    expect(newestPublishedWeek('OTCE', '2025-12-15')).toBe('2025-11-10');
    expect(newestPublishedWeek('OTCE', '2025-12-14')).toBe('2025-11-03');
  });
});

describe('weeks and holidays', () => {
  it('names a week by its Monday and ends it on the Sunday after', () => {
    expect(weekStartOf('2025-11-16')).toBe('2025-11-10');
    expect(weekStartOf('2025-11-10')).toBe('2025-11-10');
    expect(weekEndingOf('2025-11-10')).toBe('2025-11-16');
  });

  it('knows NYSE holidays, including observed and one-off closures', () => {
    for (const d of ['2021-12-24', '2022-06-20', '2023-04-07', '2025-01-09', '2026-07-03', '2027-12-24']) {
      expect(isMarketHoliday(d), d).toBe(true);
    }
    // New Year's Day 2022 fell on a Saturday: NYSE does not close on Friday 2021-12-31.
    expect(isMarketHoliday('2021-12-31')).toBe(false);
    expect(isMarketHoliday('2023-10-09')).toBe(false); // Columbus Day: markets open
  });

  it('counts trading days in holiday weeks', () => {
    expect(tradingDaysInWeek('2021-12-20')).toBe(4);
    expect(tradingDaysInWeek('2025-11-24')).toBe(4); // Thanksgiving
    expect(tradingDaysInWeek('2025-11-17')).toBe(5);
  });
});
