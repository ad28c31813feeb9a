// The SQLite connection: opened in one place, migrated, closed on shutdown. WAL lets the API read
// while an ingest writes, and keeps the last committed state readable after a crash.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ExactSum } from '../domain/exact-sum.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export interface OpenOptions {
  readonly?: boolean;
}

/** The store cannot be opened: one line naming the path and the cause (a bad DB_PATH is an operator's to fix). */
export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
}

export function openDatabase(path: string, options: OpenOptions = {}): Db {
  let db: Db | null = null;
  try {
    if (path !== ':memory:' && !options.readonly) makeParents(dirname(path));
    db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      // NORMAL in WAL mode never corrupts the database; a power loss may drop the last commit only.
      db.pragma('synchronous = NORMAL');
      migrate(db);
    }
    db.pragma('foreign_keys = ON');
    registerFunctions(db);
    return db;
  } catch (err) {
    db?.close();
    const code = (err as NodeJS.ErrnoException).code;
    const message = err instanceof Error ? err.message : String(err);
    const cause = code && !message.startsWith(code) ? `${code}: ${message}` : message;
    throw new StoreOpenError(`cannot open the store at ${path}: ${cause}`, { cause: err });
  }
}

/**
 * The store's folder and its missing parents, one level at a time: Node 20's recursive mkdir never
 * returns for some unwritable trees (/proc), and a bad DB_PATH must fail, not hang.
 */
function makeParents(dir: string): void {
  if (existsSync(dir)) return;
  makeParents(dirname(dir));
  mkdirSync(dir);
}

/** exact_sum(x): sum() without floating-point drift on fractional shares; NULL when every value is NULL. */
function registerFunctions(db: Db): void {
  db.aggregate('exact_sum', {
    start: () => new ExactSum(),
    step: (sum: ExactSum, value: unknown) => {
      if (typeof value === 'number') sum.add(value);
      else if (typeof value === 'bigint') sum.add(Number(value));
      return sum;
    },
    result: (sum: ExactSum) => (sum.empty ? null : sum.value()),
    deterministic: true,
  });
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`database schema version ${current} is newer than this build knows (${MIGRATIONS.length})`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v] as string);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
