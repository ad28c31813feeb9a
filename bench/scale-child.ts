// Builds the four-year store: 208 full-size synthetic weeks x 3 tiers, oldest first, through the
// service's own build and publish (its FINRA row schema, buildWeek, the Publisher), without fetching:
// the ingest part measures fetching. Then FINRA "revises" one T1 week 10 weeks after publishing it
// (1% of its ATS rows changed), so that point-in-time answers have a past to show.
// argv: db path, newest Monday, weeks. Prints one JSON line: time, rows, resident memory as it went.
import { statSync } from 'node:fs';
import { openStore } from '../src/compose.js';
import { addDays } from '../src/domain/calendar.js';
import type { Tier } from '../src/domain/tiers.js';
import { parseFinraRow } from '../src/finra/schema.js';
import { buildWeek } from '../src/ingest/build-week.js';
import { SectorTable } from '../src/sectors/table.js';
import { syntheticWeekRows, weeksEndingAt, type Row } from './synthetic.js';

const [dbPath, newest, count] = process.argv.slice(2) as [string, string, string];
const TIERS: Tier[] = ['T1', 'T2', 'OTCE'];
const weeks = weeksEndingAt(newest, Number(count)).reverse();
const store = openStore(dbPath, SectorTable.load());
const parse = (rows: Row[]) => rows.map((r, i) => parseFinraRow(r, i));

function publish(week: string, tier: Tier, rows: ReturnType<typeof syntheticWeekRows>, now: string) {
  const built = buildWeek({
    weekStart: week,
    tier,
    firm: parse(rows.firm),
    symbolTotals: parse(rows.totals),
    nonAts: parse(rows.nonAts),
    nonAtsFirm: parse(rows.nonAtsFirm),
  });
  return { built, result: store.publisher.publish(built, { source: 'api', now }) };
}

const started = performance.now();
const rss: number[] = [];
let atsRows = 0;
let firmRows = 0;
for (const [i, week] of weeks.entries()) {
  for (const tier of TIERS) {
    const published = addDays(week, tier === 'T1' ? 21 : 35);
    const { built } = publish(week, tier, syntheticWeekRows(week, tier), `${published}T06:00:00.000Z`);
    atsRows += built.rows.length;
    firmRows += built.nonAtsFirms.length;
  }
  if (i % 8 === 7 || i === weeks.length - 1) rss.push(process.memoryUsage().rss);
}
const publishMs = performance.now() - started;

// The revision: every 100th ATS row of a T1 week 30 weeks back gets 1,000 more shares (and FINRA's
// per-symbol total with it), published 70 days after the week's first publication.
const revisedWeek = weeks[Math.max(0, weeks.length - 30)]!;
const revisedOn = addDays(revisedWeek, 21 + 70);
const rows = syntheticWeekRows(revisedWeek, 'T1');
const bumped = new Map<string, number>();
rows.firm.forEach((r, i) => {
  r.lastUpdateDate = revisedOn;
  if (i % 100 !== 0) return;
  r.totalWeeklyShareQuantity = (r.totalWeeklyShareQuantity as number) + 1_000;
  bumped.set(r.issueSymbolIdentifier as string, (bumped.get(r.issueSymbolIdentifier as string) ?? 0) + 1_000);
});
for (const t of rows.totals) {
  t.lastUpdateDate = revisedOn;
  t.totalWeeklyShareQuantity = (t.totalWeeklyShareQuantity as number) + (bumped.get(t.issueSymbolIdentifier as string) ?? 0);
}
const revision = publish(revisedWeek, 'T1', rows, `${revisedOn}T06:00:00.000Z`).result;
store.db.pragma('wal_checkpoint(TRUNCATE)');
store.close();
process.stdout.write(
  `${JSON.stringify({
    ms: Math.round(publishMs),
    tierWeeks: weeks.length * TIERS.length,
    atsRows,
    firmRows,
    bytes: statSync(dbPath).size,
    rssMb: rss.map((b) => Math.round(b / 2 ** 20)),
    revised: { week: revisedWeek, tier: 'T1', on: revisedOn, outcome: revision.outcome, symbols: bumped.size },
  })}\n`,
);
