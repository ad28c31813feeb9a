// The store's one change event. Every publish that changes served data (a week or a day) moves the
// dataset revision in its own transaction, so that HTTP caches and in-memory answers validate against
// it whichever process made the change; after the commit, listeners in this process hear of it at once.
import type { Db } from './db.js';
import { APPEND_EVENT } from './outbox.js';

const BUMP_DATASET_REVISION = `INSERT INTO meta (key, value) VALUES ('dataset_revision', '1'), ('dataset_updated_at', @now)
  ON CONFLICT (key) DO UPDATE SET value = CASE key
    WHEN 'dataset_revision' THEN CAST(CAST(value AS INTEGER) + 1 AS TEXT) ELSE excluded.value END`;

export class DataChanges {
  private readonly bump;
  private readonly append;
  private readonly listeners: (() => void)[] = [];

  constructor(db: Db) {
    this.bump = db.prepare(BUMP_DATASET_REVISION);
    this.append = db.prepare(APPEND_EVENT);
  }

  /** Inside the publishing transaction. */
  record(now: string): void {
    this.bump.run({ now });
  }

  /**
   * An event announcing the change, inside the same transaction (the webhook outbox): committed with
   * the data or not at all. `id` is stable for the change, so that announcing it twice is a no-op.
   */
  event(id: string, type: string, payload: Record<string, unknown>, now: string): void {
    this.append.run(id, type, now, JSON.stringify(payload));
  }

  /** After the commit of a change. */
  notify(): void {
    for (const listener of this.listeners) listener();
  }

  on(listener: () => void): void {
    this.listeners.push(listener);
  }
}
