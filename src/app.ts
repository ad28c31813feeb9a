// buildApp: the Fastify instance with every route, schema and error path. It never listens and never
// reads process.env; server.ts runs it, tests inject requests into it.
import { randomUUID } from 'node:crypto';
import { getHeapStatistics } from 'node:v8';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type RawRequestDefaultExpression } from 'fastify';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { ApiKeys } from './api/api-keys.js';
import { classShareSlash } from './api/class-share.js';
import { compression } from './api/compression.js';
import { dailyRoutes } from './api/daily-routes.js';
import { darkpoolRoutes } from './api/darkpool-routes.js';
import { clientError, frameworkError, handleError, noDataContext, registerErrorHandling } from './api/errors.js';
import { healthRoutes } from './api/health-routes.js';
import { AccessLog } from './api/access-log.js';
import { requestLogger } from './api/request-logger.js';
import { cachedRevision, httpCache } from './api/http-cache.js';
import { metaRoutes } from './api/meta-routes.js';
import { methodNotAllowed, routeMethods } from './api/methods.js';
import { API_VERSION, openApiDocument } from './api/openapi.js';
import { strictParameters } from './api/parameters.js';
import { notFoundPage, pages, readDashboard, routeIndex } from './api/pages.js';
import { sharedCounters } from './api/rate-limit-store.js';
import { apiBoundary, keyRequired, security } from './api/security.js';
import { DEFAULT_TICKS_CONCURRENCY, DEFAULT_TICKS_MAX_BARS, DEFAULT_TICKS_MAX_BYTES, ticksRoutes } from './api/ticks-routes.js';
import type { Config } from './config.js';
import { EstimateScorer } from './estimate/scoring.js';
import { DailyReports } from './read/daily.js';
import { EstimateReports } from './read/estimates.js';
import { PointInTime } from './read/point-in-time.js';
import { Publications } from './read/feed.js';
import { HistoryMemory } from './read/history-memory.js';
import { Queries } from './read/queries.js';
import { Revisions } from './read/revisions.js';
import { Unusual } from './read/unusual.js';
import { healthReport } from './read/health.js';
import { WebhookDispatcher } from './webhooks/dispatcher.js';
import type { Subscription } from './webhooks/subscriptions.js';
import { FINRA_CREDIT } from './read/weekly.js';
import { WeekFiles } from './read/week-file.js';
import { Snapshot } from './read/snapshot.js';
import { Reports } from './read/weekly.js';
import type { Store } from './store/store.js';
import type { Tier } from './domain/tiers.js';

export interface AppDeps {
  store: Store;
  logger: Logger;
  /** The clock: health and caching depend on today's date. */
  now?: () => Date;
  /** When the next scheduled ingest fires (null when none is scheduled): HTTP max-age ends there. */
  nextIngestAt?: () => Date | null;
  /** With keys, every /darkpool request needs one; without, the API is open. */
  apiKeys?: ApiKeys | null;
  /** Upload limit of POST /ticks/analyze. */
  ticksMaxBytes?: number;
  /** The most candles one POST /ticks/analyze may make. */
  ticksMaxBars?: number;
  /** POST /ticks/analyze requests analysed at once. */
  ticksConcurrency?: number;
  /** Webhook subscriptions (read from WEBHOOKS_FILE by the server); without them nothing is delivered. */
  webhooks?: { subscriptions: () => readonly Subscription[]; allowPrivate: boolean; intervalMs?: number };
}

export type AppConfig = Pick<Config, 'TRUST_PROXY' | 'RATE_LIMIT_MAX' | 'RATE_LIMIT_WINDOW' | 'CORS_ORIGINS' | 'ANSWER_CACHE_MB'> &
  Partial<Pick<Config, 'RATE_LIMIT_REDIS_URL' | 'HISTORY_MEMORY_MB' | 'ACCESS_LOG'>>;

/** Defaults for callers (tests, tools) that do not care about the public-facing settings. */
export const OPEN_APP_CONFIG: AppConfig = {
  TRUST_PROXY: false,
  RATE_LIMIT_MAX: 0,
  RATE_LIMIT_WINDOW: '1 minute',
  CORS_ORIGINS: ['*'],
  ANSWER_CACHE_MB: 256,
};

