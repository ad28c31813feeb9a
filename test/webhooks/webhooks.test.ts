// Webhooks: a local receiver gets each event signed, once; a delivery that first fails is retried and
// arrives once; one that keeps failing becomes a dead letter after 24 hours; addresses of the service's
// own network are refused. The events come from real publishes of FINRA's real rows (the OTCE exports,
// the TQQQ week, nine OTCE weeks for the unusual list); the dispatcher's clock is the test's.
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, OPEN_APP_CONFIG } from '../../src/app.js';
import { importFiles } from '../../src/ingest/run.js';
import { isPublicAddress } from '../../src/webhooks/address.js';
import { WebhookDispatcher, type DispatcherOptions } from '../../src/webhooks/dispatcher.js';
import { readSubscriptions, type Subscription } from '../../src/webhooks/subscriptions.js';
import type { Store } from '../../src/store/store.js';
import { ingestContext, nineWeeksStore, seededStore } from '../support/app.js';
import { OTCE_FILES, TQQQ_JSON } from '../support/fixtures.js';
import { cli, removeTempDirs, silentLogger, tempDbPath, tempDir } from '../support/harness.js';
import { eventually, startNode } from '../support/processes.js';
import { openStore } from '../../src/compose.js';
import { SectorTable } from '../../src/sectors/table.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const SECRET = 'test-secret-0123456789';
let receiver: Server;
let base: string;
const received: Received[] = [];
/** Per path, the statuses to answer in turn (then 200). */
const script = new Map<string, number[]>();

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      const next = script.get(req.url ?? '')?.shift() ?? 200;
      res.writeHead(next).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => receiver.close(r));
  removeTempDirs();
});

const at = (iso: string) => new Date(iso);

function dispatcher(store: Store, subscriptions: Subscription[], clock: { now: Date }, options: Partial<DispatcherOptions> = {}) {
  return new WebhookDispatcher({
    outbox: store.outbox,
    subscriptions: () => subscriptions,
    unusualOf: () => [],
    staleTiers: () => [],
    logger: silentLogger,
    allowPrivate: true,
    now: () => clock.now,
    credit: { provider: 'FINRA', terms: 'FINRA is the owner of this data' },
    ...options,
  });
}

const of = (path: string) => received.filter((r) => r.path === path);

