// The FINRA test double serving full-size synthetic weeks (bench/synthetic.ts, pre-written to
// bench/data), in a process of its own so that gzipping FINRA's answers does not run on the
// ingest's event loop. argv: newest week, week count. The newest week is held back until "release"
// arrives on stdin.
import { createInterface } from 'node:readline';
import type { Tier } from '../src/domain/tiers.js';
import { FinraDouble } from '../test/support/finra-double.js';
import { ROW_FIELDS } from '../src/finra/client.js';
import { readWeekFile, rowsOfType, syntheticWeekRows, WEEK_FILES_DIR, weekFile, weeksEndingAt, type Row } from './synthetic.js';

const ALL_TYPES = ['ATS_W_SMBL_FIRM', 'ATS_W_SMBL', 'OTC_W_SMBL', 'OTC_W_SMBL_FIRM'];

const [newest = '2026-10-26', countText = '53'] = process.argv.slice(2);
const weeks = weeksEndingAt(newest, Number(countText));
const TIERS: Tier[] = ['T1', 'T2', 'OTCE'];
const partitions: [string, string][] = weeks.slice(1).flatMap((w) => TIERS.map((t) => [w, t] as [string, string]));

let last: { key: string; rows: ReturnType<typeof syntheticWeekRows> } | null = null;
function rows(week: string, tier: string, type: string): Row[] {
  const key = `${week}|${tier}`;
  if (last?.key !== key) last = { key, rows: syntheticWeekRows(week, tier as Tier) };
  return rowsOfType(last.rows, type);
}

/** The service's query (all three types, its fields): straight from the week's file. */
function json(week: string, tier: string, types: string[], fields: string[] | undefined): string[] | null {
  const wanted = types.length === ALL_TYPES.length && ALL_TYPES.every((t) => types.includes(t)) && fields?.join() === ROW_FIELDS.join();
  return wanted ? readWeekFile(weekFile(WEEK_FILES_DIR, week, tier as Tier)) : null;
}

const double = await new FinraDouble({ rows: [], generated: { partitions, rows, json } }).start();
process.stdout.write(`${double.url}\n`);
// "changes:fail": FINRA refuses the changed-weeks query (the service then re-pulls its trailing window,
// as it always did before it could ask); "changes:ok" undoes it.
const isChangeQuery = (r: { body: Record<string, unknown> | null }) =>
  JSON.stringify(r.body?.compareFilters ?? []).includes('lastUpdateDate');
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === 'changes:fail') {
    double.faults.push(...Array.from({ length: 100 }, () => ({ kind: 'status' as const, status: 400, when: isChangeQuery })));
    process.stdout.write('ok\n');
  }
  if (line.trim() === 'changes:ok') {
    double.faults.length = 0;
    process.stdout.write('ok\n');
  }
  // "latency:MS": every data answer comes MS later, as FINRA's do over the internet.
  if (line.trim().startsWith('latency:')) {
    double.dataLatencyMs = Number(line.trim().slice('latency:'.length));
    process.stdout.write('ok\n');
  }
  if (line.trim() === 'release') {
    partitions.unshift(...TIERS.map((t) => [weeks[0]!, t] as [string, string]));
    process.stdout.write('released\n');
  }
}
await double.close();
