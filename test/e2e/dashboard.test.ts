// The dashboard in headless Chromium (Debian's, driven by playwright-core) against a server on
// 127.0.0.1 loaded with the real samples. Screenshots land in test-artifacts/. Code that runs in the
// page is passed to evaluate() as a string: the tests compile without the DOM library.
import { existsSync, mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/api/api-keys.js';
import { buildApp, OPEN_APP_CONFIG } from '../../src/app.js';
import { SectorTable } from '../../src/sectors/table.js';
import { Store } from '../../src/store/store.js';
import { importFiles } from '../../src/ingest/run.js';
import { ingestContext, nineWeeksStore, seededStore } from '../support/app.js';
import { AAPL_BRKB_WEEKS } from '../support/fixtures.js';
import { removeTempDirs, silentLogger, tempDbPath } from '../support/harness.js';
import { openStore } from '../../src/compose.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Without a browser the suite is skipped, loudly, so that `npm test` passes where `npm install` ran;
// CI sets E2E=required, and then a missing browser fails the run instead.
const RUN = existsSync(CHROMIUM) || process.env.E2E === 'required';
if (!RUN) {
  console.warn(
    `\n*** SKIPPED: the dashboard's browser tests need Chromium, and there is none at ${CHROMIUM}. ` +
      'Install it (apt-get install chromium) or set CHROMIUM_PATH, then run `npm run test:e2e`. ***\n',
  );
}
const ARTIFACTS = 'test-artifacts';
const KEY = 'dashboard-key-0123456789abcdef';

let browser: Browser;
let store: Store;
const servers: FastifyInstance[] = [];

async function serve(s: Store, apiKeys: ApiKeys | null = null): Promise<string> {
  const app = await buildApp(OPEN_APP_CONFIG, { store: s, logger: silentLogger, apiKeys });
  servers.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

async function open(url: string, viewport = { width: 1200, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (err) => {
    throw err;
  });
  await page.goto(url);
  return page;
}

beforeAll(async () => {
  if (!RUN) return;
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  store = await seededStore();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const s of servers) await s.close();
  store?.close();
  removeTempDirs();
});

describe.skipIf(!RUN)('the dashboard', () => {
  it('is what a browser gets at /; API clients get the JSON index there', async () => {
    const base = await serve(store);
    const html = await fetch(`${base}/`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.headers.get('vary')).toMatch(/Accept/);
    expect(await html.text()).toMatch(/<script type="module" src="\/assets\/app\.js">/);
    const json = await fetch(`${base}/`);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await json.json()) as { docs: string }).docs).toBe('/docs');
    expect((await fetch(`${base}/assets/app.js`)).headers.get('content-type')).toMatch(/javascript/);
  });

  it("shows this week's movers: the same top 20 as the API, in the same order", async () => {
    const base = await serve(store);
    const api = (await (await fetch(`${base}/darkpool/movers/top20`)).json()) as { data: { ticker: string }[] };
    const page = await open(`${base}/`);
    await page.locator('table.data tbody tr').first().waitFor();
    const shown = await page.locator('table.data tbody tr td:nth-child(2)').allInnerTexts();
    expect(shown).toEqual(api.data.map((r) => r.ticker));
    expect(await page.locator('a.json').first().getAttribute('href')).toBe('/darkpool/movers/top20');
    expect(await page.locator('#freshness').innerText()).toMatch(/OTCE week ending 2025-11-23/);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-movers.png`, fullPage: true });

    // Sorting by keyboard: focus the ATS shares header, press Enter twice, the order flips.
    const sharesHeader = page.getByRole('button', { name: 'ATS shares' });
    await sharesHeader.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('th', { has: sharesHeader }).getAttribute('aria-sort')).toBe('descending');
    await page.keyboard.press('Enter');
    expect(await page.locator('th', { has: sharesHeader }).getAttribute('aria-sort')).toBe('ascending');
    expect((await page.locator('table.data tbody tr td:nth-child(2)').allInnerTexts())[0]).toBe(api.data.at(-1)!.ticker);
    await page.close();
  });

  it('finds tqqq by search: its weekly chart and its 26 venues', async () => {
    const base = await serve(store);
    const page = await open(`${base}/#/ticker`);
    await page.getByLabel('Ticker').fill('tqqq');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator('[data-testid=history-chart] canvas').waitFor();
    expect(await page.locator('h1').innerText()).toBe('Ticker TQQQ');
    expect(await page.locator('[data-testid=venues] li').count()).toBe(26);
    expect(await page.locator('[data-testid=venues] li').first().innerText()).toMatch(/UBSA UBS ATS\s+12,466,783/);
    // The wholesalers beside the ATSs: FINRA's 21 non-ATS firm rows of the week, largest first.
    const firms = page.getByRole('table', { name: /Non-ATS firms in TQQQ/ }).locator('tbody tr');
    expect(await firms.count()).toBe(21);
    expect(await firms.first().innerText()).toMatch(/CITADEL SECURITIES LLC\s+63,880,540/);
    expect(await page.getByText("De Minimis Firms (FINRA's sum of the small firms)").count()).toBe(1);
    expect(await page.getByText(/296,630,891 shares traded off exchange, 16\.23% in ATSs/).count()).toBe(1);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-ticker.png`, fullPage: true });
    await page.close();
  });

  it('shows the error state for an unknown ticker', async () => {
    const base = await serve(store);
    const page = await open(`${base}/#/ticker/NOPEZ`);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/Ticker not found[\s\S]*NOPEZ/);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-unknown-ticker.png` });
    await page.close();
  });

  it('compares sectors this week and last, and ranks the venues', async () => {
    const base = await serve(store);
    const sectors = (await (await fetch(`${base}/darkpool/sectors`)).json()) as { data: unknown[] };
    const venues = (await (await fetch(`${base}/darkpool/venues`)).json()) as { data: unknown[] };
    const page = await open(`${base}/#/sectors`);
    await page.locator('[data-testid=sectors] li').first().waitFor();
    expect(await page.locator('[data-testid=sectors] li').count()).toBe(sectors.data.length);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-sectors.png`, fullPage: true });
    await page.goto(`${base}/#/venues`);
    await page.locator('table.data tbody tr').first().waitFor();
    expect(await page.locator('table.data tbody tr').count()).toBe(venues.data.length);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-venues.png`, fullPage: true });
    await page.close();
  });

  // The sizes the dashboard must serve: a laptop window and a phone.
  const SIZES = [
    { width: 1200, height: 900 },
    { width: 390, height: 844 },
  ];
  const PAGES = [
    { name: 'movers', hash: '#/movers', ready: 'table.data tbody tr' },
    { name: 'ticker', hash: '#/ticker/tqqq', ready: '[data-testid=venues] li' },
    { name: 'sectors', hash: '#/sectors', ready: '[data-testid=sectors] li' },
    { name: 'venues', hash: '#/venues', ready: 'table.data tbody tr' },
    { name: 'venue', hash: '#/venue/OTCN', ready: 'table.data tbody tr' },
  ];

  it.each(SIZES)(
    'fits $width x $height: no page overflow, no clipped column, the key figure beside the name on a phone',
    async (size) => {
      const base = await serve(store);
      const page = await open(`${base}/`, size);
      for (const p of PAGES) {
        await page.goto(`${base}/${p.hash}`);
        await page.locator(p.ready).first().waitFor();
        expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), `${p.name} overflows the page`).toBe(true);
        await page.screenshot({ path: `${ARTIFACTS}/dashboard-${p.name}-${size.width}x${size.height}.png`, fullPage: true });
        // Bar labels get room to be read, not a column one letter wide.
        const names = await page
          .locator('.bar-name')
          .evaluateAll((ns: { getBoundingClientRect(): { width: number } }[]) => ns.map((n) => n.getBoundingClientRect().width));
        for (const width of names) expect(width, `${p.name}: a bar label is squeezed`).toBeGreaterThanOrEqual(100);
        const tables = page.locator('.table-wrap');
        for (let i = 0; i < (await tables.count()); i++) {
          const [scrollWidth, clientWidth] = await tables
            .nth(i)
            .evaluate((t: { scrollWidth: number; clientWidth: number }) => [t.scrollWidth, t.clientWidth]);
          // A table may scroll only where it says so; on the laptop window nothing is cut off at all.
          if (size.width >= 1200) expect(scrollWidth, `${p.name}: a column is cut off`).toBeLessThanOrEqual(clientWidth + 1);
          else if (scrollWidth > clientWidth + 1) expect(await page.locator('.scroll-hint').nth(i).isVisible()).toBe(true);
          // The ATS shares of the first row are on screen, not behind a sideways scroll.
          const shares = page
            .locator('table.data tbody tr')
            .first()
            .locator('td', { hasText: /^\d{1,3}(,\d{3})+$/ })
            .first();
          const box = (await shares.boundingBox())!;
          expect(box.x + box.width, `${p.name}: the shares column is off screen`).toBeLessThanOrEqual(size.width);
        }
      }
      await page.close();
    },
    90_000,
  );

  it('offers the tiers that are loaded, shows counts with separators and small shares with enough digits', async () => {
    const base = await serve(store);
    const page = await open(`${base}/#/movers`);
    await page.locator('table.data tbody tr').first().waitFor();
    expect(await page.locator('#tier option').allInnerTexts()).toEqual(['All loaded tiers', 'T2', 'OTCE']);

    const sectors = (await (await fetch(`${base}/darkpool/sectors`)).json()) as { data: { ticker_count: number }[] };
    await page.goto(`${base}/#/sectors`);
    await page.locator('[data-testid=sectors] li').first().waitFor();
    const biggest = sectors.data[0]!.ticker_count;
    expect(biggest).toBeGreaterThanOrEqual(1000);
    expect(await page.locator('[data-testid=sectors] li').first().innerText()).toContain(`${biggest.toLocaleString('en-US')} symbols`);

    const venues = (await (await fetch(`${base}/darkpool/venues`)).json()) as { data: { mpid: string; dark_pool_shares: number }[] };
    const total = venues.data.reduce((n, v) => n + v.dark_pool_shares, 0);
    await page.goto(`${base}/#/venues`);
    await page.locator('table.data tbody tr').first().waitFor();
    const rows = await page
      .locator('table.data tbody tr')
      .evaluateAll((trs: { cells: ArrayLike<{ innerText: string }> }[]) => trs.map((r) => Array.from(r.cells).map((c) => c.innerText)));
    for (const cells of rows) {
      const venue = venues.data.find((v) => v.mpid === cells[0])!;
      const shown = Number(cells[3]!.replace('%', ''));
      // Two significant digits at least: within 5% of the exact share, and never 0 for a venue with volume.
      expect(Math.abs(shown - (venue.dark_pool_shares / total) * 100)).toBeLessThanOrEqual((venue.dark_pool_shares / total) * 100 * 0.05);
    }
    await page.close();
  });

  it('labels a week of per-symbol totals, and says the venues are not known', async () => {
    const totals = openStore(tempDbPath(), SectorTable.load());
    await importFiles(ingestContext(totals), [AAPL_BRKB_WEEKS], { publishedThrough: '2022-06-30' });
    const base = await serve(totals);
    const page = await open(`${base}/#/ticker/AAPL`);
    await page.locator('[data-testid=history-chart] canvas').waitFor();
    expect(await page.getByRole('note').innerText()).toMatch(/per-symbol total only/);
    expect(await page.locator('.stat', { hasText: 'ATSs with volume' }).locator('dd').innerText()).toBe('—');
    expect(await page.locator('figcaption').first().innerText()).toMatch(/left axis: shares per week/);
    // The range picker: the newest 12 loaded weeks, or every one the store holds.
    const all = ((await (await fetch(`${base}/darkpool/history/AAPL?weeks=5000`)).json()) as { data: unknown[] }).data.length;
    expect(all).toBeGreaterThan(12);
    const chartLabel = () => page.locator('[data-testid=history-chart] [role=img]').getAttribute('aria-label');
    await page.getByLabel('Weeks shown').selectOption('12');
    await expect.poll(chartLabel).toMatch(/ over 12 weeks/);
    await page.getByLabel('Weeks shown').selectOption('all');
    await expect.poll(chartLabel).toMatch(new RegExp(` over ${all} weeks`));
    await page.close();
    totals.close();
  });

  it('lists unusual activity as the API does, and says when a tier lacks the weeks for it', async () => {
    const nine = await nineWeeksStore();
    try {
      const base = await serve(nine);
      const api = (await (await fetch(`${base}/darkpool/unusual`)).json()) as { data: { ticker: string }[] };
      const page = await open(`${base}/#/unusual`);
      const rows = page.getByRole('table', { name: /Unusual activity, week ending 2025-11-23/ }).locator('tbody tr');
      await rows.first().waitFor();
      expect(await rows.count()).toBe(api.data.length);
      expect(await rows.locator('td:first-child').allInnerTexts()).toEqual(api.data.map((d) => d.ticker));
      await page.screenshot({ path: `${ARTIFACTS}/dashboard-unusual.png`, fullPage: false });
      await page.close();

      const short = await open(`${await serve(store)}/#/unusual/OTCE/down`);
      await short.getByText('Tier OTCE: only 1 loaded weeks before this one, 8 needed.').waitFor();
      await short.close();
    } finally {
      nine.close();
    }
  });

  it('ranks the biggest fallers, those that fell to zero first, as the API does', async () => {
    const base = await serve(store);
    const api = (await (await fetch(`${base}/darkpool/movers/top20?tier=OTCE&sort=change&order=asc`)).json()) as {
      data: { ticker: string; change_pct: number | null }[];
    };
    expect(api.data[0]!.change_pct).toBe(-100);
    const page = await open(`${base}/#/movers/OTCE`);
    await page.locator('table.data tbody tr').first().waitFor();
    await page.getByLabel('Rank by').selectOption('fallers');
    await page.waitForURL(/#\/movers\/OTCE\/fallers$/);
    await expect.poll(() => page.locator('table.data tbody tr td:nth-child(2)').allInnerTexts()).toEqual(api.data.map((r) => r.ticker));
    expect(await page.locator('table.data tbody tr').first().innerText()).toMatch(/falling \(-100\.00%\)/);
    await page.close();
  });

  it("opens a venue's page from the leaderboard: its weeks and what it traded", async () => {
    const base = await serve(store);
    const series = (await (await fetch(`${base}/darkpool/venues/OTCN?weeks=52`)).json()) as { data: unknown[] };
    const traded = (await (await fetch(`${base}/darkpool/venues/OTCN/symbols`)).json()) as { data: { ticker: string }[] };
    const page = await open(`${base}/#/venues/OTCE`);
    await page.getByRole('link', { name: 'OTC LINK NQB IDQS' }).click();
    await page.locator('[data-testid=venue-weeks] li').first().waitFor();
    expect(await page.locator('h1').innerText()).toBe('Venue OTCN');
    expect(await page.locator('[data-testid=venue-weeks] li').count()).toBe(series.data.length);
    await page.locator('table.data tbody tr').first().waitFor();
    expect(await page.locator('table.data tbody tr').count()).toBe(traded.data.length);
    expect(await page.locator('table.data tbody tr td').first().innerText()).toBe(traded.data[0]!.ticker);
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-venue-1200x900.png` });
    await page.close();
  });

  it('shows its own not-found page for an unknown path or view; API clients still get a problem', async () => {
    const base = await serve(store);
    const page = await browser.newPage();
    const answer = await page.goto(`${base}/no/such/page`);
    expect(answer!.status()).toBe(404);
    expect(await page.locator('h1').innerText()).toBe('Page not found');
    expect(await page.locator('main').innerText()).toContain('/no/such/page');
    await page.screenshot({ path: `${ARTIFACTS}/dashboard-not-found.png` });
    await page.goto(`${base}/#/nonsense`);
    expect(await page.locator('h1').innerText()).toBe('Page not found');
    const api = await fetch(`${base}/no/such/page`);
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    await page.close();
  });

  it('says when no data is loaded yet, and when the network fails', async () => {
    const empty = openStore(tempDbPath(), SectorTable.empty());
    const base = await serve(empty);
    const page = await open(`${base}/`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toMatch(/No data loaded yet/);
    expect(await page.locator('#freshness').innerText()).toBe('Freshness: no week loaded yet');
    empty.close();

    const live = await serve(store);
    await page.route('**/darkpool/**', (route) => route.abort());
    await page.goto(`${live}/#/sectors`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').innerText()).toMatch(/Network error[\s\S]*Try again/);
    await page.close();
  });

  it('asks for an API key when the server needs one, and keeps it in the session only', async () => {
    const base = await serve(store, ApiKeys.fromConfig([KEY], undefined));
    const page = await open(`${base}/`);
    await page.getByRole('textbox', { name: 'API key' }).fill(KEY);
    await page.getByRole('button', { name: 'Use this key' }).click();
    await page.locator('table.data tbody tr').first().waitFor();
    expect(await page.evaluate('[sessionStorage.length, localStorage.length]')).toEqual([1, 0]);
    // A JSON link opens the JSON, fetched with the key (a plain link would send none and get a 401).
    const [tab] = await Promise.all([page.context().waitForEvent('page'), page.locator('a.json').first().click()]);
    await tab.waitForURL(/^blob:/);
    expect(JSON.parse(await tab.locator('body').innerText())).toMatchObject({ data: expect.any(Array), tiers: ['OTCE', 'T2'] });
    await tab.close();
    await page.close();
  });
});
