// The key boundary held against every spelling an attacker would try: each protected route (every
// /darkpool and /ticks path in the OpenAPI document) is asked over a raw socket, as the bytes arrive at
// Node, percent-encoded, in absolute form, with double slashes, dot segments, another case, a trailing
// slash or `;` parameters. With keys on and no key, no answer is a success; with the key, the
// canonical spelling is (so the test reaches the routes it claims to).
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyError, ApiKeys } from '../../src/api/api-keys.js';
import { buildApp, OPEN_APP_CONFIG } from '../../src/app.js';
import type { Store } from '../../src/store/store.js';
import { seededStore } from '../support/app.js';
import { cli, removeTempDirs, silentLogger, tempDbPath, tempDir } from '../support/harness.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const KEY = 'boundary-key-0123456789abcdef';
let store: Store;
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  store = await seededStore();
  app = await buildApp(
    { ...OPEN_APP_CONFIG, RATE_LIMIT_MAX: 1_000_000 },
    { store, logger: silentLogger, apiKeys: ApiKeys.fromConfig([KEY], undefined) },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app.close();
  store.close();
  removeTempDirs();
});

/** One request as raw bytes: the request target exactly as given, nothing normalized on our side. */
function raw(method: string, target: string, headers: Record<string, string> = {}, body = ''): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => (data += chunk));
    socket.on('error', reject);
    socket.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0), text: data }));
    const lines = [
      `${method} ${target} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      'Connection: close',
      ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    ];
    if (body) lines.push('Content-Type: text/csv', `Content-Length: ${Buffer.byteLength(body)}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  });
}

/** The protected paths, from the contract: every /darkpool and /ticks route, parameters filled in. */
function protectedRoutes(): { method: string; path: string }[] {
  const paths = (app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths;
  return Object.entries(paths)
    .filter(([path]) => path.startsWith('/darkpool') || path.startsWith('/ticks'))
    .flatMap(([path, ops]) => Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path: path.replace(/\{[^}]+\}/g, 'TQQQ') })));
}

const encodeChar = (c: string, upper = true) => `%${c.charCodeAt(0).toString(16)[upper ? 'toUpperCase' : 'toLowerCase']()}`;

/** Every spelling of a path an attacker would try. */
function spellings(path: string): string[] {
  const [, first = '', ...rest] = path.split('/');
  const tail = rest.join('/');
  const out = new Set<string>([path]);
  for (let i = 0; i < first.length; i++) {
    out.add(`/${first.slice(0, i)}${encodeChar(first[i]!)}${first.slice(i + 1)}/${tail}`);
    out.add(`/${first.slice(0, i)}${encodeChar(first[i]!, false)}${first.slice(i + 1)}/${tail}`);
  }
  out.add(`/${[...first].map((c) => encodeChar(c)).join('')}/${tail}`);
  out.add(`/${first}/${[...tail].map((c) => (/[a-z]/.test(c) ? encodeChar(c) : c)).join('')}`);
  out.add(`http://127.0.0.1:${port}${path}`);
  out.add(`http://evil.example${path}`);
  out.add(`//${first}/${tail}`);
  out.add(`/${first}//${tail}`);
  out.add(`/${first}/./${tail}`);
  out.add(`/x/../${first}/${tail}`);
  out.add(`/${first}/%2e/${tail}`);
  out.add(`/x/%2e%2e/${first}/${tail}`);
  out.add(`/${first.toUpperCase()}/${tail}`);
  out.add(`/${first[0]!.toUpperCase()}${first.slice(1)}/${tail}`);
  out.add(`${path}/`);
  out.add(`${path};x=1`);
  out.add(`/${first};x=1/${tail}`);
  out.add(`${path}?`);
  out.add(`${path}#frag`);
  return [...out];
}

