// The store: one SQLite connection and the prepared statements that use it.
import { DataChanges } from './changes.js';
import { DailyStore } from './daily.js';
import { openDatabase, type Db, type OpenOptions } from './db.js';
import { IngestLock } from './lock.js';
import { Outbox } from './outbox.js';
import { Publisher, type PublishScorer, type SectorClassifier } from './publish.js';
import { RunLog } from './runs.js';
import { WeekStatus } from './status.js';

export class Store {
  private readonly changes: DataChanges;
  readonly publisher: Publisher;
  readonly runs: RunLog;
  readonly weeks: WeekStatus;
  readonly lock: IngestLock;
  readonly daily: DailyStore;
  readonly outbox: Outbox;

  constructor(
    readonly db: Db,
    readonly sectors: SectorClassifier,
    scorer: PublishScorer | null = null,
  ) {
    this.changes = new DataChanges(db);
    this.publisher = new Publisher(db, sectors, scorer, this.changes);
    this.daily = new DailyStore(db, this.changes);
    this.runs = new RunLog(db);
    this.weeks = new WeekStatus(db);
    this.lock = new IngestLock(db);
    this.outbox = new Outbox(db);
    if (!db.readonly) this.syncSectors();
  }

  /** `scorer`: what scores estimates in the publish transaction (the composition root supplies it). */
  /** Called after every publish that changed data, weekly or daily (readers in this process forget what they read). */
  onChange(listener: () => void): void {
    this.changes.on(listener);
  }

  static open(path: string, sectors: SectorClassifier, options: OpenOptions & { scorer?: (db: Db) => PublishScorer } = {}): Store {
    const db = openDatabase(path, options);
    return new Store(db, sectors, options.scorer?.(db) ?? null);
  }

  /** Re-classifies stored symbols when the sector table (or the ETP rule) changed since last time. */
  private syncSectors(): void {
    const key = 'sector_table_version';
    const stored = this.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(key);
    if (stored?.value === this.sectors.version) return;
    const symbols = this.db.prepare<[], { symbol: string; issue_name: string | null }>('SELECT symbol, issue_name FROM symbols').all();
    const update = this.db.prepare('UPDATE symbols SET sector = ?, sector_source = ? WHERE symbol = ?');
    this.db
      .transaction(() => {
        for (const s of symbols) {
          const a = this.sectors.classify(s.symbol, s.issue_name);
          update.run(a.sector, a.source, s.symbol);
        }
        this.db
          .prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
          .run(key, this.sectors.version);
      })
      .immediate();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
