import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiKeyError, ApiKeys } from '../../src/api/api-keys.js';
import { buildApp, OPEN_APP_CONFIG, type AppConfig } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import type { Store } from '../../src/store/store.js';
import { seededStore } from '../support/app.js';
import { captureLogs, removeTempDirs, silentLogger, tempDir } from '../support/harness.js';

const KEY_A = 'alpha-key-0123456789abcdef';
const KEY_B = 'bravo-key-0123456789abcdef';
let store: Store;

beforeAll(async () => {
  store = await seededStore();
});
afterAll(() => {
  store.close();
  removeTempDirs();
});

async function appWith(config: Partial<AppConfig>, keys: string[] | null, logger = silentLogger): Promise<FastifyInstance> {
  const app = await buildApp(
    { ...OPEN_APP_CONFIG, ...config },
    { store, logger, apiKeys: keys ? ApiKeys.fromConfig(keys, undefined) : null },
  );
  await app.ready();
  return app;
}

describe('API keys', () => {
  it('with none configured, the API is open and the log says so', async () => {
    const logs = captureLogs();
    const app = await appWith({}, null, logs.logger);
    expect((await app.inject({ url: '/darkpool/weekly/TQQQ' })).statusCode).toBe(200);
    expect(logs.lines.some((l) => l.msg === 'the API is open: no API_KEYS configured, /darkpool answers everyone')).toBe(true);
    await app.close();
  });

  it('with keys, /darkpool needs one (Bearer or X-API-Key); a missing or wrong key is a 401 problem', async () => {
    const app = await appWith({}, [KEY_A, KEY_B]);
    const missing = await app.inject({ url: '/darkpool/weekly/TQQQ' });
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="darkpool-radar"');
    expect(missing.json()).toMatchObject({ code: 'unauthorized', status: 401, detail: expect.stringMatching(/requires an API key/) });

    const wrong = await app.inject({ url: '/darkpool/weekly/TQQQ', headers: { authorization: `Bearer ${KEY_A}x` } });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().detail).toBe('The API key is not valid.');
    expect((await app.inject({ url: '/darkpool/weekly/TQQQ', headers: { authorization: `Basic ${KEY_A}` } })).statusCode).toBe(401);

    expect((await app.inject({ url: '/darkpool/weekly/TQQQ', headers: { authorization: `Bearer ${KEY_A}` } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/darkpool/sectors', headers: { 'x-api-key': KEY_B } })).statusCode).toBe(200);
    expect((await app.inject({ url: '/darkpool/nope', headers: { 'x-api-key': KEY_B } })).statusCode).toBe(404);
    expect((await app.inject({ url: '/darkpool/nope' })).statusCode).toBe(401); // no probing of paths without a key

    for (const url of ['/livez', '/readyz', '/health', '/docs', '/openapi.json', '/problems/unauthorized']) {
      expect((await app.inject({ url })).statusCode, url).toBeLessThan(400);
    }
    await app.close();
  });

  it('keeps keys only as hashes, also from a keys file with sha256 entries, and refuses short keys', () => {
    const file = join(tempDir(), 'keys');
    writeFileSync(file, `# our customers\n${KEY_A}\nsha256:${createHash('sha256').update(KEY_B).digest('hex')}  # bravo\n\n`);
    const keys = ApiKeys.fromConfig(undefined, file)!;
    expect(keys.size).toBe(2);
    expect(keys.identify(KEY_A)).toMatch(/^[0-9a-f]{12}$/);
    expect(keys.identify(KEY_B)).toBe(createHash('sha256').update(KEY_B).digest('hex').slice(0, 12));
    expect(keys.identify('nope')).toBeNull();
    expect(JSON.stringify(keys)).not.toContain(KEY_A);
    expect(() => ApiKeys.fromConfig(['short'], undefined)).toThrow(ApiKeyError);
    expect(() => ApiKeys.fromConfig(undefined, '/nonexistent/keys')).toThrow(/API_KEYS_FILE: cannot read/);
  });

  it('never writes a key into the logs', async () => {
    const logs = captureLogs('trace');
    const app = await appWith({ ACCESS_LOG: true }, [KEY_A], logs.logger);
    await app.inject({ url: '/darkpool/weekly/TQQQ', headers: { authorization: `Bearer ${KEY_A}`, 'x-api-key': KEY_A } });
    await app.inject({ url: '/darkpool/weekly/TQQQ', headers: { authorization: `Bearer ${KEY_A}zz` } });
    expect(logs.lines.length).toBeGreaterThan(2);
    expect(JSON.stringify(logs.lines)).not.toContain(KEY_A.slice(0, 12));
    await app.close();
  });
});

describe('request loggers', () => {
  it("write a request's lines with its id, and are made only for a request that writes one", async () => {
    const lines: Record<string, unknown>[] = [];
    const app = await appWith({}, null, createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) }));
    const child = vi.spyOn(app.log, 'child');
    for (let i = 0; i < 3; i++) expect((await app.inject({ url: '/darkpool/weekly/TQQQ' })).statusCode).toBe(200);
    expect(child).not.toHaveBeenCalled();
    const refused = await app.inject({
      method: 'POST',
      url: '/ticks/analyze',
      headers: { 'content-type': 'application/x-unknown', 'x-request-id': 'caller-chosen-id-2' },
      payload: 'x',
    });
    expect(refused.statusCode).toBe(415);
    expect(lines).toContainEqual(expect.objectContaining({ level: 30, msg: 'client error', status: 415, reqId: 'caller-chosen-id-2' }));
    expect(child).toHaveBeenCalledTimes(1);
    await app.close();
  });
});

