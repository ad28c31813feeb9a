// Histories kept serialized in memory (read/history-memory.ts): every answer from memory must be byte
// for byte the one Reports builds, for every symbol, and nothing of older data may be served after a
// publish in this process, nor once the app has seen another process's (as its answer cache does).
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, OPEN_APP_CONFIG } from '../../src/app.js';
import { openStore } from '../../src/compose.js';
import { importFiles } from '../../src/ingest/run.js';
import { HistoryMemory } from '../../src/read/history-memory.js';
import { Queries } from '../../src/read/queries.js';
import { Snapshot } from '../../src/read/snapshot.js';
import { Reports } from '../../src/read/weekly.js';
import { SectorTable } from '../../src/sectors/table.js';
import type { Store } from '../../src/store/store.js';
import { ingestContext, nineWeeksStore, NINE_WEEKS } from '../support/app.js';
import { AAPL_BRKB_WEEKS, otceFirmRows, relabelWeek, TQQQ_JSON } from '../support/fixtures.js';
import { captureLogs, removeTempDirs, silentLogger, tempDbPath } from '../support/harness.js';
import { eventually } from '../support/processes.js';
import { syntheticWeek, writeJson } from '../support/synthetic.js';

afterAll(removeTempDirs);

const WEEKS = [undefined, 1, 2, 4, 8, 9, 10, 52];

function readModels(store: Store, maxBytes = 64 * 1024 * 1024, logger = silentLogger) {
  const snapshot = new Snapshot(store.db);
  store.onChange(() => snapshot.changed()); // as the app wires it: this process's publishes
  const queries = new Queries(store.db);
  const reports = new Reports(queries, snapshot);
  // The store's revision itself: the app reads it at most once a second (the answer cache's).
  const histories = new HistoryMemory(reports, queries, snapshot, { maxBytes, logger, revision: () => queries.datasetRevision().revision });
  return { queries, reports, histories };
}

/** Every symbol's kept answer against the one Reports builds; returns how many were kept. */
function expectSameAsReports({ queries, reports, histories }: ReturnType<typeof readModels>): number {
  let kept = 0;
  for (const symbol of queries.symbolsRecentFirst()) {
    for (const weeks of WEEKS) {
      const fromMemory = histories.json(symbol, weeks);
      if (fromMemory === null) continue;
      if (weeks === undefined) kept++;
      expect(fromMemory.toString('utf8'), `${symbol} weeks=${weeks}`).toBe(JSON.stringify(reports.history(symbol, weeks)));
    }
  }
  return kept;
}

