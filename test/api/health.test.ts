import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, OPEN_APP_CONFIG } from '../../src/app.js';
import { SectorTable } from '../../src/sectors/table.js';
import { Store } from '../../src/store/store.js';
import { seededStore } from '../support/app.js';
import { removeTempDirs, silentLogger, tempDbPath } from '../support/harness.js';
import { openStore } from '../../src/compose.js';

let store: Store;
afterAll(() => {
  store.close();
  removeTempDirs();
});
beforeAll(async () => {
  store = await seededStore(); // OTCE weeks 2025-11-10 and 2025-11-17, T2 week 2025-11-17
});

async function appAt(iso: string, s = store): Promise<FastifyInstance> {
  const app = await buildApp(OPEN_APP_CONFIG, { store: s, logger: silentLogger, now: () => new Date(iso) });
  await app.ready();
  return app;
}

describe('/health against FINRA’s publication calendar (fixed clock)', () => {
  it('is fresh on the day FINRA publishes the next week, before we have it', async () => {
    // OTCE week 2025-11-24 is published on Monday 2025-12-29 (35 days): we are one week behind, not stale.
    const app = await appAt('2025-12-29T12:00:00Z');
    const body = (await app.inject({ url: '/health' })).json();
    const otce = body.tiers.find((t: { tier: string }) => t.tier === 'OTCE');
    expect(otce).toEqual({
      tier: 'OTCE',
      newest_week_start: '2025-11-17',
      newest_week_ending: '2025-11-23',
      loaded_at: expect.any(String),
      calendar_newest_week_start: '2025-11-24',
      weeks_behind: 1,
      next_week_start: '2025-11-24',
      next_expected_publication: '2025-12-29',
      stale: false,
    });
    await app.close();
  });

  it('is stale once the week we lack was due more than a week ago, and reports the whole picture', async () => {
    const app = await appAt('2026-01-06T12:00:00Z');
    const body = (await app.inject({ url: '/health' })).json();
    expect(body.status).toBe('degraded');
    const byTier = Object.fromEntries(body.tiers.map((t: { tier: string }) => [t.tier, t]));
    expect(byTier.OTCE).toMatchObject({
      stale: true,
      weeks_behind: 2,
      calendar_newest_week_start: '2025-12-01',
      next_expected_publication: '2025-12-29',
    });
    // T2 holds only 2025-11-17 too; T1 holds nothing at all.
    expect(byTier.T2).toMatchObject({ stale: true, newest_week_start: '2025-11-17' });
    expect(byTier.T1).toMatchObject({
      stale: true,
      newest_week_start: null,
      weeks_behind: null,
      calendar_newest_week_start: '2025-12-15',
      next_expected_publication: '2026-01-05',
    });
    expect(body.last_run).toMatchObject({ trigger: 'import', status: 'ok', weeks: { published: 1 } });
    expect(body.running).toBeNull();
    await app.close();
  });

  it('shows the run in progress in the daily phase as well as the weekly one', async () => {
    const s = openStore(tempDbPath(), SectorTable.empty());
    const app = await appAt('2026-01-06T12:00:00Z', s);
    try {
      const daily = s.runs.start('schedule', '2026-01-06T04:15:00Z', 'daily');
      expect((await app.inject({ url: '/health' })).json().running).toMatchObject({ id: daily, kind: 'daily', status: 'running' });
      s.runs.finish(daily, 'ok', { days: [] }, '2026-01-06T04:16:00Z');
      const weekly = s.runs.start('schedule', '2026-01-06T04:16:00Z', 'weekly');
      expect((await app.inject({ url: '/health' })).json().running).toMatchObject({ id: weekly, kind: 'weekly', status: 'running' });
    } finally {
      await app.close();
      s.close();
    }
  });

  it('moves the publication day past a Monday holiday', async () => {
    // T1 week 2023-05-08 is due on Monday 2023-05-29, Memorial Day: FINRA publishes on Tuesday.
    const empty = openStore(tempDbPath(), SectorTable.empty());
    const app = await appAt('2023-05-29T12:00:00Z', empty);
    const t1 = (await app.inject({ url: '/health' })).json().tiers[0];
    expect(t1).toMatchObject({ tier: 'T1', calendar_newest_week_start: '2023-05-01', next_expected_publication: '2023-05-22' });
    await app.close();
    const after = await appAt('2023-05-30T12:00:00Z', empty);
    expect((await after.inject({ url: '/health' })).json().tiers[0].calendar_newest_week_start).toBe('2023-05-08');
    await after.close();
    empty.close();
  });
});

describe('/livez and /readyz', () => {
  it('are live, and ready only with data', async () => {
    const app = await appAt('2026-01-06T12:00:00Z');
    expect((await app.inject({ url: '/livez' })).json()).toEqual({ status: 'live' });
    expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
    await app.close();
    const empty = openStore(tempDbPath(), SectorTable.empty());
    const bare = await appAt('2026-01-06T12:00:00Z', empty);
    const res = await bare.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'no_data' });
    expect((await bare.inject({ url: '/health' })).json().status).toBe('no_data');
    await bare.close();
    empty.close();
  });
});

describe('freshness in every data answer', () => {
  it('names the newest week per tier and when it was loaded', async () => {
    const app = await appAt('2026-01-06T12:00:00Z');
    for (const url of [
      '/darkpool/weekly/TQQQ',
      '/darkpool/movers/top20',
      '/darkpool/ratio/TQQQ',
      '/darkpool/history/AABB',
      '/darkpool/sectors',
    ]) {
      const fresh = (await app.inject({ url })).json().source.freshness;
      expect(fresh, url).toEqual([
        {
          tier: 'T2',
          newest_week_start: '2025-11-17',
          newest_week_ending: '2025-11-23',
          loaded_at: expect.any(String),
          updated_at: expect.any(String),
        },
        {
          tier: 'OTCE',
          newest_week_start: '2025-11-17',
          newest_week_ending: '2025-11-23',
          loaded_at: expect.any(String),
          updated_at: expect.any(String),
        },
      ]);
    }
    await app.close();
  });
});
