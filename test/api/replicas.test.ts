// Rate limits across replicas: two apps (two processes' worth of state) share their counters in one
// Redis (RATE_LIMIT_REDIS_URL), so N replicas allow the limit once, not N times. Runs against a real
// redis-server on loopback (.ci/run installs it; without one the suite says so and skips this file).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, OPEN_APP_CONFIG, type AppConfig } from '../../src/app.js';
import type { Store } from '../../src/store/store.js';
import { seededStore } from '../support/app.js';
import { captureLogs, removeTempDirs, silentLogger } from '../support/harness.js';

const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
if (!REDIS_SERVER)
  console.warn('test/api/replicas.test.ts: no redis-server installed (apt-get install redis-server); shared rate limits not tested here');

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

async function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

let store: Store;
let redis: ChildProcess | null = null;
let url = '';

beforeAll(async () => {
  store = await seededStore();
  if (!REDIS_SERVER) return;
  const port = await freePort();
  redis = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await reachable(port)); i++) await new Promise((r) => setTimeout(r, 50));
  url = `redis://127.0.0.1:${port}`;
});
afterAll(() => {
  redis?.kill();
  store.close();
  removeTempDirs();
});

async function replicas(config: Partial<AppConfig>, logger = silentLogger): Promise<FastifyInstance[]> {
  const apps = [];
  for (let i = 0; i < 2; i++) {
    const app = await buildApp({ ...OPEN_APP_CONFIG, RATE_LIMIT_MAX: 3, RATE_LIMIT_WINDOW: '1 minute', ...config }, { store, logger });
    await app.ready();
    apps.push(app);
  }
  return apps;
}

/** Six requests from one address, alternating between the replicas. */
async function alternate(apps: FastifyInstance[]): Promise<number[]> {
  const statuses = [];
  for (let i = 0; i < 6; i++)
    statuses.push((await apps[i % 2]!.inject({ url: '/darkpool/sectors', remoteAddress: '203.0.113.7' })).statusCode);
  return statuses;
}

describe.runIf(REDIS_SERVER)('rate limits across replicas', () => {
  it('count once across replicas that share a Redis, and once per replica without one', async () => {
    const shared = await replicas({ RATE_LIMIT_REDIS_URL: url });
    try {
      expect(await alternate(shared)).toEqual([200, 200, 200, 429, 429, 429]);
    } finally {
      await Promise.all(shared.map((a) => a.close()));
    }
    const apart = await replicas({});
    try {
      expect(await alternate(apart)).toEqual([200, 200, 200, 200, 200, 200]);
    } finally {
      await Promise.all(apart.map((a) => a.close()));
    }
  });

  it('lets requests through uncounted, and says so, while the Redis cannot be reached', async () => {
    const logs = captureLogs();
    const down = await replicas({ RATE_LIMIT_REDIS_URL: `redis://127.0.0.1:${await freePort()}` }, logs.logger);
    try {
      await new Promise((r) => setTimeout(r, 300));
      expect(await alternate(down)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(logs.lines.some((l) => String(l.msg).startsWith('rate-limit Redis unreachable'))).toBe(true);
    } finally {
      await Promise.all(down.map((a) => a.close()));
    }
  });
});

describe('RATE_LIMIT_REDIS_URL', () => {
  it('takes redis:// and rediss:// URLs only, and never prints the URL (it may hold a password)', async () => {
    const { loadConfig } = await import('../../src/config.js');
    expect(loadConfig({ RATE_LIMIT_REDIS_URL: 'rediss://:secret@cache.internal:6380' }).RATE_LIMIT_REDIS_URL).toBe(
      'rediss://:secret@cache.internal:6380',
    );
    expect(() => loadConfig({ RATE_LIMIT_REDIS_URL: 'http://:secret@cache.internal' })).toThrow(
      /RATE_LIMIT_REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL \(got \[redacted\]\)/,
    );
  });
});
