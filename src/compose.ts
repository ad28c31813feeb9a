// The composition root's shared part: how the server, the CLI and the tests open the store, with the
// estimate scoring wired into its publish transaction (the store itself knows nothing of estimates).
import { EstimateScorer } from './estimate/scoring.js';
import type { SectorTable } from './sectors/table.js';
import type { OpenOptions } from './store/db.js';
import { Store } from './store/store.js';

export function openStore(path: string, sectors: SectorTable, options: OpenOptions = {}): Store {
  return Store.open(path, sectors, { ...options, scorer: (db) => new EstimateScorer(db) });
}
