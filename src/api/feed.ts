// GET /darkpool/feed.atom: FINRA's publications and revisions as the store received them, as Atom 1.0
// (RFC 4287). Links are relative to the feed's own URL (RFC 4287 section 4.2.7 allows it), so nothing
// of the request (its Host or X-Forwarded-Host) goes into the document and no cache in front can be
// poisoned with it. Written here rather than with a feed generator: the ones on npm insist on absolute URLs.
import { createHash } from 'node:crypto';
import { PACKAGE_VERSION } from '../package-info.js';
import type { Publication } from '../read/feed.js';
import { FINRA_CREDIT } from '../read/weekly.js';

/** A stable name-based id (UUID version 5 layout over SHA-1): the same entry keeps its id in every answer. */
function urnOf(name: string): string {
  const h = createHash('sha1').update(`darkpool-radar:${name}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
const esc = (text: string) => text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);

function entry(p: Publication): string {
  const what = p.kind === 'published' ? 'published' : `revised (version ${p.version})`;
  const scope = p.coverage === 'full' ? `${p.symbols.toLocaleString('en-US')} symbols` : `FINRA's totals of ${p.symbols} symbols`;
  const link = p.coverage === 'full' ? `/darkpool/weeks/${p.week_start}/symbols?tier=${p.tier}` : '/darkpool/weeks';
  const summary =
    `FINRA's ${p.tier} ATS data for the week ${p.week_start} to ${p.week_ending}` +
    `${p.finra_last_update ? `, dated ${p.finra_last_update} by FINRA` : ''}, loaded here ${p.loaded_at}.` +
    (p.kind === 'revised' ? ` /darkpool/revisions?week=${p.week_start} lists what changed.` : '');
  return [
    '  <entry>',
    `    <id>${urnOf(`week/${p.week_start}/${p.tier}/${p.version}`)}</id>`,
    `    <title>${esc(`${p.tier} week ending ${p.week_ending} ${what}: ${scope}`)}</title>`,
    `    <updated>${new Date(p.loaded_at).toISOString()}</updated>`,
    `    <link rel="alternate" href="${esc(link)}"/>`,
    `    <summary>${esc(summary)}</summary>`,
    '  </entry>',
  ].join('\n');
}

export function atomFeed(publications: Publication[]): string {
  const updated = new Date(publications[0]?.loaded_at ?? 0).toISOString();
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>${urnOf('feed')}</id>`,
    '  <title>DarkPool Radar: FINRA weekly ATS data published and revised</title>',
    `  <subtitle>${esc('Each FINRA OTC Transparency week as this service loaded it, and each revision FINRA made to it')}</subtitle>`,
    `  <updated>${updated}</updated>`,
    '  <author><name>DarkPool Radar</name></author>',
    '  <link rel="self" href="/darkpool/feed.atom"/>',
    `  <link rel="via" href="${esc(FINRA_CREDIT.url)}"/>`,
    `  <rights>${esc(FINRA_CREDIT.terms)}</rights>`,
    `  <generator version="${esc(PACKAGE_VERSION)}">darkpool-radar</generator>`,
    ...publications.map(entry),
    '</feed>',
    '',
  ].join('\n');
}
