// The store: one SQLite connection and the prepared statements that use it.
import { openDatabase, type Db, type OpenOptions } from './db.js';
import { Publisher } from './publish.js';
import { RunLog } from './runs.js';
import { WeekStatus } from './status.js';

export class Store {
  readonly publisher: Publisher;
  readonly runs: RunLog;
  readonly weeks: WeekStatus;

  constructor(readonly db: Db) {
    this.publisher = new Publisher(db);
    this.runs = new RunLog(db);
    this.weeks = new WeekStatus(db);
  }

  static open(path: string, options?: OpenOptions): Store {
    return new Store(openDatabase(path, options));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
