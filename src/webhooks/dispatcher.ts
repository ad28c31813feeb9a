// Webhook delivery: events from the store's outbox (written in the same transaction as the data change,
// by whichever process made it) are fanned out once to the subscriptions of the moment, then POSTed,
// signed, at least once: a network error or a non-2xx answer is retried with exponential backoff (the
// first retry 5 s later) for 24 hours, after which the delivery is a dead letter (`status` lists them).
// Receivers deduplicate on the event id (X-DarkPool-Event-Id).
import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import { PACKAGE_VERSION, PROJECT_URL } from '../package-info.js';
import type { Delivery, Outbox } from '../store/outbox.js';
import { isPublicAddress, literalAddress, publicOnlyLookup } from './address.js';
import { wants, type Subscription } from './subscriptions.js';

const FIRST_RETRY_MS = 5_000;
const MAX_RETRY_MS = 3_600_000;
const GIVE_UP_AFTER_MS = 24 * 3_600_000;
const TIMEOUT_MS = 10_000;

/** `X-DarkPool-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body" with the subscription's secret>`. */
export function signature(secret: string, unixSeconds: number, body: string): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/** A week publication's derived events: the unusual symbols of that tier-week (read/unusual.ts). */
export type UnusualOf = (weekStart: string, tier: string) => { symbol: string; direction: 'up' | 'down'; record: object }[];
/** Tiers whose data is stale now, with their newest week (read/health.ts). */
export type StaleTiers = () => { tier: string; newest_week_start: string | null; next_expected_week_start: string }[];

export interface DispatcherOptions {
  outbox: Outbox;
  subscriptions: () => readonly Subscription[];
  unusualOf: UnusualOf;
  staleTiers: StaleTiers;
  logger: Logger;
  allowPrivate: boolean;
  now?: () => Date;
  intervalMs?: number;
  /** Credit carried by every delivery: FINRA owns the data. */
  credit: { provider: string; terms: string };
}

export class WebhookDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly agent: Agent;
  private readonly now: () => Date;

  constructor(private readonly o: DispatcherOptions) {
    this.now = o.now ?? (() => new Date());
    this.agent = new Agent({ connect: o.allowPrivate ? {} : { lookup: publicOnlyLookup } });
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.o.intervalMs ?? 1_000).unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    await this.agent.close();
  }

  /** One pass: new events fanned out, due deliveries sent. Passes never overlap. */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<void> {
    const subscriptions = this.o.subscriptions();
    if (subscriptions.length === 0) return;
    const now = this.now().toISOString();
    try {
      this.announceStale(subscriptions, now);
      for (const event of this.o.outbox.unfanned()) {
        const payload = JSON.parse(event.payload) as Record<string, unknown>;
        if ((event.type === 'week.published' || event.type === 'week.revised') && payload.coverage === 'full') {
          this.deriveUnusual(subscriptions, payload, now);
        }
        const urls = [...new Set(subscriptions.filter((s) => wants(s, event.type, payload)).map((s) => s.url))];
        this.o.outbox.fanOut(event.id, urls, now);
      }
    } catch (err) {
      this.o.logger.error({ err }, 'webhooks: the outbox could not be read');
      return;
    }
    for (const d of this.o.outbox.due(now)) await this.deliver(d, subscriptions);
  }

  /** symbol.unusual for the watched symbols in a newly published week's unusual list (once per week, tier and symbol). */
  private deriveUnusual(subscriptions: readonly Subscription[], week: Record<string, unknown>, now: string) {
    const watching = subscriptions.filter((s) => s.events.includes('symbol.unusual'));
    if (watching.length === 0) return;
    for (const u of this.o.unusualOf(String(week.week_start), String(week.tier))) {
      if (!watching.some((s) => wants(s, 'symbol.unusual', { symbol: u.symbol }))) continue;
      this.o.outbox.append(
        `unusual:${String(week.week_start)}:${String(week.tier)}:${u.symbol}:${u.direction}`,
        'symbol.unusual',
        { symbol: u.symbol, direction: u.direction, week_start: week.week_start, tier: week.tier, record: u.record },
        now,
      );
    }
  }

  /** data.stale once per tier and newest week while the tier stays stale. */
  private announceStale(subscriptions: readonly Subscription[], now: string) {
    if (!subscriptions.some((s) => s.events.includes('data.stale'))) return;
    for (const t of this.o.staleTiers()) {
      this.o.outbox.append(`stale:${t.tier}:${t.newest_week_start ?? 'none'}`, 'data.stale', t, now);
    }
  }

  private async deliver(d: Delivery, subscriptions: readonly Subscription[]): Promise<void> {
    const sub = subscriptions.find((s) => s.url === d.url);
    if (!sub) return this.o.outbox.giveUp(d, 'no subscription has this URL any more');
    const url = new URL(d.url);
    const literal = literalAddress(url);
    if (literal && !this.o.allowPrivate && !isPublicAddress(literal)) {
      return this.o.outbox.giveUp(d, `${literal} is not a public address (WEBHOOKS_ALLOW_PRIVATE is off)`);
    }
    const body = JSON.stringify({
      id: d.event_id,
      type: d.type,
      created_at: d.created_at,
      data: JSON.parse(d.payload),
      source: this.o.credit,
    });
    const t = Math.floor(this.now().getTime() / 1000);
    let error: string;
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: this.agent,
        headers: {
          'content-type': 'application/json',
          'user-agent': `darkpool-radar/${PACKAGE_VERSION} (+${PROJECT_URL})`,
          'x-darkpool-event-id': d.event_id,
          'x-darkpool-event-type': d.type,
          'x-darkpool-signature': signature(sub.secret, t, body),
        },
        body,
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
      });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) {
        this.o.outbox.delivered(d, this.now().toISOString());
        this.o.logger.info({ event: d.event_id, type: d.type, url: d.url }, 'webhook delivered');
        return;
      }
      error = `HTTP ${res.statusCode}`;
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    const delay = Math.min(FIRST_RETRY_MS * 2 ** d.attempts, MAX_RETRY_MS);
    const next = this.now().getTime() + delay;
    if (next - Date.parse(d.created_at) > GIVE_UP_AFTER_MS) {
      this.o.logger.error(
        { event: d.event_id, url: d.url, attempts: d.attempts + 1, error },
        'webhook given up after 24 hours: a dead letter',
      );
      return this.o.outbox.giveUp(d, error);
    }
    this.o.logger.warn(
      { event: d.event_id, url: d.url, attempts: d.attempts + 1, error, retryInMs: delay },
      'webhook delivery failed; will retry',
    );
    this.o.outbox.retryAt(d, new Date(next).toISOString(), error);
  }
}
