// `darkpool-radar backup FILE`: a consistent copy of the live store.
import { existsSync, realpathSync } from 'node:fs';
import type { Config } from '../../config.js';
import { openDatabase } from '../../store/db.js';
import { parse, UsageError } from '../args.js';
import type { Io } from '../output.js';
import { withReadOnlyDb } from '../store.js';

/** SQLite's online backup: a consistent snapshot while the server reads and an ingest writes. */
export async function backupCommand(args: string[], config: Config, io: Io): Promise<number> {
  const { values, positionals } = parse(args, { force: { type: 'boolean' } });
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new UsageError('backup needs exactly one FILE');
  if (existsSync(file) && existsSync(config.DB_PATH) && realpathSync(file) === realpathSync(config.DB_PATH)) {
    throw new UsageError(`${file} is the live store itself (DB_PATH); back it up to another file`);
  }
  if (existsSync(file) && !values.force) throw new UsageError(`${file} exists; give --force to overwrite it`);
  return withReadOnlyDb(config.DB_PATH, async (db) => {
    const started = performance.now();
    const { totalPages } = await db.backup(file);
    const copy = openDatabase(file, { readonly: true });
    try {
      const check = copy.pragma('integrity_check', { simple: true });
      if (check !== 'ok') throw new Error(`the copy failed its integrity check: ${String(check)}`);
      const weeks = copy.prepare<[], { n: number }>('SELECT count(*) AS n FROM weeks').get()?.n ?? 0;
      io.stdout(
        `backed up ${config.DB_PATH} to ${file}: ${totalPages} pages, ${weeks} weeks, integrity ok, ${Math.round(performance.now() - started)} ms\n`,
      );
    } finally {
      copy.close();
    }
    return 0;
  });
}