describe('the access log', () => {
  it('is off by default: no line per request at info', async () => {
    const lines: Record<string, unknown>[] = [];
    const app = await appWith({}, [KEY_A], createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) }));
    const before = lines.length;
    await app.inject({ url: '/darkpool/weekly/TQQQ', headers: { 'x-api-key': KEY_A } });
    await app.inject({ url: '/darkpool/nope', headers: { 'x-api-key': KEY_A } });
    expect(lines.slice(before)).toEqual([]);
    await app.close();
  });

  it('with ACCESS_LOG, writes one line per request with its id, method, URL, address, status and time, and redacts every other line as before', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line)) });
    const app = await appWith({ ACCESS_LOG: true }, [KEY_A], logger);
    const asks: InjectOptions[] = [
      { url: '/darkpool/weekly/TQQQ', headers: { authorization: `Bearer ${KEY_A}` } },
      { url: '/darkpool/weekly/TQQQ?format=csv', headers: { 'x-api-key': KEY_A, 'x-request-id': 'caller-chosen-id-1' } },
      { url: '/darkpool/weekly/TQQQ' },
      { url: '/darkpool/nope', headers: { 'x-api-key': KEY_A } },
      { url: '/livez', method: 'HEAD' },
    ];
    const answers: Awaited<ReturnType<FastifyInstance['inject']>>[] = [];
    for (const ask of asks) answers.push(await app.inject(ask));
    const access = lines.filter((l) => l.msg === 'request completed');
    expect(access).toHaveLength(asks.length);
    expect(lines.filter((l) => l.msg === 'incoming request')).toEqual([]);
    access.forEach((line, i) => {
      expect(line).toMatchObject({
        level: 30,
        reqId: answers[i]!.headers['x-request-id'],
        req: { method: asks[i]!.method ?? 'GET', url: asks[i]!.url, remoteAddress: '127.0.0.1' },
        res: { statusCode: answers[i]!.statusCode },
        responseTime: expect.any(Number),
      });
    });
    expect(access.map((l) => (l.res as { statusCode: number }).statusCode)).toEqual([200, 406, 401, 404, 200]);
    expect(access[1]!.reqId).toBe('caller-chosen-id-1');
    expect(JSON.stringify(lines)).not.toContain(KEY_A.slice(0, 12));
    logger.info({ headers: { authorization: `Bearer ${KEY_A}` }, token: { access_token: KEY_A } }, 'any other line');
    expect(lines.at(-1)).toMatchObject({ headers: { authorization: '[redacted]' }, token: { access_token: '[redacted]' } });
    await app.close();
  });
});

