// Rebuilds fixtures/finra/tqqq_2025-11-17_T2.api.json, the TQQQ sample rewritten as FINRA's API JSON
// (the shape the importer and the FINRA test double read). Only the shape changes: every number,
// name and date is copied from the sample. Run: npx tsx scripts/build-finra-fixtures.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';

const source = 'fixtures/finra/tqqq_2025-11-17_T2_ats_and_otc_rows.csv';
const records = parse(readFileSync(source), { columns: true, skip_empty_lines: true }) as Record<string, string>[];

const rows = records.map((r) => ({
  weekStartDate: r.week_start_date,
  tierIdentifier: r.tier,
  tierDescription: r.tier_description,
  summaryTypeCode: r.inferred_summaryTypeCode,
  issueSymbolIdentifier: r.symbol,
  issueName: r.issue_name,
  // The notebook printed FINRA's null MPID as NONE and a null participant name as None.
  MPID: r.mpid_as_printed === 'NONE' ? null : r.mpid_as_printed,
  marketParticipantName: r.participant === 'None' ? null : r.participant,
  totalWeeklyShareQuantity: Number(r.shares),
  totalWeeklyTradeCount: Number(r.trades),
  lastUpdateDate: r.last_update_date,
}));

writeFileSync('fixtures/finra/tqqq_2025-11-17_T2.api.json', `${JSON.stringify(rows, null, 1)}\n`);
console.log(`wrote ${rows.length} rows`);
