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

  it('takes integers in decimal digits only, with one message for every other spelling', async () => {
    for (const weeks of ['2e1', '0x10', '1.0', '+5', '%205', '-1', '53.5', '', '1e400']) {
      const url = `/darkpool/history/AABB?weeks=${weeks}`;
      const res = await seeded.app.inject({ url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().detail, url).toBe('weeks must be an integer from 1 to 5000, in decimal digits');
    }
    const ok = await seeded.app.inject({ url: '/darkpool/history/AABB?weeks=2' });
    expect(ok.json().data).toHaveLength(2);
    for (const url of ['/darkpool/movers/top20?offset=1e2', '/darkpool/unusual?z=2e0', '/darkpool/unusual?z=0x2']) {
      expect((await seeded.app.inject({ url })).statusCode, url).toBe(400);
    }
    expect((await seeded.app.inject({ url: '/darkpool/unusual?z=2.5' })).statusCode).not.toBe(400);
  });

  it('takes every enumeration in any case, and answers as for its canonical spelling', async () => {
    const same = async (a: string, b: string) => {
      const [x, y] = await Promise.all([seeded.app.inject({ url: a }), seeded.app.inject({ url: b })]);
      expect(x.statusCode, a).toBe(200);
      expect(x.body, a).toBe(y.body);
      expect(x.headers['content-type'], a).toBe(y.headers['content-type']);
    };
    await same('/darkpool/movers/top20?order=ASC&sort=Change', '/darkpool/movers/top20?order=asc&sort=change');
    await same('/darkpool/movers/top20?format=CSV', '/darkpool/movers/top20?format=csv');
    await same('/darkpool/movers/top20?tier=t2', '/darkpool/movers/top20?tier=T2');
    await same('/darkpool/venues?tier=otce', '/darkpool/venues?tier=OTCE');
    await same('/darkpool/movers/top20?sector=unknown', '/darkpool/movers/top20?sector=Unknown');
    await same('/darkpool/unusual?direction=DOWN', '/darkpool/unusual?direction=down');
    const bad = await seeded.app.inject({ url: '/darkpool/movers/top20?order=upward' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toBe('order must be desc or asc');
  });

  it('trims a ticker of surrounding space, and says once what a ticker may hold', async () => {
    const [spaced, plain] = await Promise.all([
      seeded.app.inject({ url: '/darkpool/weekly/AABB%20' }),
      seeded.app.inject({ url: '/darkpool/weekly/AABB' }),
    ]);
    expect(spaced.statusCode).toBe(200);
    expect(spaced.body).toBe(plain.body);
    const bad = await seeded.app.inject({ url: '/darkpool/weekly/A$B' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'invalid_ticker' });
    expect(bad.json().detail).toBe(
      '"A$B" cannot be a ticker: use letters, digits and . - / ^ or a space between them, at most 20 characters',
    );
  });

  it("never answers in the validator's own words", async () => {
    for (const url of [
      '/darkpool/movers/top20?sort=size',
      '/darkpool/movers/top20?sector=Tech',
      '/darkpool/movers/top20?tier=T4',
      '/darkpool/history/AABB?include=everything',
      '/darkpool/movers/top20?min_prev_shares=-5',
      '/darkpool/estimate/accuracy?weeks=0',
    ]) {
      const res = await seeded.app.inject({ url });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().detail, url).not.toMatch(/Invalid|expected|received|NaN/);
    }
  });

  it('suggests by case first, then by a small edit', () => {
    expect(closest('Tier', ['tier', 'week'])).toBe('tier');
    expect(closest('wek', ['tier', 'week'])).toBe('week');
    expect(closest('symbolz', ['tier', 'week'])).toBeNull();
  });
});