describe('webhook deliveries', () => {
  it('delivers week.published, signed, after an ingest publishes a week; the signature checks with the secret', async () => {
    const store = openStore(tempDbPath(), SectorTable.load());
    const clock = { now: at('2026-01-05T12:00:00Z') };
    const d = dispatcher(store, [{ url: `${base}/signed`, secret: SECRET, events: ['week.published'] }], clock);
    await importFiles(ingestContext(store), [TQQQ_JSON], {});
    await d.tick();
    await d.stop();
    const [got, ...more] = of('/signed');
    expect(more).toEqual([]);
    const body = JSON.parse(got!.body);
    expect(body).toMatchObject({
      type: 'week.published',
      data: { week_start: '2025-11-17', tier: 'T2', version: 1, coverage: 'full', symbols: 1, ats_rows: 26, dark_pool_shares: 48_136_092 },
      source: { provider: 'FINRA' },
    });
    expect(got!.headers['x-darkpool-event-id']).toBe(body.id);
    expect(got!.headers['x-darkpool-event-type']).toBe('week.published');
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(got!.headers['x-darkpool-signature']))!;
    expect(Number(t)).toBe(Math.floor(clock.now.getTime() / 1000));
    expect(v1).toBe(createHmac('sha256', SECRET).update(`${t}.${got!.body}`).digest('hex'));
    store.close();
  });

  it('retries a delivery that first fails (first retry within 10 s) and delivers it once', async () => {
    const store = await seededStore();
    const clock = { now: at('2026-01-05T12:00:00Z') };
    script.set('/flaky', [500]);
    const d = dispatcher(store, [{ url: `${base}/flaky`, secret: SECRET, events: ['week.published'] }], clock);
    await d.tick();
    expect(of('/flaky')).toHaveLength(3 + 0); // three weeks published: the first answer was a 500
    expect(store.outbox.counts()).toEqual({ pending: 1, delivered: 2, dead: 0 });
    clock.now = at('2026-01-05T12:00:04Z');
    await d.tick();
    expect(of('/flaky')).toHaveLength(3); // not due yet
    clock.now = at('2026-01-05T12:00:05Z');
    await d.tick();
    await d.tick();
    await d.stop();
    const ids = of('/flaky').map((r) => r.headers['x-darkpool-event-id']);
    expect(ids).toHaveLength(4);
    expect(new Set(ids).size).toBe(3); // the retried one twice, the others once
    expect(store.outbox.counts()).toEqual({ pending: 0, delivered: 3, dead: 0 });
    store.close();
  });

  it('gives up after 24 hours of failures: a dead letter, listed by status', async () => {
    const dbPath = tempDbPath();
    const store = openStore(dbPath, SectorTable.load());
    await importFiles(ingestContext(store), [TQQQ_JSON], {});
    const clock = { now: at('2026-01-05T12:00:00Z') };
    script.set('/down', Array(100).fill(503));
    const d = dispatcher(store, [{ url: `${base}/down`, secret: SECRET, events: ['week.published'] }], clock);
    for (let hour = 0; hour <= 25; hour++) {
      clock.now = new Date(Date.parse('2026-01-05T12:00:00Z') + hour * 3_600_000);
      await d.tick();
    }
    await d.stop();
    expect(store.outbox.counts()).toMatchObject({ dead: 1, pending: 0 });
    expect(of('/down').length).toBeGreaterThan(5);
    store.close();
    // The event was created when the week was published (the import's clock), so the day runs from then.
    const status = await cli(['status'], { DB_PATH: dbPath });
    expect(status.stdout).toMatch(/webhooks: 0 delivered, 0 pending, 1 dead letters/);
    expect(status.stdout).toMatch(/dead: week:2025-11-17:T2:1:\w+ to http:\/\/127\.0\.0\.1:\d+\/down after \d+ attempts: HTTP 503/);
  });

  it('announces the watched symbols a published week lists as unusual, as /darkpool/unusual lists them', async () => {
    const store = await nineWeeksStore();
    const probe = await buildApp(OPEN_APP_CONFIG, { store, logger: silentLogger });
    const list = (await probe.inject({ url: '/darkpool/unusual?tier=OTCE' })).json() as { data: { ticker: string; zscore: number }[] };
    await probe.close();
    const watched = [list.data[0]!.ticker, 'AAPL']; // AAPL: not in these OTCE weeks, never announced
    const app = await buildApp(OPEN_APP_CONFIG, {
      store,
      logger: silentLogger,
      webhooks: {
        subscriptions: () => [{ url: `${base}/unusual`, secret: SECRET, events: ['symbol.unusual'], symbols: watched }],
        allowPrivate: true,
        intervalMs: 20,
      },
    });
    await app.ready();
    for (let i = 0; i < 200 && of('/unusual').length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100)); // nothing more arrives
    await app.close();
    const got = of('/unusual').map((r) => JSON.parse(r.body));
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      type: 'symbol.unusual',
      data: {
        symbol: watched[0],
        direction: 'up',
        week_start: '2025-11-17',
        tier: 'OTCE',
        record: { ticker: watched[0], zscore: list.data[0]!.zscore },
      },
    });
    store.close();
  });
});

describe('outbound addresses', () => {
  it('are public only: loopback, private, link-local, CGNAT, multicast, reserved and their IPv6 forms are refused', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      'not-an-ip',
    ]) {
      expect(isPublicAddress(a), a).toBe(false);
    }
    for (const a of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
      expect(isPublicAddress(a), a).toBe(true);
  });

  it('refuse a delivery to this machine unless WEBHOOKS_ALLOW_PRIVATE: by IP literal at once, by name at connection', async () => {
    const store = openStore(tempDbPath(), SectorTable.load());
    await importFiles(ingestContext(store), [OTCE_FILES['2025-11-10']], { week: '2025-11-10', tier: 'OTCE' });
    const port = (receiver.address() as AddressInfo).port;
    const clock = { now: at('2026-01-05T12:00:00Z') };
    const subs: Subscription[] = [
      { url: `http://127.0.0.1:${port}/literal`, secret: SECRET, events: ['week.published'] },
      { url: `http://[::1]:${port}/literal6`, secret: SECRET, events: ['week.published'] },
      { url: `http://localhost:${port}/byname`, secret: SECRET, events: ['week.published'] },
    ];
    const d = dispatcher(store, subs, clock, { allowPrivate: false });
    await d.tick();
    await d.stop();
    expect(of('/literal')).toHaveLength(0);
    expect(of('/literal6')).toHaveLength(0);
    expect(of('/byname')).toHaveLength(0);
    const dead = store.outbox.deadLetters();
    expect(dead.map((x) => x.last_error).sort()).toEqual([
      '127.0.0.1 is not a public address (WEBHOOKS_ALLOW_PRIVATE is off)',
      '::1 is not a public address (WEBHOOKS_ALLOW_PRIVATE is off)',
    ]);
    expect(store.outbox.counts().pending).toBe(1); // by name: refused at connection, retried (DNS may change)
    store.close();
  });
});

