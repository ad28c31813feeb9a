// Compression as clients negotiate it: brotli or gzip over 1 KiB, the same bytes once decoded, the
// remembered answer compressed afresh for each caller (never twice), and validators that still work.
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, OPEN_APP_CONFIG } from '../../src/app.js';
import type { Store } from '../../src/store/store.js';
import { seededStore } from '../support/app.js';
import { removeTempDirs, silentLogger } from '../support/harness.js';

let store: Store;
let app: FastifyInstance;

beforeAll(async () => {
  store = await seededStore();
  app = await buildApp(OPEN_APP_CONFIG, { store, logger: silentLogger });
  await app.ready();
});
afterAll(async () => {
  await app.close();
  store.close();
  removeTempDirs();
});

const decode = (encoding: string | undefined, body: Buffer) =>
  (encoding === 'br' ? brotliDecompressSync(body) : encoding === 'gzip' ? gunzipSync(body) : body).toString('utf8');

describe('compression', () => {
  it('answers JSON and CSV in brotli or gzip as asked, the same bytes once decoded', async () => {
    for (const url of ['/darkpool/venues?tier=OTCE', '/darkpool/movers/top20?format=csv', '/darkpool/history/AABB?weeks=2']) {
      const plain = await app.inject({ url });
      expect(plain.headers['content-encoding'], url).toBeUndefined();
      expect(plain.rawPayload.length, url).toBeGreaterThan(1024);
      for (const encoding of ['br', 'gzip']) {
        // Twice: the second answer comes from the answer kept for the revision, compressed for this caller.
        for (let i = 0; i < 2; i++) {
          const res = await app.inject({ url, headers: { 'accept-encoding': encoding } });
          expect(res.headers['content-encoding'], `${url} ${encoding}`).toBe(encoding);
          expect(res.rawPayload.length).toBeLessThan(plain.rawPayload.length);
          expect(decode(encoding, res.rawPayload), `${url} ${encoding} #${i}`).toBe(plain.body);
          expect(String(res.headers.vary)).toMatch(/accept-encoding/i);
        }
      }
      expect(decode('br', (await app.inject({ url, headers: { 'accept-encoding': 'gzip;q=0.5, br;q=1' } })).rawPayload)).toBe(plain.body);
    }
  });

  it('leaves small answers alone', async () => {
    const res = await app.inject({ url: '/livez', headers: { 'accept-encoding': 'br, gzip' } });
    expect(res.headers['content-encoding']).toBeUndefined();
  });

  it('gives a compressed answer a weak ETag that still answers 304', async () => {
    const url = '/darkpool/sectors';
    const plain = await app.inject({ url });
    const br = await app.inject({ url, headers: { 'accept-encoding': 'br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.etag).toBe(`W/${plain.headers.etag as string}`);
    const again = await app.inject({ url, headers: { 'accept-encoding': 'br', 'if-none-match': br.headers.etag as string } });
    expect(again.statusCode).toBe(304);
  });

  it('compresses the dashboard and its assets', async () => {
    const page = await app.inject({ url: '/', headers: { accept: 'text/html', 'accept-encoding': 'gzip' } });
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(decode(page.headers['content-encoding'] as string | undefined, page.rawPayload))?.[1];
    expect(script).toBeDefined();
    const asset = await app.inject({ url: script!, headers: { 'accept-encoding': 'br' } });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-encoding']).toBe('br');
  });
});
