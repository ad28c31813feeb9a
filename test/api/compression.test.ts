// Compression as clients negotiate it: brotli or gzip over 1 KiB, the same bytes once decoded, the
// remembered answer compressed once per way of asking and then sent as kept, and validators that
// still work.
import zlib, { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MAX_ENCODED } from '../../src/api/compression.js';
import { buildApp, OPEN_APP_CONFIG } from '../../src/app.js';
import type { Store } from '../../src/store/store.js';
import { seededStore } from '../support/app.js';
import { captureLogs, removeTempDirs } from '../support/harness.js';

let store: Store;
let app: FastifyInstance;
// Every way the plugin compresses, counted (and still done): spied before the app is built, since
// the plugin takes its one-go compressors when it registers.
const compressors = (['brotliCompressSync', 'gzipSync', 'createBrotliCompress', 'createGzip'] as const).map((name) => vi.spyOn(zlib, name));
const compressions = () => compressors.reduce((n, spy) => n + spy.mock.calls.length, 0);

/** `times` answers to `url` asked with this Accept-Encoding, and how many compressions each made. */
async function askCounting(url: string, acceptEncoding: string, times: number) {
  const answers = [];
  const made = [];
  for (let i = 0; i < times; i++) {
    const before = compressions();
    answers.push(await app.inject({ url, headers: { 'accept-encoding': acceptEncoding } }));
    made.push(compressions() - before);
  }
  return { answers, made };
}

beforeAll(async () => {
  store = await seededStore();
  const logs = captureLogs('info');
  app = await buildApp(OPEN_APP_CONFIG, { store, logger: logs.logger });
  await app.ready();
  // Every history kept in memory, as a start fills them in the background.
  await vi.waitFor(() => expect(logs.lines.some((line) => line.msg === 'histories kept in memory')).toBe(true));
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

  it('keeps an answer as compressed for each way of asking, and sends it as the plugin made it', async () => {
    // What clients send: fetch (undici), Python requests, curl --compressed, browsers; q-values, *, x-gzip.
    const spellings = [
      'gzip, deflate, br',
      'gzip, deflate',
      'deflate, gzip',
      'br;q=1.0, gzip;q=0.8, *;q=0.1',
      'x-gzip',
      '*',
      'identity',
      'br;q=0, gzip',
    ];
    // More ways than an answer keeps: those beyond are compressed afresh for each request.
    spellings.push(...Array.from({ length: MAX_ENCODED - spellings.length + 3 }, (_, i) => `gzip;q=0.${i + 1}`));
    // The week file is larger than any core count's limit for compressing in one go: the plugin streams it.
    const urls = ['/darkpool/sectors', '/darkpool/movers/top20', '/darkpool/weeks/2025-11-10/symbols?tier=OTCE'];
    for (const url of urls) {
      const plain = await app.inject({ url });
      expect(plain.statusCode, url).toBe(200);
      let compressed = 0;
      for (const header of spellings) {
        // The plain answer is kept: the first compressed answer is made from it by the plugin and kept,
        // the next ones are sent as kept.
        const { answers, made } = await askCounting(url, header, 3);
        const [first, second, third] = answers;
        const kept = first!.headers['content-encoding'] ? ++compressed <= MAX_ENCODED : null;
        expect(made, `${url} ${header}`).toEqual(kept === null ? [0, 0, 0] : kept ? [1, 0, 0] : [1, 1, 1]);
        for (const res of answers) {
          const encoding = res.headers['content-encoding'] as string | undefined;
          expect(encoding, `${url} ${header}`).toBe(first!.headers['content-encoding']);
          expect([res.headers.vary, res.headers.etag, res.headers['content-type']]).toEqual([
            first!.headers.vary,
            first!.headers.etag,
            first!.headers['content-type'],
          ]);
          expect(decode(encoding, res.rawPayload), `${url} ${header}`).toBe(plain.body);
        }
        expect(second!.rawPayload.equals(first!.rawPayload) && third!.rawPayload.equals(first!.rawPayload), `${url} ${header}`).toBe(true);
      }
      expect(compressed, url).toBeGreaterThan(MAX_ENCODED);
      expect(plain.rawPayload.length > 65_536).toBe(url.includes('/weeks/'));
      // The plugin's opt-out still holds for an answer kept compressed.
      const optOut = await app.inject({ url, headers: { 'accept-encoding': 'gzip, deflate, br', 'x-no-compression': '1' } });
      expect([optOut.headers['content-encoding'], optOut.body]).toEqual([undefined, plain.body]);
      const head = await app.inject({ method: 'HEAD', url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
      expect([head.statusCode, head.headers['content-encoding'], head.body]).toEqual([200, 'br', '']);
    }
  });

  it("keeps a 52-week history's compressed form beside the history kept in memory", async () => {
    const tickers = ((await app.inject('/darkpool/movers/top20')).json() as { data: { ticker: string }[] }).data.map((m) => m.ticker);
    const header = 'gzip, deflate, br';
    for (const ticker of tickers.slice(0, 5)) {
      for (const weeks of [52, 4]) {
        const url = `/darkpool/history/${ticker}?weeks=${weeks}`;
        const { answers, made } = await askCounting(url, header, 2);
        // Asked a second time, the answer goes to the answer cache: uncompressed, whoever asked.
        const plain = await app.inject({ url });
        expect(plain.rawPayload.length, url).toBeGreaterThan(1024);
        expect(plain.headers['content-encoding'], url).toBeUndefined();
        // Only the 52-week answer is kept whole; a shorter one is joined per request, and compressed per request.
        expect(made, url).toEqual(weeks === 52 ? [1, 0] : [1, 1]);
        for (const res of answers) {
          expect([res.headers['content-encoding'], res.headers.vary, res.headers.etag]).toEqual([
            'br',
            'Accept, accept-encoding',
            `W/${plain.headers.etag as string}`,
          ]);
          expect(decode('br', res.rawPayload), url).toBe(plain.body);
        }
      }
    }
  });

  it('answers the OpenAPI document from its JSON made once, and each compressed form made once', async () => {
    const document = JSON.stringify(app.swagger());
    for (const url of ['/openapi.json', '/docs/json']) {
      const plain = await app.inject({ url });
      expect([plain.statusCode, plain.headers['content-type'], plain.body]).toEqual([200, 'application/json; charset=utf-8', document]);
    }
    const { answers, made } = await askCounting('/docs/json', 'gzip, deflate, br', 3);
    expect(made).toEqual([1, 0, 0]);
    for (const res of answers) expect([res.headers['content-encoding'], decode('br', res.rawPayload)]).toEqual(['br', document]);
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
    const plain = await app.inject({ url: script! });
    // Sent as the build compressed it, and Swagger UI's files as they are: nothing compressed per request.
    for (const header of ['br', 'gzip']) {
      const { answers, made } = await askCounting(script!, header, 2);
      expect(made).toEqual([0, 0]);
      for (const asset of answers) {
        expect([asset.statusCode, asset.headers['content-encoding']]).toEqual([200, header]);
        expect(decode(header, asset.rawPayload)).toBe(plain.body);
      }
    }
    const swaggerUi = await askCounting('/docs/static/swagger-ui-bundle.js', 'gzip, deflate, br', 1);
    expect([swaggerUi.answers[0]!.statusCode, swaggerUi.answers[0]!.headers['content-encoding'], swaggerUi.made]).toEqual([
      200,
      undefined,
      [0],
    ]);
  });
});
