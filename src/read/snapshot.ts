// One read transaction per answer, shared by every read model on a connection: an answer sees one
// snapshot of the data even while an ingest commits. What read models keep in memory is forgotten when
// the data changes: in another process (SQLite's data_version moves) or in this one (changed()).
import type { Db } from '../store/db.js';

export class Snapshot {
  private version = -1;
  private readonly forgets: (() => void)[] = [];
  private readonly tx: (fn: () => unknown) => unknown;

  constructor(db: Db) {
    const dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.tx = db.transaction((fn: () => unknown) => {
      // data_version only moves for other connections' commits; this process calls changed().
      const version = dataVersion.get()!;
      if (version !== this.version) {
        this.version = version;
        this.changed();
      }
      return fn();
    });
  }

  /** Runs an answer's reads in one transaction (nested calls share it). */
  read<T>(fn: () => T): T {
    return this.tx(fn) as T;
  }

  /** Registers what to forget when the data changes. */
  onChange(forget: () => void): void {
    this.forgets.push(forget);
  }

  /** The data changed on this connection: forget what was read. */
  changed(): void {
    for (const forget of this.forgets) forget();
  }
}
