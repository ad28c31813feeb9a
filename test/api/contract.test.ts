// The OpenAPI document is the contract: every operation is called, each status it documents that a
// request can provoke here is provoked, and every answer's status, media type and JSON body are
// checked against the document. The server writes answers without validating them (see app.ts), so
// this is where a body that strays from its schema, or a status the document does not list, fails.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ApiKeys } from '../../src/api/api-keys.js';
import { buildApp, OPEN_APP_CONFIG } from '../../src/app.js';
import { SectorTable } from '../../src/sectors/table.js';
import { openStore } from '../../src/compose.js';
import type { Store } from '../../src/store/store.js';
import { importDailyFiles } from '../../src/ingest/daily.js';
import { dailyContext, seededStore } from '../support/app.js';
import { removeTempDirs, silentLogger, tempDbPath } from '../support/harness.js';

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: unknown }>; headers?: Record<string, unknown> }>;
}
const document = parse(readFileSync('openapi.yaml', 'utf8')) as { paths: Record<string, Record<string, Operation>> };
const operations = Object.entries(document.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ id: `${method.toUpperCase()} ${path}`, path, method, op })),
);

const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ $id: 'openapi', ...document });
const pointer = (...parts: string[]) => parts.map((p) => encodeURIComponent(p.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/');

/** The real IBM trades (fixtures/ticks, see its README) as an upload. */
const TRADES = readFileSync('fixtures/ticks/ibm_2013-10-11_trades.csv');

type Call = InjectOptions & { url: string };

/** What each operation is asked, by the status it should answer. */
function calls(mpid: string): Record<string, Partial<Record<number, Call[]>>> {
  const get = (url: string, headers: Record<string, string> = {}): Call => ({ method: 'GET', url, headers });
  const csv = (url: string) => get(url, { accept: 'text/csv' });
  const xml = (url: string) => get(url, { accept: 'application/xml' });
  return {
    'GET /darkpool/weekly/{ticker}': {
      200: [get('/darkpool/weekly/TQQQ'), get('/darkpool/weekly/aabb?week=2025-11-10')],
      400: [get('/darkpool/weekly/A$B'), get('/darkpool/weekly/TQQQ?week=2025-13-01')],
      404: [get('/darkpool/weekly/ZZZZQ'), get('/darkpool/weekly/TQQQ?week=2019-01-07')],
      406: [xml('/darkpool/weekly/TQQQ')],
    },
    'GET /darkpool/weekly': {
      200: [get('/darkpool/weekly?tickers=TQQQ,AABB,ZZZZQ')],
      400: [get('/darkpool/weekly?tickers=')],
      406: [xml('/darkpool/weekly?tickers=TQQQ')],
    },
    'GET /darkpool/movers/top20': {
      200: [get('/darkpool/movers/top20'), get('/darkpool/movers/top20?sort=change&tier=otce'), csv('/darkpool/movers/top20')],
      400: [get('/darkpool/movers/top20?limit=0')],
      404: [get('/darkpool/movers/top20?week=2019-01-07')],
      406: [xml('/darkpool/movers/top20')],
    },
    'GET /darkpool/unusual': {
      200: [get('/darkpool/unusual'), csv('/darkpool/unusual?direction=down')],
      400: [get('/darkpool/unusual?z=0x2')],
      404: [get('/darkpool/unusual?week=2019-01-07')],
      406: [xml('/darkpool/unusual')],
    },
    'GET /darkpool/ratio/{ticker}': {
      200: [get('/darkpool/ratio/TQQQ')],
      400: [get('/darkpool/ratio/TQQQ?week=soon')],
      404: [get('/darkpool/ratio/ZZZZQ')],
      406: [xml('/darkpool/ratio/TQQQ')],
    },
    'GET /darkpool/offexchange/{ticker}': {
      200: [get('/darkpool/offexchange/TQQQ'), csv('/darkpool/offexchange/TQQQ')],
      400: [get('/darkpool/offexchange/TQQQ?week=x')],
      404: [get('/darkpool/offexchange/ZZZZQ')],
      406: [xml('/darkpool/offexchange/TQQQ')],
    },
    'GET /darkpool/history/{ticker}': {
      200: [get('/darkpool/history/AABB?weeks=2'), csv('/darkpool/history/AABB')],
      400: [get('/darkpool/history/AABB?weeks=2e1')],
      404: [get('/darkpool/history/ZZZZQ')],
      406: [xml('/darkpool/history/AABB')],
    },
    'GET /darkpool/sectors': {
      200: [get('/darkpool/sectors'), csv('/darkpool/sectors')],
      400: [get('/darkpool/sectors?format=xml')],
      404: [get('/darkpool/sectors?week=2019-01-07')],
      406: [xml('/darkpool/sectors')],
    },
    'GET /darkpool/venues': {
      200: [get('/darkpool/venues'), csv('/darkpool/venues?tier=t2')],
      400: [get('/darkpool/venues?tier=T9')],
      404: [get('/darkpool/venues?week=2019-01-07')],
      406: [xml('/darkpool/venues')],
    },
    'GET /darkpool/venues/{mpid}': {
      200: [get(`/darkpool/venues/${mpid.toLowerCase()}`)],
      400: [get(`/darkpool/venues/${mpid}?weeks=0`)],
      404: [get('/darkpool/venues/QQQQQ')],
      406: [xml(`/darkpool/venues/${mpid}`)],
    },
    'GET /darkpool/venues/{mpid}/symbols': {
      200: [get(`/darkpool/venues/${mpid}/symbols`), csv(`/darkpool/venues/${mpid}/symbols`)],
      400: [get(`/darkpool/venues/${mpid}/symbols?week=x`)],
      404: [get('/darkpool/venues/QQQQQ/symbols')],
      406: [xml(`/darkpool/venues/${mpid}/symbols`)],
    },
    'GET /darkpool/weeks/{week}/symbols': {
      200: [
        get('/darkpool/weeks/2025-11-17/symbols'),
        csv('/darkpool/weeks/2025-11-17/symbols?tier=OTCE'),
        get('/darkpool/weeks/2025-11-17/symbols', { accept: 'application/x-ndjson' }),
      ],
      400: [get('/darkpool/weeks/2025-11-17/symbols?tier=T9')],
      404: [get('/darkpool/weeks/2019-01-07/symbols')],
      406: [xml('/darkpool/weeks/2025-11-17/symbols')],
    },
    'GET /darkpool/feed.atom': { 200: [get('/darkpool/feed.atom')] },
    'GET /darkpool/revisions': {
      200: [get('/darkpool/revisions'), get('/darkpool/revisions?ticker=TQQQ')],
      400: [get('/darkpool/revisions?limit=-1')],
      404: [get('/darkpool/revisions?ticker=ZZZZQ')],
      406: [xml('/darkpool/revisions')],
    },
    'GET /darkpool/weeks': { 200: [get('/darkpool/weeks')], 406: [xml('/darkpool/weeks')] },
    'GET /darkpool/daily/{ticker}': {
      200: [get('/darkpool/daily/TQQQ'), csv('/darkpool/daily/tqqq?days=1')],
      400: [get('/darkpool/daily/TQQQ?days=0')],
      404: [get('/darkpool/daily/ZZZZQ')],
      406: [xml('/darkpool/daily/TQQQ')],
    },
    'GET /darkpool/estimate/accuracy': {
      200: [get('/darkpool/estimate/accuracy')],
      400: [get('/darkpool/estimate/accuracy?weeks=1.5')],
      406: [xml('/darkpool/estimate/accuracy')],
    },
    'GET /darkpool/estimate/{ticker}': {
      200: [get('/darkpool/estimate/TQQQ')],
      400: [get('/darkpool/estimate/A$B')],
      404: [get('/darkpool/estimate/ZZZZQ')],
      406: [xml('/darkpool/estimate/TQQQ')],
    },
    'POST /ticks/analyze': {
      200: [{ method: 'POST', url: '/ticks/analyze', payload: TRADES, headers: { 'content-type': 'text/csv' } }],
      400: [{ method: 'POST', url: '/ticks/analyze?interval=1e1', payload: TRADES, headers: { 'content-type': 'text/csv' } }],
      413: [
        {
          method: 'POST',
          url: '/ticks/analyze',
          payload: Buffer.alloc(2 * 1024 * 1024 + 1, 'a'),
          headers: { 'content-type': 'text/csv' },
        },
      ],
      415: [{ method: 'POST', url: '/ticks/analyze', payload: '{}', headers: { 'content-type': 'application/json' } }],
    },
    'GET /livez': { 200: [get('/livez')] },
    'GET /readyz': { 200: [get('/readyz')] },
    'GET /health': { 200: [get('/health')] },
    'GET /problems/{code}': { 200: [get('/problems/ticker_not_found')], 404: [get('/problems/no_such_code')] },
    'GET /': { 200: [get('/'), get('/', { accept: 'text/html' })] },
    'GET /openapi.json': { 200: [get('/openapi.json')] },
  };
}

/**
 * The answer's status is documented for the operation, and so is its media type; a JSON body fits
 * the schema; every header the document lists for that status is there (the rate-limit ones only
 * where a limit is configured).
 */
function conformity(
  id: string,
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
  { rateLimited = false, empty = false } = {},
): string[] {
  const op = operations.find((o) => o.id === id);
  if (!op) return [`${id} is not in the document`];
  const documented = op.op.responses[String(res.statusCode)];
  if (!documented)
    return [`${id} answered ${res.statusCode}, which the document does not list (${Object.keys(op.op.responses).join(', ')})`];
  const missing = Object.keys(documented.headers ?? {}).filter(
    (name) =>
      (rateLimited || !name.startsWith('RateLimit-')) &&
      !(empty && name === 'Last-Modified') && // no data, no date it last changed
      res.headers[name.toLowerCase()] === undefined,
  );
  if (missing.length) return [`${id} ${res.statusCode} lacks the documented header(s) ${missing.join(', ')}`];
  const type = String(res.headers['content-type'] ?? '').split(';')[0]!;
  const content = documented.content ?? {};
  if (res.statusCode === 304) return [];
  if (!(type in content)) return [`${id} ${res.statusCode} answered ${type}; documented: ${Object.keys(content).join(', ')}`];
  if (type !== 'application/json' && type !== 'application/problem+json') return [];
  const check = ajv.compile({
    $ref: `openapi#/${pointer('paths', op.path, op.method, 'responses', String(res.statusCode), 'content', type, 'schema')}`,
  });
  return check(JSON.parse(res.body)) ? [] : (check.errors ?? []).map((e) => `${id} ${res.statusCode}: ${e.instancePath} ${e.message}`);
}

describe('the OpenAPI document as a contract', () => {
  let store: Store;
  let app: FastifyInstance;
  let mpid: string;

  beforeAll(async () => {
    store = await seededStore();
    // Two of FINRA's real daily files (fixtures/finra/regsho), for the daily and estimate routes.
    const days = ['CNMSshvol20211201.txt.gz', 'CNMSshvol20211202.txt.gz'].map((f) => `fixtures/finra/regsho/${f}`);
    await importDailyFiles(
      dailyContext(store, () => new Date('2026-01-05T12:00:00Z')),
      days,
    );
    app = await buildApp(OPEN_APP_CONFIG, { store, logger: silentLogger, ticksMaxBytes: 2 * 1024 * 1024 });
    await app.ready();
    mpid = ((await app.inject({ url: '/darkpool/venues' })).json() as { data: { mpid: string }[] }).data[0]!.mpid;
  });
  afterAll(async () => {
    await app.close();
    store.close();
    removeTempDirs();
  });

  it('calls every operation the document lists, and answers each as documented', async () => {
    const plan = calls(mpid);
    expect(Object.keys(plan).sort()).toEqual(operations.map((o) => o.id).sort());
    const problems: string[] = [];
    for (const [id, byStatus] of Object.entries(plan)) {
      for (const [status, requests] of Object.entries(byStatus)) {
        for (const request of requests ?? []) {
          const res = await app.inject(request);
          if (res.statusCode !== Number(status))
            problems.push(`${id} ${request.url}: expected ${status}, got ${res.statusCode} ${res.body.slice(0, 200)}`);
          problems.push(...conformity(id, res));
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('answers a matching validator 304 wherever it sends an ETag, and documents it there', async () => {
    const problems: string[] = [];
    for (const [id, byStatus] of Object.entries(calls(mpid))) {
      const first = byStatus[200]?.[0];
      if (!first || first.method !== 'GET') continue;
      const fresh = await app.inject(first);
      const etag = fresh.headers.etag;
      const documents304 = Boolean(operations.find((o) => o.id === id)!.op.responses['304']);
      if (typeof etag !== 'string') {
        if (documents304) problems.push(`${id}: documents a 304 but sends no ETag`);
        continue;
      }
      const again = await app.inject({ ...first, headers: { ...(first.headers as object), 'if-none-match': etag } });
      if (again.statusCode !== 304) problems.push(`${id}: If-None-Match answered ${again.statusCode}`);
      if (again.body !== '') problems.push(`${id}: a 304 with a body`);
      if (again.headers.etag !== etag) problems.push(`${id}: a 304 without the ETag`);
      problems.push(...conformity(id, again));
    }
    expect(problems).toEqual([]);
  });

  it('answers 401 without a key, 429 past the limit and 503 on an empty store, as documented', async () => {
    const empty = openStore(tempDbPath(), SectorTable.load());
    // One key per operation, one request a key per window: each operation's first call answers, its second is a 429.
    const keys = operations.map((_, i) => `contract-${String(i).padStart(2, '0')}-key-0123456789abcdef`);
    const guarded = await buildApp(
      { ...OPEN_APP_CONFIG, RATE_LIMIT_MAX: 1 },
      { store: empty, logger: silentLogger, apiKeys: ApiKeys.fromConfig(keys, undefined) },
    );
    await guarded.ready();
    const problems: string[] = [];
    let keyNumber = 0;
    for (const [id, byStatus] of Object.entries(calls(mpid))) {
      const first = byStatus[200]?.[0] ?? byStatus[404]?.[0];
      if (!first || !first.url.startsWith('/darkpool/')) continue;
      const documented = operations.find((o) => o.id === id)!.op.responses;
      // Each from an address of its own: calls without a key are counted per address.
      const unauthorized = await guarded.inject({ ...first, remoteAddress: `10.0.0.${keyNumber + 1}` });
      problems.push(...conformity(id, unauthorized, { rateLimited: true }));
      if (unauthorized.statusCode !== 401) problems.push(`${id}: without a key answered ${unauthorized.statusCode}`);
      const withKey = { ...first, headers: { ...(first.headers as object), 'x-api-key': keys[keyNumber++]! } };
      const answered = await guarded.inject(withKey);
      problems.push(...conformity(id, answered, { rateLimited: true, empty: true }));
      // 503 where there is no data yet; the feed and the revisions answer an empty list instead.
      if (documented['503'] && answered.statusCode !== 503) problems.push(`${id}: on an empty store answered ${answered.statusCode}`);
      const limited = await guarded.inject(withKey);
      if (limited.statusCode !== 429) problems.push(`${id}: past the limit answered ${limited.statusCode}`);
      problems.push(...conformity(id, limited, { rateLimited: true }));
    }
    await guarded.close();
    empty.close();
    expect(problems).toEqual([]);
  });

  it('answers 405 to a method the path does not take, 414 to an over-long path segment and 500 when the store fails, as documented', async () => {
    const problems: string[] = [];
    const broken = await seededStore();
    const failing = await buildApp(OPEN_APP_CONFIG, { store: broken, logger: silentLogger });
    await failing.ready();
    broken.db.close(); // every query now throws: what a disk or file failure looks like to a route
    for (const [id, byStatus] of Object.entries(calls(mpid))) {
      const first = (byStatus[200] ?? byStatus[404] ?? byStatus[400])![0]!;
      const wrongMethod = await app.inject({ ...first, method: first.method === 'POST' ? 'PUT' : 'DELETE', payload: undefined });
      if (wrongMethod.statusCode !== 405) problems.push(`${id}: a wrong method answered ${wrongMethod.statusCode}`);
      problems.push(...conformity(id, wrongMethod));
      if (operations.find((o) => o.id === id)!.path.includes('{')) {
        const long = first.url.replace(/^(\/[^/]+\/(?:[^/]+\/)?)[^/?]+/, (_m, prefix: string) => `${prefix}${'A'.repeat(201)}`);
        const tooLong = await app.inject({ ...first, url: long });
        if (tooLong.statusCode !== 414) problems.push(`${id}: ${long.slice(0, 60)}... answered ${tooLong.statusCode}`);
        problems.push(...conformity(id, tooLong));
      }
      if (first.url.startsWith('/darkpool/') && !id.endsWith('feed.atom')) {
        const failed = await failing.inject(first);
        if (failed.statusCode !== 500) problems.push(`${id}: with the store failing answered ${failed.statusCode}`);
        problems.push(...conformity(id, failed));
      }
    }
    await failing.close();
    removeTempDirs();
    expect(problems).toEqual([]);
  });

  it('gives every operation answering JSON an example from the demo, and each fits its schema', () => {
    const problems: string[] = [];
    for (const { id, path, method, op } of operations) {
      const json = op.responses['200']?.content?.['application/json'] as { example?: unknown } | undefined;
      if (!json || id === 'GET /openapi.json') continue; // its example would be the document itself
      if (json.example === undefined) {
        problems.push(`${id}: no example (npm run openapi:examples)`);
        continue;
      }
      const check = ajv.compile({
        $ref: `openapi#/${pointer('paths', path, method, 'responses', '200', 'content', 'application/json', 'schema')}`,
      });
      if (!check(json.example)) problems.push(...(check.errors ?? []).map((e) => `${id} example: ${e.instancePath} ${e.message}`));
    }
    expect(problems).toEqual([]);
  });
});
