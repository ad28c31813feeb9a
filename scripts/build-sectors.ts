// Rebuilds data/sectors/sectors.csv from data/sectors/sources/. Run: npm run sectors:build
import { readFileSync, writeFileSync } from 'node:fs';
import { buildSectorTable, toCsv } from '../src/sectors/build.js';

const dir = 'data/sectors';
const rows = buildSectorTable(
  readFileSync(`${dir}/sources/sp500_constituents.csv`, 'utf8'),
  readFileSync(`${dir}/sources/us_listed_nasdaq_screener.csv`, 'utf8'),
);
writeFileSync(`${dir}/sectors.csv`, toCsv(rows));
const bySource = new Map<string, number>();
for (const r of rows) bySource.set(r.source, (bySource.get(r.source) ?? 0) + 1);
console.log(`wrote ${rows.length} symbols to ${dir}/sectors.csv (${[...bySource].map(([s, n]) => `${s} ${n}`).join(', ')})`);
