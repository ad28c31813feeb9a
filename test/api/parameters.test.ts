// One parameter rule for every route: an unknown parameter is named (with the known one meant, when
// close), and a parameter given twice is named once; neither is ignored.
import { describe, expect, it } from 'vitest';
import { closest } from '../../src/api/parameters.js';
import { useSeededApp } from '../support/app.js';

const seeded = useSeededApp();

describe('query parameters', () => {
  it('refuses one the route does not know, naming it and the one meant', async () => {
    for (const [url, detail] of [
      ['/darkpool/history/AABB?WEEKS=2', 'unknown parameter "WEEKS"; did you mean "weeks"?'],
      ['/darkpool/movers/top20?limt=5', 'unknown parameter "limt"; did you mean "limit"?'],
      ['/darkpool/weekly/AABB?weeks=2', 'unknown parameter "weeks"; did you mean "week"?'],
      ['/darkpool/weeks?x=1', 'unknown parameter "x" (this route takes none)'],
      ['/darkpool/sectors?colour=red', 'unknown parameter "colour" (this route takes week, as_of, format)'],
    ] as const) {
      const res = await seeded.app.inject({ url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json(), url).toMatchObject({ code: 'invalid_parameter', detail });
      expect(res.json().errors[0].parameter, url).toBe(url.split('?')[1]!.split('=')[0]);
    }
  });

  it('refuses a single-valued one given twice, naming it once', async () => {
    for (const url of ['/darkpool/history/AABB?weeks=2&weeks=3', '/darkpool/movers/top20?tier=T2&tier=OTCE']) {
      const res = await seeded.app.inject({ url });
      expect(res.statusCode, url).toBe(400);
      const name = url.split('?')[1]!.split('=')[0]!;
      expect(res.json().detail, url).toBe(`"${name}" is given 2 times; give it once`);
    }
  });

  it('suggests by case first, then by a small edit', () => {
    expect(closest('Tier', ['tier', 'week'])).toBe('tier');
    expect(closest('wek', ['tier', 'week'])).toBe('week');
    expect(closest('symbolz', ['tier', 'week'])).toBeNull();
  });
});