describe('rate limits', () => {
  it('counts per key: exhaustion is a 429 problem with Retry-After and RateLimit headers; then it recovers', async () => {
    const app = await appWith({ RATE_LIMIT_MAX: 3, RATE_LIMIT_WINDOW: '1 second' }, [KEY_A, KEY_B]);
    const call = (key: string) => app.inject({ url: '/darkpool/movers/top20', headers: { 'x-api-key': key } });
    const first = await call(KEY_A);
    expect(first.headers['ratelimit-limit']).toBe('3');
    expect(first.headers['ratelimit-remaining']).toBe('2');
    await call(KEY_A);
    await call(KEY_A);
    const limited = await call(KEY_A);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.json()).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    expect((await call(KEY_B)).statusCode).toBe(200); // another key has its own budget
    expect((await app.inject({ url: '/livez' })).statusCode).toBe(200); // probes are never limited
    await new Promise((r) => setTimeout(r, 1100));
    expect((await call(KEY_A)).statusCode).toBe(200);
    await app.close();
  });

  it('counts wrong keys per address, so keys cannot be guessed at speed', async () => {
    const app = await appWith({ RATE_LIMIT_MAX: 3, RATE_LIMIT_WINDOW: '1 minute' }, [KEY_A]);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await app.inject({ url: '/darkpool/sectors', headers: { 'x-api-key': `guess-${i}-0123456789ab` } })).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    await app.close();
  });

  it('with the server open, counts per address', async () => {
    const app = await appWith({ RATE_LIMIT_MAX: 2, RATE_LIMIT_WINDOW: '1 minute' }, null);
    const from = (ip: string) => app.inject({ url: '/darkpool/sectors', remoteAddress: ip });
    expect([(await from('10.0.0.1')).statusCode, (await from('10.0.0.1')).statusCode, (await from('10.0.0.1')).statusCode]).toEqual([
      200, 200, 429,
    ]);
    expect((await from('10.0.0.2')).statusCode).toBe(200);
    await app.close();
  });
});

