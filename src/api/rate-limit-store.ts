import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * The Redis that replicas share their rate-limit counters in (RATE_LIMIT_REDIS_URL), opened here and
 * closed with the app; null: counters in this process's memory. A Redis that cannot be reached lets
 * requests through uncounted (logged) rather than refusing every caller.
 */
export async function sharedCounters(app: FastifyInstance, url: string | undefined, logger: Logger): Promise<Redis | null> {
  if (!url) return null;
  const redis = new Redis(url, { connectTimeout: 2_000, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  let failing = false;
  redis.on('error', (err: Error) => {
    if (!failing) logger.warn({ err: err.message }, 'rate-limit Redis unreachable: requests pass uncounted until it is back');
    failing = true;
  });
  redis.on('ready', () => {
    if (failing) logger.info('rate-limit Redis reachable again');
    failing = false;
  });
  app.addHook('onClose', async () => {
    redis.disconnect();
  });
  // The first requests are counted too: wait for the connection (a little), then serve regardless.
  await Promise.race([once(redis, 'ready'), delay(2_000, undefined, { ref: false })]).catch(() => {});
  return redis;
}