/** Node sizes its heap limit to the machine's or container's memory: a quarter of it, at most 512 MB (12,300 symbols take about 300). */
function defaultHistoryMemoryMb(): number {
  return Math.min(512, Math.floor(getHeapStatistics().heap_size_limit / 4 / 1024 / 1024));
}

const REQUEST_ID = /^[\w.:-]{1,64}$/;

/** A hop count trusts that many proxies nearest to us (what Fastify does with a number). */
function trustProxy(setting: AppConfig['TRUST_PROXY']) {
  return typeof setting === 'number' ? (_address: string, hop: number) => hop < setting : setting;
}

/** How the server reads requests: routing, limits, timeouts and request ids (the benchmarks reuse them). */
export const SERVER_OPTIONS = {
  routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  rewriteUrl: (req: RawRequestDefaultExpression) => classShareSlash(req.url ?? '/'),
  // Deliberate limits: data requests carry no body (tape uploads set their own, larger limit);
  // a client gets 10 s to send its headers and 30 s for a whole request; idle keep-alive
  // connections live 65 s, past the 60 s idle timeout of common load balancers.
  bodyLimit: 64 * 1024,
  connectionTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 65_000,
  // A caller's X-Request-Id is kept when it is a sane token; otherwise we make one.
  requestIdHeader: false,
  genReqId: (req: RawRequestDefaultExpression) => {
    const given = req.headers['x-request-id'];
    return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  },
} as const;

