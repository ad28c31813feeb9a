// GET /darkpool/feed.atom: the weeks published here and FINRA's revisions of them, as Atom 1.0. The
// store holds FINRA's real OTCE weeks and TQQQ week; the revision republishes the OTCE week of
// 2025-11-10 with one real row changed (as in point-in-time.test.ts). Checked against RFC 4287's rules.
import { readFileSync, writeFileSync } from 'node:fs';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../../src/ingest/run.js';
import type { Store } from '../../src/store/store.js';
import { appOn, ingestContext, seededStore } from '../support/app.js';
import { OTCE_FILES } from '../support/fixtures.js';
import { removeTempDirs, tempDir } from '../support/harness.js';

type Node = Record<string, any>;
let app: FastifyInstance;
let store: Store;

beforeAll(async () => {
  store = await seededStore();
  const [header, first, ...rest] = readFileSync(OTCE_FILES['2025-11-10'], 'utf8').trim().split('\n');
  const v = first!.split('|');
  v[5] = String(Number(v[5]) + 500);
  v[7] = '2026-01-12';
  const path = `${tempDir()}/revised.psv`;
  writeFileSync(path, [header, v.join('|'), ...rest].join('\n') + '\n');
  await importFiles(
    ingestContext(store, () => new Date('2026-01-13T06:00:00Z')),
    [path],
    { week: '2025-11-10', tier: 'OTCE' },
  );
  app = await appOn(store);
});
afterAll(async () => {
  await app.close();
  store.close();
  removeTempDirs();
});

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const list = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

describe('GET /darkpool/feed.atom', () => {
  it('is well-formed Atom 1.0 with what RFC 4287 requires of a feed and of each entry', async () => {
    const res = await app.inject({ url: '/darkpool/feed.atom' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    expect(XMLValidator.validate(res.body)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(res.body) as Node;
    const feed = doc.feed as Node;
    expect(feed['@xmlns']).toBe('http://www.w3.org/2005/Atom');
    // atom:feed: exactly one id, title and updated; an author (the entries have none of their own).
    expect(feed.id).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(typeof feed.title === 'string' || typeof feed.title?.['#text'] === 'string').toBe(true);
    expect(feed.updated).toMatch(RFC3339);
    expect(list(feed.author)[0].name).toBe('DarkPool Radar');
    expect(list(feed.link).some((l: Node) => l['@rel'] === 'self' && l['@href'] === '/darkpool/feed.atom')).toBe(true);
    const entries = list(feed.entry as Node[]);
    // Three weeks published, and the revision, newest first.
    expect(entries).toHaveLength(4);
    for (const e of entries) {
      expect(e.id).toMatch(/^urn:uuid:/);
      expect(e.updated).toMatch(RFC3339);
      expect(list(e.link)[0]['@href']).toMatch(/^\/darkpool\//);
    }
    expect(new Set(entries.map((e) => e.id)).size).toBe(4);
    const titles = entries.map((e) => String(e.title?.['#text'] ?? e.title));
    expect(titles[0]).toBe('OTCE week ending 2025-11-16 revised (version 2): 3,111 symbols');
    expect(titles.slice(1).sort()).toEqual([
      'OTCE week ending 2025-11-16 published: 3,111 symbols',
      'OTCE week ending 2025-11-23 published: 2,985 symbols',
      'T2 week ending 2025-11-23 published: 1 symbols',
    ]);
    expect(entries[0]!.updated).toBe('2026-01-13T06:00:00.000Z');
    expect(feed.updated).toBe('2026-01-13T06:00:00.000Z');
    expect(String(feed.rights?.['#text'] ?? feed.rights)).toContain('FINRA is the owner');
  });

  it('keeps the same ids from one answer to the next', async () => {
    const ids = async () => [...(await app.inject({ url: '/darkpool/feed.atom' })).body.matchAll(/<id>([^<]+)<\/id>/g)].map((m) => m[1]);
    expect(await ids()).toEqual(await ids());
  });
});
