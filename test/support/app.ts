// An app on a store loaded by the real ingest path from the real samples.
import type { FastifyInstance } from 'fastify';
import { buildApp, OPEN_APP_CONFIG } from '../../src/app.js';
import { Agent } from 'undici';
import { FinraCdnClient } from '../../src/finra/cdn.js';
import type { DailyContext } from '../../src/ingest/daily.js';
import { HttpGateway } from '../../src/finra/http.js';
import { importFiles, type IngestContext } from '../../src/ingest/run.js';
import { SectorTable } from '../../src/sectors/table.js';
import { Store } from '../../src/store/store.js';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { mondaysBack, OTCE_FILES, otceFirmRows, relabelWeek, TQQQ_JSON, type Row } from './fixtures.js';
import { removeTempDirs, silentLogger, tempDbPath, tempDir } from './harness.js';
import { openStore } from '../../src/compose.js';

export function ingestContext(store: Store, now = () => new Date('2026-01-05T12:00:00Z')): IngestContext {
  return { publisher: store.publisher, lock: store.lock, runs: store.runs, weeks: store.weeks, logger: silentLogger, now };
}

/** A store holding the two real OTCE weeks (2025-11-10, 2025-11-17) and the real TQQQ T2 week. */
export async function seededStore(path = tempDbPath()): Promise<Store> {
  const store = openStore(path, SectorTable.load());
  const ctx = ingestContext(store);
  await importFiles(ctx, [OTCE_FILES['2025-11-10']], { week: '2025-11-10', tier: 'OTCE' });
  await importFiles(ctx, [OTCE_FILES['2025-11-17']], { week: '2025-11-17', tier: 'OTCE' });
  await importFiles(ctx, [TQQQ_JSON], {});
  return store;
}

/**
 * Nine OTCE weeks (Mondays up to 2025-11-17) of FINRA's real rows: the export of 2025-12-15 (A) in
 * seven of them, the one of 2025-12-22 (B) in the fourth and the last (relabelWeek moves only dates).
 */
export const NINE_WEEKS = mondaysBack('2025-11-17', 9).reverse();
export const nineWeeksSource = (week: string): Row[] =>
  otceFirmRows(week === NINE_WEEKS[3] || week === NINE_WEEKS[8] ? '2025-11-17' : '2025-11-10');

export async function nineWeeksStore(path = tempDbPath()): Promise<Store> {
  const store = openStore(path, SectorTable.load());
  const dir = tempDir();
  const files = NINE_WEEKS.map((week) => {
    const file = `${dir}/${week}.json`;
    writeFileSync(file, JSON.stringify(relabelWeek(nineWeeksSource(week), week, 'OTCE')));
    return file;
  });
  await importFiles(ingestContext(store), files, {});
  return store;
}

/** For a test file: the seeded store and an app on it, opened before its tests and closed after them. */
export function useSeededApp(): { readonly app: FastifyInstance; readonly store: Store } {
  const seeded = {} as { app: FastifyInstance; store: Store };
  beforeAll(async () => {
    seeded.store = await seededStore();
    seeded.app = await appOn(seeded.store);
  });
  afterAll(async () => {
    await seeded.app?.close();
    seeded.store?.close();
    removeTempDirs();
  });
  return seeded;
}

export async function appOn(store: Store): Promise<FastifyInstance> {
  const app = await buildApp(OPEN_APP_CONFIG, { store, logger: silentLogger });
  await app.ready();
  return app;
}

export function dailyContext(store: Store, now: () => Date): DailyContext {
  return { daily: store.daily, lock: store.lock, runs: store.runs, logger: silentLogger, now };
}

/** A CDN client for the double: retries without waiting, no request spacing. */
export function cdnClient(url: string, agent = new Agent()): FinraCdnClient {
  const http = new HttpGateway({
    dispatcher: agent,
    logger: silentLogger,
    minIntervalMs: 0,
    sleep: async () => {},
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1_000 },
  });
  return new FinraCdnClient(http, url);
}
