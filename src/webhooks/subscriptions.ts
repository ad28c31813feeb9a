// Webhook subscriptions: a JSON file (WEBHOOKS_FILE) of [{ url, secret, events, symbols? }], read at
// start and again on SIGHUP. A file that does not parse keeps the subscriptions already loaded.
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const EVENT_TYPES = ['week.published', 'week.revised', 'daily.published', 'data.stale', 'symbol.unusual'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const subscriptionSchema = z.object({
  url: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
  secret: z.string().min(16, 'must be at least 16 characters (it signs every delivery)'),
  events: z.array(z.enum(EVENT_TYPES)).min(1),
  symbols: z
    .array(z.string().trim().min(1).max(20))
    .optional()
    .describe('symbol.unusual: only these symbols (as FINRA spells them); other events ignore it'),
});

export type Subscription = z.infer<typeof subscriptionSchema>;

export class SubscriptionsError extends Error {
  override name = 'SubscriptionsError';
}

export function readSubscriptions(path: string): Subscription[] {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new SubscriptionsError(`WEBHOOKS_FILE ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = z.array(subscriptionSchema).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new SubscriptionsError(`WEBHOOKS_FILE ${path}: [${issue.path.join('.')}] ${issue.message}`);
  }
  return parsed.data;
}

/** Whether a subscription wants an event: its type, and for symbol.unusual the symbol it watches. */
export function wants(s: Subscription, type: string, payload: { symbol?: unknown }): boolean {
  if (!(s.events as readonly string[]).includes(type)) return false;
  if (type === 'symbol.unusual' && s.symbols) return typeof payload.symbol === 'string' && s.symbols.includes(payload.symbol);
  return true;
}