export async function buildApp(config: AppConfig, deps: AppDeps): Promise<FastifyInstance> {
  const fastify = Fastify({
    ...SERVER_OPTIONS,
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new AccessLog(deps.logger as FastifyBaseLogger, config.ACCESS_LOG ?? false),
    childLoggerFactory: requestLogger,
    trustProxy: trustProxy(config.TRUST_PROXY),
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
  });
  fastify.setValidatorCompiler(validatorCompiler);
  // Answers are written as the handlers built them. Their shapes are the schemas' types, checked when
  // compiling, and test/api/contract.test.ts validates every route's answers against the OpenAPI
  // document. Encoding each answer through its zod schema again at run time took a third of a
  // 52-week history's cost.
  fastify.setSerializerCompiler(() => (data) => JSON.stringify(data));
  const apiKeys = deps.apiKeys ?? null;
  const dashboard = readDashboard(deps.logger);
  registerErrorHandling(fastify, apiKeys ? keyRequired(apiKeys) : undefined, notFoundPage(dashboard));
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  if (apiKeys) deps.logger.info({ keys: apiKeys.size }, 'API keys required on /darkpool');
  else deps.logger.warn('the API is open: no API_KEYS configured, /darkpool answers everyone');
  const methodsAt = routeMethods(fastify);
  await app.register(security, { corsOrigins: config.CORS_ORIGINS, methodsAt });
  methodNotAllowed(app, methodsAt);

  // The index at / lists the documented routes as they register: a new route appears there by itself.
  const documented = routeIndex(app);
  await openApiDocument(app);

  const now = deps.now ?? (() => new Date());
  const snapshot = new Snapshot(deps.store.db);
  const queries = new Queries(deps.store.db);
  const reports = new Reports(queries, snapshot);
  // Another process's publish is seen within a second (and by the snapshot at the next answer); this process's at once.
  const revision = cachedRevision(() => queries.datasetRevision(), 1000);
  const histories = new HistoryMemory(reports, queries, snapshot, {
    maxBytes: (config.HISTORY_MEMORY_MB ?? defaultHistoryMemoryMb()) * 1024 * 1024,
    logger: deps.logger,
    revision: () => revision.get().revision,
  });
  fastify.addHook('onReady', async () => histories.start());
  fastify.addHook('onClose', async () => histories.stop());
  const pointInTime = new PointInTime(deps.store.db.name);
  fastify.addHook('onClose', async () => pointInTime.close());
  const daily = new DailyReports(deps.store.db, snapshot);
  const estimates = new EstimateReports(deps.store.db, reports, daily, new EstimateScorer(deps.store.db), snapshot);
  deps.store.onChange(() => {
    revision.invalidate();
    snapshot.changed();
  });
  const unusual = new Unusual(reports, queries, snapshot);
  if (deps.webhooks) {
    const webhooks = deps.webhooks;
    const dispatcher = new WebhookDispatcher({
      outbox: deps.store.outbox,
      subscriptions: webhooks.subscriptions,
      allowPrivate: webhooks.allowPrivate,
      intervalMs: webhooks.intervalMs,
      logger: deps.logger,
      now,
      credit: { provider: FINRA_CREDIT.provider, terms: FINRA_CREDIT.terms },
      unusualOf: (week, tier) =>
        (['up', 'down'] as const).flatMap((direction) =>
          unusual.list({ week, tier: tier as Tier, direction }).data.map((record) => ({ symbol: record.ticker, direction, record })),
        ),
      staleTiers: () =>
        snapshot.read(() =>
          healthReport(queries, deps.store.runs, deps.store.daily, now())
            .tiers.filter((t) => t.stale && t.newest_week_start !== null)
            .map((t) => ({ tier: t.tier, newest_week_start: t.newest_week_start, next_expected_week_start: t.next_week_start })),
        ),
    });
    fastify.addHook('onReady', async () => dispatcher.start());
    fastify.addHook('onClose', async () => dispatcher.stop());
  }
  // The API: every route registered in this scope needs a key (when keys are configured) and is
  // rate limited, whatever spelling of its URL reached it. A new data route belongs here.
  await app.register(async (api) => {
    await apiBoundary(api, {
      apiKeys,
      rateLimit:
        config.RATE_LIMIT_MAX > 0
          ? {
              max: config.RATE_LIMIT_MAX,
              timeWindow: config.RATE_LIMIT_WINDOW,
              redis: await sharedCounters(fastify, config.RATE_LIMIT_REDIS_URL, deps.logger),
            }
          : null,
    });
    // After the boundary: a cached answer or a 304 is only for a caller the boundary let through.
    await api.register(httpCache, {
      revision: () => revision.get(),
      buildTag: `${API_VERSION}.${deps.store.sectors.version}`,
      nextIngestAt: deps.nextIngestAt ?? (() => null),
      now,
      privateCache: apiKeys !== null,
      memoryBytes: config.ANSWER_CACHE_MB * 1024 * 1024,
    });
    // After the cache: it keeps answers as they were serialized, and each encoding is made from them.
    await compression(api);
    await api.register(strictParameters);
    // Before any week is loaded, a data answer says why and when to ask again.
    const noData = noDataContext(deps.store.runs, deps.nextIngestAt ?? (() => null), now);
    api.setErrorHandler((err: FastifyError, req, reply) => handleError(noData(err), req, reply));
    await api.register(darkpoolRoutes, {
      reports,
      histories,
      reportsAsOf: (asOf) => pointInTime.reports(asOf),
      revisions: new Revisions(deps.store.db, reports, snapshot),
      weekFiles: new WeekFiles(deps.store.db.name),
      unusual,
      publications: new Publications(deps.store.db, snapshot),
      estimates,
      now,
    });
    await api.register(dailyRoutes, { daily, estimates });
    await api.register(ticksRoutes, {
      queries,
      maxBytes: deps.ticksMaxBytes ?? DEFAULT_TICKS_MAX_BYTES,
      maxBars: deps.ticksMaxBars ?? DEFAULT_TICKS_MAX_BARS,
      maxConcurrent: deps.ticksConcurrency ?? DEFAULT_TICKS_CONCURRENCY,
    });
  });
  // Probes and health: open to everyone, never counted (a load balancer must always get through).
  await app.register(healthRoutes, { queries, runs: deps.store.runs, daily: deps.store.daily, now });

  await app.register(metaRoutes);
  await app.register(pages, { dashboard, endpoints: documented });

  return fastify;
}
