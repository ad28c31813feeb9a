// Process entry: config -> store -> buildApp -> listen, plus the ingest schedule; graceful shutdown.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { ApiKeys } from './api/api-keys.js';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { IngestScheduler } from './ingest/scheduler.js';
import { createLogger } from './logger.js';
import { SectorTable } from './sectors/table.js';
import { openStore } from './compose.js';
import { readSubscriptions } from './webhooks/subscriptions.js';

export interface ServeOptions {
  /** Run the scheduled ingest (and an immediate one when the store is empty). */
  schedule: boolean;
  /** Where logs go (default: standard output, as JSON lines). */
  logs?: DestinationStream;
}

export interface Running {
  app: FastifyInstance;
  url: string;
  close: () => Promise<void>;
  /** Reads WEBHOOKS_FILE again (SIGHUP). */
  reloadWebhooks: () => void;
}

const SHUTDOWN_GRACE_MS = 8_000;

export async function serve(config: Config, options: ServeOptions): Promise<Running> {
  const logger = createLogger(config.LOG_LEVEL, options.logs);
  // Keys first: a bad key setting stops the start before anything is opened.
  const apiKeys = ApiKeys.fromConfig(config.API_KEYS, config.API_KEYS_FILE);
  const store = openStore(config.DB_PATH, SectorTable.load());
  const scheduler = options.schedule
    ? new IngestScheduler({ cron: config.INGEST_CRON, logger, hasData: () => store.weeks.loadedWeeks().some((w) => w.coverage === 'full') })
    : null;
  // Subscriptions are read now (a bad file stops the start) and again on SIGHUP (a bad file then keeps the old ones).
  let subscriptions = config.WEBHOOKS_FILE ? readSubscriptions(config.WEBHOOKS_FILE) : [];
  const reloadWebhooks = () => {
    if (!config.WEBHOOKS_FILE) return;
    try {
      subscriptions = readSubscriptions(config.WEBHOOKS_FILE);
      logger.info({ subscriptions: subscriptions.length }, 'webhook subscriptions reloaded');
    } catch (err) {
      logger.error({ err }, 'webhook subscriptions not reloaded: the file is not valid; the previous ones stay');
    }
  };
  const app = await buildApp(config, {
    store,
    logger,
    apiKeys,
    nextIngestAt: () => scheduler?.nextRun() ?? null,
    webhooks: config.WEBHOOKS_FILE ? { subscriptions: () => subscriptions, allowPrivate: config.WEBHOOKS_ALLOW_PRIVATE } : undefined,
  });

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      logger.info('shutting down: no new connections, finishing requests in flight');
      await scheduler?.stop();
      // Waits for in-flight requests, but a client that stops reading a response must not hold the
      // process past Docker's 10 s stop timeout: after the grace period its connection is cut.
      const cut = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
      await app.close();
      clearTimeout(cut);
      store.close();
      logger.info('stopped');
    })());

  let url: string;
  try {
    url = await app.listen({ port: config.PORT, host: config.HOST });
  } catch (err) {
    // A port in use (or not ours to take): nothing is left open behind the error.
    await close();
    throw err;
  }
  scheduler?.start();
  return { app, url, close, reloadWebhooks };
}

/** SIGTERM/SIGINT close gracefully; a second signal exits at once. */
export function closeOnSignals(running: Running): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    running.app.log.info({ signal }, 'signal received');
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        running.app.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', () => running.reloadWebhooks());
}

async function main() {
  try {
    closeOnSignals(await serve(loadConfig(process.env), { schedule: true }));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
}

const invokedPath = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invokedPath === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
