// How the commands open the store: to write (or migrate), through the composition root's openStore with
// progress printed; to read or copy, the database read-only as it is.
import type { Config } from '../config.js';
import { openStore } from '../compose.js';
import type { DailyContext } from '../ingest/daily.js';
import type { IngestContext } from '../ingest/run.js';
import { createLogger } from '../logger.js';
import { SectorTable } from '../sectors/table.js';
import { openDatabase, type Db } from '../store/db.js';
import type { Store } from '../store/store.js';
import { progressCounter, type Io } from './output.js';

export function withStore<T>(
  config: Config,
  io: Io,
  fn: (store: Store, ctx: IngestContext, daily: DailyContext) => Promise<T>,
): Promise<T> {
  const logger = createLogger(config.LOG_LEVEL, io.logs ?? process.stderr);
  const progressPrefix = progressCounter(io.terminal === true);
  const store = openStore(config.DB_PATH, SectorTable.load());
  const base = { lock: store.lock, runs: store.runs, logger, now: () => new Date() };
  const ctx: IngestContext = {
    ...base,
    publisher: store.publisher,
    weeks: store.weeks,
    onProgress: (e) => {
      const counts = e.rows ? `  ${e.rows.toLocaleString('en-US')} rows  ${e.symbols.toLocaleString('en-US')} symbols` : '';
      io.stderr(
        `${progressPrefix(e)} ${e.tier.padEnd(4)} ${e.weekStart}  ${e.outcome.padEnd(9)}${counts}  ${(e.ms / 1000).toFixed(1)}s${e.detail ? `  ${e.detail}` : ''}\n`,
      );
    },
  };
  const daily: DailyContext = {
    ...base,
    daily: store.daily,
    onProgress: (e) => {
      const counts = e.rows ? `  ${e.rows.toLocaleString('en-US')} rows` : '';
      io.stderr(
        `${progressPrefix(e)} day  ${e.tradeDate}  ${e.outcome.padEnd(13)}${counts}  ${(e.ms / 1000).toFixed(1)}s${e.detail ? `  ${e.detail}` : ''}\n`,
      );
    },
  };
  return fn(store, ctx, daily).finally(() => store.close());
}

/** The database read-only, as it is (no migration, no write): for commands that only read or copy it. */
export async function withReadOnlyDb<T>(path: string, fn: (db: Db) => T | Promise<T>): Promise<T> {
  const db = openDatabase(path, { readonly: true });
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}