describe('with keys on', () => {
  it('answers every protected route with data only to a caller with a key, whatever the spelling', async () => {
    const routes = protectedRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(12);
    const body = 'symbol,timestamp,price,size,exchange,conditions\nIBM,2013-10-11T13:30:00.000Z,184.5,100,D,@\n';
    let tried = 0;
    for (const { method, path } of routes) {
      const payload = method === 'POST' ? body : '';
      const withKey = await raw(method, path, { 'x-api-key': KEY }, payload);
      expect(withKey.status, `${method} ${path} with the key`).not.toBe(401);
      for (const target of spellings(path)) {
        const res = await raw(method, target, {}, payload);
        tried++;
        expect(res.status, `${method} ${target} without a key answered ${res.status}`).not.toBeLessThan(400);
      }
    }
    expect(tried).toBeGreaterThan(300);
  });

  it('lets a keyed caller through the encoded and absolute spellings: they reach the very route, and it still asks for the key', async () => {
    for (const target of [
      '/%64arkpool/weekly/TQQQ',
      '/d%61rkpool/movers/top20',
      `http://127.0.0.1:${port}/darkpool/sectors`,
      '/darkpool/weeks/',
    ]) {
      const open = await raw('GET', target, {});
      expect(open.status, target).toBe(401);
      const keyed = await raw('GET', target, { authorization: `Bearer ${KEY}` });
      expect(keyed.status, target).toBe(200);
    }
  });

  it('keeps the pages, docs, contract, problem types and probes open', async () => {
    for (const target of ['/', '/docs/', '/openapi.json', '/problems/unauthorized', '/livez', '/health']) {
      expect((await raw('GET', target)).status, target).toBe(200);
    }
  });

  it('answers an unknown path alike to everyone without a key: nobody maps the API anonymously', async () => {
    expect((await raw('GET', '/darkpool/nope')).status).toBe(401);
    expect((await raw('GET', '/darkpool/nope', { 'x-api-key': KEY })).status).toBe(404);
  });
});