describe('histories kept in memory', () => {
  it('answer as Reports does for every symbol of nine real OTCE weeks (gaps, zero weeks, no previous week), and for a new week at once', async () => {
    const store = await nineWeeksStore();
    const models = readModels(store);
    models.histories.start();
    await models.histories.filled();
    const symbols = models.queries.symbolsRecentFirst();
    expect(symbols.length).toBeGreaterThan(1000);
    expect(expectSameAsReports(models)).toBe(symbols.length);

    // A tenth week, published in this process: nothing kept from the nine weeks is served after it.
    const tenth = '2025-11-24';
    await importFiles(ingestContext(store), [writeJson(relabelWeek(otceFirmRows('2025-11-10'), tenth, 'OTCE'))], {});
    expect(models.reports.history(symbols[0]!, 1).data[0]!.week_start).toBe(tenth);
    // While it fills again (one slice done, most symbols not yet): whatever it answers is the new data.
    await new Promise((resolve) => setImmediate(resolve));
    expect(models.histories.status().symbols).toBeLessThan(symbols.length);
    expectSameAsReports(models);
    await models.histories.filled();
    expect(expectSameAsReports(models)).toBe(models.queries.symbolsRecentFirst().length);
    models.histories.stop();
    store.close();
  });

  it('forgets what it kept when another process publishes (the dataset revision)', async () => {
    const path = tempDbPath();
    const store = await nineWeeksStore(path);
    const models = readModels(store);
    models.histories.start();
    await models.histories.filled();
    const symbol = models.queries.symbolsRecentFirst()[0]!;
    expect(models.histories.json(symbol, 4)).not.toBeNull();
    models.histories.stop(); // no refill: what is answered right after the other process's publish

    const other = openStore(path, SectorTable.load());
    await importFiles(ingestContext(other), [writeJson(relabelWeek(otceFirmRows('2025-11-17'), '2025-11-24', 'OTCE'))], {});
    other.close();
    expect(models.histories.json(symbol, 4)).toBeNull();
    expect(models.reports.history(symbol, 1).data[0]!.week_start).toBe('2025-11-24');
    store.close();
  });

  it("answer as Reports does for FINRA's totals-only weeks beside a whole week, and for a name beyond ASCII (synthetic)", async () => {
    const store = openStore(tempDbPath(), SectorTable.load());
    const ctx = ingestContext(store, () => new Date('2026-12-01T12:00:00Z'));
    await importFiles(ctx, [AAPL_BRKB_WEEKS], {});
    await importFiles(ctx, [TQQQ_JSON], {});
    // Synthetic: a name in several scripts, so that each record's byte length differs from its length.
    const names = { ZZUNI: 'Société Générale Ünïcode 株式会社 Test Issue' };
    for (const week of ['2025-11-03', '2025-11-10', '2025-11-17']) {
      const rows = syntheticWeek(week, 'T2', [{ symbol: 'ZZUNI', mpid: 'TSTA', shares: 1000 + week.length, trades: 7, name: names.ZZUNI }]);
      await importFiles(ctx, [writeJson(rows.map((r) => ({ ...r, tierIdentifier: 'T2' })))], { week, tier: 'T2' });
    }
    const models = readModels(store);
    models.histories.start();
    await models.histories.filled();
    const symbols = models.queries.symbolsRecentFirst();
    expect(symbols).toEqual(expect.arrayContaining(['AAPL', 'BRK.B', 'TQQQ', 'ZZUNI']));
    expect(expectSameAsReports(models)).toBe(symbols.length);
    expect(models.histories.json('ZZUNI', 3)!.toString('utf8')).toContain(names.ZZUNI);
    models.histories.stop();
    store.close();
  });

  it('keeps what fits in HISTORY_MEMORY_MB, says so, and reads the others per request', async () => {
    const store = await nineWeeksStore();
    const logs = captureLogs('info');
    const models = readModels(store, 200_000, logs.logger);
    models.histories.start();
    await models.histories.filled();
    const total = models.queries.symbolsRecentFirst().length;
    const { symbols: kept, bytes } = models.histories.status();
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(total);
    expect(bytes).toBeLessThan(200_000 + 20_000); // at most one history past the limit
    expect(logs.lines).toContainEqual(
      expect.objectContaining({ level: 40, symbols: kept, of: total, msg: expect.stringMatching(/HISTORY_MEMORY_MB is full/) }),
    );
    expect(expectSameAsReports(models)).toBe(kept);
    models.histories.stop();
    store.close();
  });
});

