// The webhook outbox: events written with the data changes they announce (DataChanges.event), then
// fanned out once to the subscriptions of the moment and delivered, at least once, with retries.
import type { Db } from './db.js';

/** An event into the outbox; its id makes a second announcement of the same change a no-op. */
export const APPEND_EVENT = 'INSERT OR IGNORE INTO event_outbox (id, type, created_at, payload) VALUES (?, ?, ?, ?)';

export interface OutboxEvent {
  id: string;
  type: string;
  created_at: string;
  payload: string;
}

export interface Delivery {
  event_id: string;
  url: string;
  attempts: number;
  type: string;
  created_at: string;
  payload: string;
}

export interface DeadDelivery {
  event_id: string;
  url: string;
  attempts: number;
  last_error: string | null;
  next_at: string;
}

export class Outbox {
  private readonly s;
  private readonly fanOutTx;

  constructor(db: Db) {
    this.s = {
      unfanned: db.prepare<[number], OutboxEvent>(
        'SELECT id, type, created_at, payload FROM event_outbox WHERE fanned_out = 0 ORDER BY seq LIMIT ?',
      ),
      addDelivery: db.prepare("INSERT OR IGNORE INTO webhook_deliveries (event_id, url, status, next_at) VALUES (?, ?, 'pending', ?)"),
      markFanned: db.prepare('UPDATE event_outbox SET fanned_out = 1 WHERE id = ?'),
      append: db.prepare(APPEND_EVENT),
      due: db.prepare<[string, number], Delivery>(
        `SELECT d.event_id, d.url, d.attempts, e.type, e.created_at, e.payload
         FROM webhook_deliveries d JOIN event_outbox e ON e.id = d.event_id
         WHERE d.status = 'pending' AND d.next_at <= ? ORDER BY d.next_at LIMIT ?`,
      ),
      delivered: db.prepare(
        "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL WHERE event_id = ? AND url = ?",
      ),
      retry: db.prepare(
        'UPDATE webhook_deliveries SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE event_id = ? AND url = ?',
      ),
      dead: db.prepare(
        "UPDATE webhook_deliveries SET status = 'dead', attempts = attempts + 1, last_error = ? WHERE event_id = ? AND url = ?",
      ),
      deadList: db.prepare<[number], DeadDelivery>(
        "SELECT event_id, url, attempts, last_error, next_at FROM webhook_deliveries WHERE status = 'dead' ORDER BY next_at DESC LIMIT ?",
      ),
      counts: db.prepare<[], { status: string; n: number }>('SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status'),
    };
    this.fanOutTx = db.transaction((eventId: string, urls: readonly string[], now: string) => {
      for (const url of urls) this.s.addDelivery.run(eventId, url, now);
      this.s.markFanned.run(eventId);
    });
  }

  /** Events not fanned out yet, oldest first. */
  unfanned(limit = 100): OutboxEvent[] {
    return this.s.unfanned.all(limit);
  }

  /** One delivery per subscribed URL, and the event marked fanned out: together or not at all. */
  fanOut(eventId: string, urls: readonly string[], now: string): void {
    this.fanOutTx.immediate(eventId, urls, now);
  }

  /** An event derived from another (symbol.unusual from a week publication); its id makes it once only. */
  append(id: string, type: string, payload: Record<string, unknown>, now: string): void {
    this.s.append.run(id, type, now, JSON.stringify(payload));
  }

  due(now: string, limit = 50): Delivery[] {
    return this.s.due.all(now, limit);
  }

  delivered(d: Pick<Delivery, 'event_id' | 'url'>, now: string): void {
    this.s.delivered.run(now, d.event_id, d.url);
  }

  retryAt(d: Pick<Delivery, 'event_id' | 'url'>, at: string, error: string): void {
    this.s.retry.run(at, error, d.event_id, d.url);
  }

  giveUp(d: Pick<Delivery, 'event_id' | 'url'>, error: string): void {
    this.s.dead.run(error, d.event_id, d.url);
  }

  /** The dead letters: deliveries given up after retrying for a day, newest first. */
  deadLetters(limit = 20): DeadDelivery[] {
    return this.s.deadList.all(limit);
  }

  counts(): Record<'pending' | 'delivered' | 'dead', number> {
    const out = { pending: 0, delivered: 0, dead: 0 };
    for (const r of this.s.counts.all()) out[r.status as keyof typeof out] = r.n;
    return out;
  }
}