describe('rate limits protect the API, not the page', () => {
  it('never counts the dashboard, docs, contract, problem types or probes; the dashboard loads after the limit is spent', async () => {
    const limited = await buildApp({ ...OPEN_APP_CONFIG, RATE_LIMIT_MAX: 2 }, { store, logger: silentLogger });
    await limited.ready();
    try {
      for (let i = 0; i < 3; i++) {
        for (const url of ['/', '/docs/', '/openapi.json', '/problems/rate_limited', '/livez', '/readyz', '/health']) {
          const res = await limited.inject({ url });
          expect(res.statusCode, url).toBe(200);
          expect(res.headers['ratelimit-limit'], url).toBeUndefined();
        }
      }
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push((await limited.inject({ url: '/darkpool/sectors' })).statusCode);
      expect(answers).toEqual([200, 200, 429]);
      expect((await limited.inject({ url: '/', headers: { accept: 'text/html' } })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe('fail closed', () => {
  it('refuses keys asked for but none usable: API_KEYS of separators only, or a keys file of comments', () => {
    expect(() => ApiKeys.fromConfig([], undefined)).toThrow(ApiKeyError);
    const file = join(tempDir(), 'keys');
    writeFileSync(file, '# no keys yet\n\n');
    expect(() => ApiKeys.fromConfig(undefined, file)).toThrow(/API_KEYS_FILE .* holding no usable key/);
    expect(ApiKeys.fromConfig(undefined, undefined)).toBeNull();
  });

  it('fails on a store it cannot open with one line naming the path and the cause, no stack', async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'not a folder');
    const under = join(file, 'darkpool.db');
    for (const [command, dbPath, said] of [
      ['serve', under, new RegExp(`cannot open the store at ${under}: (SQLITE_CANTOPEN|ENOTDIR)`)],
      ['status', under, new RegExp(`no store at ${under} \\(DB_PATH\\)`)],
      ['serve', file, new RegExp(`cannot open the store at ${file}: SQLITE_NOTADB: file is not a database`)],
      ['status', file, new RegExp(`cannot open the store at ${file}: SQLITE_NOTADB: file is not a database`)],
    ] as const) {
      const run = await cli([command], { DB_PATH: dbPath, PORT: '0', INGEST_CRON: 'off' });
      expect(run.code, command).toBe(1);
      expect(run.stderr.trim().split('\n'), command).toHaveLength(1);
      expect(run.stderr, `${command} ${dbPath}`).toMatch(said);
    }
  });

  it('stops `serve` with exit 78, naming the variable, before anything listens', async () => {
    const run = await cli(['serve'], { API_KEYS: ' , ', DB_PATH: tempDbPath(), PORT: '0', INGEST_CRON: 'off' });
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/API_KEYS set but holding no usable key/);
  });
});

describe('conditional requests', () => {
  // Without the answer cache the handler decides; with it, an answer remembered for the revision does.
  for (const cacheMb of [0, 256]) {
    it(`answer 304 only where the answer would have been 200 (answer cache ${cacheMb} MB): a bad parameter stays 400, an unknown ticker or week 404`, async () => {
      const open = await buildApp({ ...OPEN_APP_CONFIG, ANSWER_CACHE_MB: cacheMb }, { store, logger: silentLogger });
      await open.ready();
      try {
        const first = await open.inject({ url: '/darkpool/weekly/TQQQ' });
        expect(first.statusCode).toBe(200);
        const etag = first.headers.etag as string;
        for (const headers of [
          { 'if-none-match': etag },
          { 'if-none-match': '*' },
          { 'if-modified-since': first.headers['last-modified'] as string },
        ]) {
          const again = await open.inject({ url: '/darkpool/weekly/TQQQ', headers });
          expect(again.statusCode).toBe(304);
          expect(again.body).toBe('');
          expect(again.headers.etag).toBe(etag);
          expect((await open.inject({ url: '/darkpool/history/TQQQ?weeks=0', headers })).statusCode).toBe(400);
          expect((await open.inject({ url: '/darkpool/weekly/NOPEZ', headers })).statusCode).toBe(404);
          expect((await open.inject({ url: '/darkpool/movers/top20?week=2019-01-07', headers })).statusCode).toBe(404);
        }
      } finally {
        await open.close();
      }
    });
  }
});

describe('every error is a problem', () => {
  const problemOf = (text: string) => {
    const [head, body = ''] = text.split('\r\n\r\n');
    return { head: head!, json: JSON.parse(body) as Record<string, unknown> };
  };

  it('answers TRACE and a POST with a body to a data route 405 with Allow, before reading any body', async () => {
    const trace = await raw('TRACE', '/darkpool/sectors', { 'x-api-key': KEY });
    expect(trace.status).toBe(405);
    expect(problemOf(trace.text).json).toMatchObject({ code: 'method_not_allowed', request_id: expect.any(String) });
    const post = await raw('POST', '/darkpool/sectors', { 'x-api-key': KEY }, 'a,b\n1,2\n');
    expect(post.status).toBe(405);
    expect(post.text).toMatch(/\r\nallow: GET, HEAD, OPTIONS\r\n/i);
    expect(problemOf(post.text).json).toMatchObject({ code: 'method_not_allowed' });
  });

  it('lets a CORS preflight advertise only the methods of the route it asks about', async () => {
    const preflight = (url: string) =>
      app.inject({ method: 'OPTIONS', url, headers: { origin: 'https://example.org', 'access-control-request-method': 'GET' } });
    expect((await preflight('/darkpool/weekly/TQQQ')).headers['access-control-allow-methods']).toBe('GET, HEAD, OPTIONS');
    expect((await preflight('/ticks/analyze?interval=60')).headers['access-control-allow-methods']).toBe('POST, OPTIONS');
    const del = await raw('DELETE', '/ticks/analyze', { 'x-api-key': KEY });
    expect(del.status).toBe(405);
    expect(del.text).toMatch(/\r\nallow: POST, OPTIONS\r\n/i);
  });

  it('answers what Node refuses before routing (a bad header, headers too large) as problems with a request id', async () => {
    const bad = await raw('GET', '/darkpool/sectors', { 'X-Bad\u0001Header': 'x' });
    expect(bad.status).toBe(400);
    expect(bad.text).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/);
    expect(problemOf(bad.text).json).toMatchObject({
      code: 'bad_request',
      status: 400,
      request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const big = await raw('GET', '/darkpool/sectors', { 'X-Big': 'x'.repeat(20_000) });
    expect(big.status).toBe(431);
    expect(problemOf(big.text).json).toMatchObject({ code: 'headers_too_large', status: 431 });
  });

  it('answers a chunked upload past the limit 413 as a problem, not a cut connection', async () => {
    const limited = await buildApp(OPEN_APP_CONFIG, { store, logger: silentLogger, ticksMaxBytes: 1024 });
    await limited.listen({ port: 0, host: '127.0.0.1' });
    const limitedPort = (limited.server.address() as { port: number }).port;
    try {
      const res = await new Promise<string>((resolve, reject) => {
        const socket = connect(limitedPort, '127.0.0.1');
        let data = '';
        socket.setEncoding('latin1');
        socket.on('data', (c) => (data += c));
        socket.on('error', reject);
        socket.on('close', () => resolve(data));
        socket.write(
          `POST /ticks/analyze HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
        );
        const chunk = 'symbol,timestamp,price,size,exchange,conditions\n'.padEnd(900, '#');
        for (let i = 0; i < 4; i++) socket.write(`${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`);
        socket.write('0\r\n\r\n');
      });
      expect(res).toMatch(/^HTTP\/1\.1 413 /);
      expect(problemOf(res).json).toMatchObject({ code: 'payload_too_large' });
    } finally {
      await limited.close();
    }
  });
});
