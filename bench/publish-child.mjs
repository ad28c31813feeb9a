// What an in-thread publish would cost: build and publish one full-size week (saved API JSON,
// argv[3]) into a copy of the store (argv[2]), timing the synchronous transaction alone.
import { readFileSync } from 'node:fs';
import { parseFinraRow } from '../dist/finra/schema.js';
import { buildWeek } from '../dist/ingest/build-week.js';
import { SectorTable } from '../dist/sectors/table.js';
import { openStore } from '../dist/compose.js';

const [dbPath, rowsPath] = process.argv.slice(2);
const store = openStore(dbPath, SectorTable.load());
const byWeek = new Map();
for (const raw of JSON.parse(readFileSync(rowsPath, 'utf8'))) {
  const r = parseFinraRow(raw, 0);
  const key = `${r.weekStartDate}|${r.tierIdentifier}`;
  const w = byWeek.get(key) ?? {
    weekStart: r.weekStartDate,
    tier: r.tierIdentifier,
    firm: [],
    symbolTotals: [],
    nonAts: [],
    nonAtsFirm: [],
  };
  const into = { ATS_W_SMBL_FIRM: w.firm, ATS_W_SMBL: w.symbolTotals, OTC_W_SMBL: w.nonAts, OTC_W_SMBL_FIRM: w.nonAtsFirm };
  into[r.summaryTypeCode].push(r);
  byWeek.set(key, w);
}
const publishes = [];
for (const input of byWeek.values()) {
  const built = buildWeek(input);
  const started = performance.now();
  store.publisher.publish(built, { source: 'bench', now: new Date().toISOString() });
  publishes.push({ tier: input.tier, rows: built.rows.length, ms: performance.now() - started });
}
store.close();
process.stdout.write(JSON.stringify({ publishes }));