describe('hardening', () => {
  it('answers a CORS preflight: GET from any origin by default, without credentials', async () => {
    const app = await appWith({}, [KEY_A]);
    const res = await app.inject({
      method: 'OPTIONS',
      url: '/darkpool/weekly/TQQQ',
      headers: { origin: 'https://example.org', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']).toBe('GET, HEAD, OPTIONS'); // the route's own methods
    expect(String(res.headers['access-control-allow-headers'])).toMatch(/Authorization/);
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    const get = await app.inject({ url: '/darkpool/sectors', headers: { origin: 'https://example.org', 'x-api-key': KEY_A } });
    expect(get.headers['access-control-allow-origin']).toBe('*');
    expect(String(get.headers['access-control-expose-headers'])).toMatch(/ETag/);
    await app.close();
  });

  it('allows only the configured origins when CORS_ORIGINS is set', async () => {
    const app = await appWith({ CORS_ORIGINS: ['https://dash.example.com'] }, null);
    const ok = await app.inject({ url: '/darkpool/sectors', headers: { origin: 'https://dash.example.com' } });
    expect(ok.headers['access-control-allow-origin']).toBe('https://dash.example.com');
    const other = await app.inject({ url: '/darkpool/sectors', headers: { origin: 'https://evil.example.net' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    // A shared cache must keep one answer per origin (and per representation), not hand one origin's to another.
    expect(String(ok.headers.vary).split(/,\s*/)).toEqual(expect.arrayContaining(['Origin', 'Accept']));
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/darkpool/sectors',
      headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'GET' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    await app.close();
  });

  it('sends security headers, a request id in every answer, and keeps a sane caller id', async () => {
    const app = await appWith({}, null);
    const res = await app.inject({ url: '/darkpool/weekly/TQQQ' });
    // API answers: the headers that matter for a non-document.
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
    expect(res.headers['x-xss-protection']).toBeUndefined();
    // Pages (docs, dashboard): helmet's full set.
    const page = await app.inject({ url: '/docs/' });
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'.*script-src 'self'/);
    expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const traced = await app.inject({ url: '/darkpool/weekly/NOPEZ', headers: { 'x-request-id': 'client-trace.42' } });
    expect(traced.headers['x-request-id']).toBe('client-trace.42');
    expect(traced.json().request_id).toBe('client-trace.42');
    const hostile = await app.inject({ url: '/livez', headers: { 'x-request-id': '<script>alert(1)</script>' } });
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    await app.close();
  });

  it('sets its limits deliberately', async () => {
    const app = await appWith({}, null);
    expect(app.initialConfig).toMatchObject({
      bodyLimit: 65_536,
      connectionTimeout: 10_000,
      requestTimeout: 30_000,
      keepAliveTimeout: 65_000,
    });
    await app.close();
  });

  it('puts no stack trace, file path or SQL in any error answer', async () => {
    const app = await appWith({ RATE_LIMIT_MAX: 50, RATE_LIMIT_WINDOW: '1 minute' }, [KEY_A]);
    const key = { 'x-api-key': KEY_A };
    const broken = await seededStore();
    const brokenApp = await buildApp(OPEN_APP_CONFIG, { store: broken, logger: silentLogger });
    const smallUploads = await buildApp(OPEN_APP_CONFIG, { store, logger: silentLogger, ticksMaxBytes: 1024 });
    broken.db.close();
    const cases: [FastifyInstance, InjectOptions][] = [
      [app, { url: '/darkpool/weekly/a$b', headers: key }], // 400 ticker
      [app, { url: '/darkpool/history/TQQQ?weeks=x', headers: key }], // 400 parameter
      [app, { url: '/darkpool/weekly/TQQQ' }], // 401
      [app, { url: '/darkpool/weekly/NOPEZ', headers: key }], // 404 ticker
      [app, { url: '/nope/../../etc/passwd' }], // 404 route
      [app, { url: '/darkpool/weekly/TQQQ', method: 'DELETE', headers: key }], // 405
      [app, { url: '/darkpool/weekly/TQQQ', headers: { ...key, accept: 'image/png' } }], // 406
      [app, { url: '/darkpool/weekly/TQQQ', method: 'POST', headers: { ...key, 'content-type': 'application/json' }, payload: '{"a":' }], // 405, body unread
      [smallUploads, { url: '/ticks/analyze', method: 'POST', headers: { 'content-type': 'text/csv' }, payload: 'x'.repeat(70_000) }], // 413
      [app, { url: '/ticks/analyze', method: 'POST', headers: { ...key, 'content-type': 'application/x-weird' }, payload: 'x' }], // 415
      [app, { url: '/darkpool/movers/top20?week=2019-01-07', headers: key }], // 404 week
      [brokenApp, { url: '/darkpool/weekly/TQQQ' }], // 500
    ];
    const seen = new Set<number>();
    for (const [target, request] of cases) {
      const res = await target.inject(request);
      seen.add(res.statusCode);
      expect(res.statusCode, JSON.stringify(request)).toBeGreaterThanOrEqual(400);
      expect(res.headers['content-type'], JSON.stringify(request)).toMatch(/^application\/problem\+json/);
      const body = res.json();
      expect(Object.keys(body)).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']));
      expect(body.status).toBe(res.statusCode);
      expect(res.body, JSON.stringify(request)).not.toMatch(/\bat \S+ \(|\.ts:\d|\.js:\d|node_modules|SQLITE|SELECT |stack/i);
    }
    expect([...seen].sort()).toEqual([400, 401, 404, 405, 406, 413, 415, 500]);
    for (let i = 0; i < 60; i++) await app.inject({ url: '/darkpool/sectors', headers: key });
    const limited = await app.inject({ url: '/darkpool/sectors', headers: key });
    expect(limited.statusCode).toBe(429);
    expect(limited.body).not.toMatch(/stack|\.js:\d/);
    await app.close();
    await brokenApp.close();
    await smallUploads.close();
  });
});

describe('SQL', () => {
  it('is never built from strings: no statement text in src/ interpolates a value', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts')) files.push(path);
      }
    };
    walk('src');
    const offenders: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      // Every template literal handed to prepare() or exec().
      for (const m of text.matchAll(/\.(prepare|exec)(<[^>]*>)?\(\s*`([^`]*)`/g)) {
        if (m[3]!.includes('${')) offenders.push(`${file}: ${m[3]!.slice(0, 80)}`);
      }
      for (const m of text.matchAll(/\.(prepare|exec)(<[^>]*>)?\(\s*['"][^'"]*['"]\s*\+/g)) offenders.push(`${file}: ${m[0]}`);
    }
    expect(files.length).toBeGreaterThan(20);
    expect(offenders).toEqual([]);
  });
});