describe('GET /darkpool/history/{ticker} from memory', () => {
  let store: Store;
  let withMemory: FastifyInstance;
  let without: FastifyInstance;
  let memory: HistoryMemory;
  const served: boolean[] = [];
  beforeAll(async () => {
    store = await nineWeeksStore();
    const start = vi.spyOn(HistoryMemory.prototype, 'start');
    withMemory = await buildApp(OPEN_APP_CONFIG, { store, logger: silentLogger });
    await withMemory.ready();
    memory = start.mock.contexts[0] as HistoryMemory;
    start.mockRestore();
    const json = memory.json.bind(memory);
    vi.spyOn(memory, 'json').mockImplementation((...args) => {
      const kept = json(...args);
      served.push(kept !== null);
      return kept;
    });
    without = await buildApp({ ...OPEN_APP_CONFIG, HISTORY_MEMORY_MB: 0 }, { store, logger: silentLogger });
    await without.ready();
    await memory.filled();
  });
  afterAll(async () => {
    await Promise.all([withMemory.close(), without.close()]);
    store.close();
  });

  it('answers the same status, headers and bytes as the app without it, whatever the spelling, method or validator', async () => {
    const symbol = new Queries(store.db).symbolsRecentFirst()[0]!;
    const asks = [
      { url: `/darkpool/history/${symbol}` },
      { url: `/darkpool/history/${symbol}?weeks=1` },
      { url: `/darkpool/history/${symbol}?weeks=52` },
      { url: `/darkpool/history/${symbol.toLowerCase()}?weeks=3` },
      { url: `/darkpool/history/${symbol}?weeks=5&format=csv` },
      { url: `/darkpool/history/${symbol}?weeks=9`, headers: { 'accept-encoding': 'gzip' } },
      { url: `/darkpool/history/${symbol}?weeks=2`, method: 'HEAD' as const },
      { url: `/darkpool/history/${symbol}?from=${NINE_WEEKS[2]}` },
      { url: '/darkpool/history/NOSUCHTICKER?weeks=4' },
      { url: `/darkpool/history/${symbol}?weeks=0` },
    ];
    const servedPerRound: number[] = [];
    for (let round = 0; round < 3; round++) {
      const before = served.filter(Boolean).length;
      for (const ask of asks) {
        const [a, b] = await Promise.all([withMemory.inject(ask), without.inject(ask)]);
        const { date: _a, 'x-request-id': _ida, ...headersA } = a.headers;
        const { date: _b, 'x-request-id': _idb, ...headersB } = b.headers;
        // A problem names its request: the ids differ, the rest may not.
        const bodyOf = (r: typeof a) => r.payload.replaceAll(String(r.headers['x-request-id']), '{id}');
        expect([a.statusCode, headersA, bodyOf(a)], ask.url).toEqual([b.statusCode, headersB, bodyOf(b)]);
        expect(a.rawPayload.byteLength).toBe(b.rawPayload.byteLength);
        if (a.statusCode === 200 && ask.method !== 'HEAD') {
          const again = await withMemory.inject({ ...ask, headers: { ...ask.headers, 'if-none-match': String(a.headers.etag) } });
          expect(again.statusCode).toBe(304);
        }
      }
      servedPerRound.push(served.filter(Boolean).length - before);
    }
    // JSON without a range or as_of is answered from memory: 5 asks (the canonical spelling, JSON, no
    // range) and the 4 of them that have a body to revalidate. Asked again, a GET's answer is kept in
    // the answer cache (repeated within the hot window), which answers its revalidation and every later
    // ask; the HEAD, whose answer has no body to keep, is answered from memory each time.
    expect(servedPerRound).toEqual([5 + 4, 5, 1]);
  });
});

describe('the app when another process publishes', () => {
  it('answers the old data whole until it sees the new revision (within a second, as the answer cache), then the new data whole', async () => {
    const path = tempDbPath();
    const store = await nineWeeksStore(path);
    const start = vi.spyOn(HistoryMemory.prototype, 'start');
    const app = await buildApp(OPEN_APP_CONFIG, { store, logger: silentLogger });
    await app.ready();
    const memory = start.mock.contexts[0] as HistoryMemory;
    start.mockRestore();
    await memory.filled();
    const reports = new Reports(new Queries(store.db), new Snapshot(store.db));
    const symbol = new Queries(store.db).symbolsRecentFirst()[0]!;
    const url = `/darkpool/history/${symbol}?weeks=3`;
    const before = JSON.stringify(reports.history(symbol, 3));
    expect((await app.inject(url)).payload).toBe(before);

    const other = openStore(path, SectorTable.load());
    const tenth = '2025-11-24';
    await importFiles(ingestContext(other), [writeJson(relabelWeek(otceFirmRows('2025-11-17'), tenth, 'OTCE'))], {});
    other.close();
    const after = JSON.stringify(reports.history(symbol, 3));
    expect(after).toContain(tenth);
    const answers: string[] = [];
    await eventually(
      async () => {
        answers.push((await app.inject(url)).payload);
        return answers.at(-1) === after ? true : undefined;
      },
      5_000,
      50,
    );
    expect(answers.every((a) => a === before || a === after)).toBe(true);
    // Kept again, of the new revision, and served from memory.
    await memory.filled();
    expect(memory.json(symbol, 3)?.toString('utf8')).toBe(after);
    await app.close();
    store.close();
  });
});
