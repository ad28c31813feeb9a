// The cost of an answer the in-memory cache does not hold yet: the read model and JSON for random
// symbols. argv: db, then symbols (comma-separated).
import { SectorTable } from '../dist/sectors/table.js';
import { Queries } from '../dist/read/queries.js';
import { Snapshot } from '../dist/read/snapshot.js';
import { Reports } from '../dist/read/weekly.js';
import { openStore } from '../dist/compose.js';

const [dbPath, list] = process.argv.slice(2);
const symbols = list.split(',');
const store = openStore(dbPath, SectorTable.load(), { readonly: true });
const reports = new Reports(new Queries(store.db), new Snapshot(store.db));
const time = (fn) => {
  for (const s of symbols.slice(0, 100)) fn(s); // warm the JIT
  const started = performance.now();
  for (const s of symbols) JSON.stringify(fn(s));
  return ((performance.now() - started) * 1000) / symbols.length;
};
// Where an uncached 52-week history goes: reading its rows, building the records, encoding the JSON.
const queries = new Queries(store.db);
const tierOf = new Map(symbols.map((s) => [s, reports.weekly(s).tier]));
const built = new Map(symbols.map((s) => [s, reports.history(s, 52)]));
const each = (fn) => {
  for (const s of symbols.slice(0, 100)) fn(s);
  const started = performance.now();
  for (const s of symbols) fn(s);
  return ((performance.now() - started) * 1000) / symbols.length;
};
const result = {
  weekly_us: time((s) => reports.weekly(s)),
  history52_us: time((s) => reports.history(s, 52)),
  history52_rows_us: each((s) => queries.symbolHistory(s, tierOf.get(s), '0000-00-00')),
  history52_records_us: each((s) => reports.history(s, 52)),
  history52_json_us: each((s) => JSON.stringify(built.get(s))),
};
store.close();
process.stdout.write(JSON.stringify(result));