describe('subscriptions', () => {
  it('are read from WEBHOOKS_FILE and refused with a clear message when wrong', () => {
    const dir = tempDir();
    const good = `${dir}/good.json`;
    writeFileSync(
      good,
      JSON.stringify([
        { url: 'https://example.com/hook', secret: SECRET, events: ['week.published', 'symbol.unusual'], symbols: ['AAPL'] },
      ]),
    );
    expect(readSubscriptions(good)).toHaveLength(1);
    for (const [content, message] of [
      ['not json', /WEBHOOKS_FILE .*bad\.json: /],
      [JSON.stringify([{ url: 'ftp://x', secret: SECRET, events: ['week.published'] }]), /\[0\.url\] must be an http\(s\) URL/],
      [
        JSON.stringify([{ url: 'https://x.example', secret: 'short', events: ['week.published'] }]),
        /\[0\.secret\] must be at least 16 characters/,
      ],
      [JSON.stringify([{ url: 'https://x.example', secret: SECRET, events: ['week.deleted'] }]), /\[0\.events\.0\]/],
    ] as const) {
      writeFileSync(`${dir}/bad.json`, content);
      expect(() => readSubscriptions(`${dir}/bad.json`)).toThrow(message);
    }
  });

  it('the server delivers them: an app with subscriptions sends what an ingest in another process published', async () => {
    const dbPath = tempDbPath();
    const store = openStore(dbPath, SectorTable.load());
    const app = await buildApp(OPEN_APP_CONFIG, {
      store,
      logger: silentLogger,
      webhooks: {
        subscriptions: () => [{ url: `${base}/server`, secret: SECRET, events: ['week.published'] }],
        allowPrivate: true,
        intervalMs: 20,
      },
    });
    await app.ready();
    // Another process (the CLI) publishes into the same store file.
    expect((await cli(['import', TQQQ_JSON], { DB_PATH: dbPath })).code).toBe(0);
    for (let i = 0; i < 100 && of('/server').length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await app.close();
    store.close();
    expect(of('/server').map((r) => JSON.parse(r.body).data.tier)).toEqual(['T2']);
  });

  it('npm start reads WEBHOOKS_FILE, and again on SIGHUP (a broken file then keeps the subscriptions it had)', async () => {
    const dbPath = tempDbPath();
    const file = `${tempDir()}/webhooks.json`;
    const subscribe = (path: string) =>
      writeFileSync(file, JSON.stringify([{ url: `${base}${path}`, secret: SECRET, events: ['week.published'] }]));
    subscribe('/before-hup');
    const proc = startNode(['dist/server.js'], {
      PORT: '0',
      DB_PATH: dbPath,
      INGEST_CRON: 'off',
      LOG_LEVEL: 'info',
      WEBHOOKS_FILE: file,
      WEBHOOKS_ALLOW_PRIVATE: 'true',
    });
    try {
      await proc.waitFor(/Server listening at/);
      expect((await cli(['import', OTCE_FILES['2025-11-10'], '--week', '2025-11-10', '--tier', 'OTCE'], { DB_PATH: dbPath })).code).toBe(0);
      await eventually(async () => (of('/before-hup').length === 1 ? true : undefined));
      subscribe('/after-hup');
      proc.child.kill('SIGHUP');
      await proc.waitFor(/webhook subscriptions reloaded/);
      writeFileSync(file, 'not json');
      proc.child.kill('SIGHUP');
      await proc.waitFor(/webhook subscriptions not reloaded/);
      expect((await cli(['import', TQQQ_JSON], { DB_PATH: dbPath })).code).toBe(0);
      await eventually(async () => (of('/after-hup').length === 1 ? true : undefined));
      expect(JSON.parse(of('/after-hup')[0]!.body).data.tier).toBe('T2');
      expect(of('/before-hup')).toHaveLength(1);
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exit;
    }
  });

  it('announces a tier gone stale once, with its newest week', async () => {
    const store = await seededStore();
    const app = await buildApp(OPEN_APP_CONFIG, {
      store,
      logger: silentLogger,
      now: () => new Date('2026-03-02T12:00:00Z'), // FINRA's calendar is weeks past the loaded ones
      webhooks: {
        subscriptions: () => [{ url: `${base}/stale`, secret: SECRET, events: ['data.stale'] }],
        allowPrivate: true,
        intervalMs: 20,
      },
    });
    await app.ready();
    await eventually(async () => (of('/stale').length >= 2 ? true : undefined));
    await new Promise((r) => setTimeout(r, 100)); // and no more
    await app.close();
    store.close();
    const got = of('/stale').map((r) => JSON.parse(r.body).data);
    expect(got.map((d) => [d.tier, d.newest_week_start]).sort()).toEqual([
      ['OTCE', '2025-11-17'],
      ['T2', '2025-11-17'],
    ]);
  });
});
