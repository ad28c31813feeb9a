// buildApp: the Fastify instance with every route, schema and error path. It never listens and never
// reads process.env; server.ts runs it, tests inject requests into it.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { constants as zlibConstants } from 'node:zlib';
import fastifyCompress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import { Redis } from 'ioredis';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest, type onSendHookHandler } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ApiKeys } from './api/api-keys.js';
import { dailyRoutes } from './api/daily-routes.js';
import { darkpoolRoutes } from './api/darkpool-routes.js';
import { clientError, frameworkError, handleError, registerErrorHandling } from './api/errors.js';
import { healthRoutes } from './api/health-routes.js';
import { cachedRevision, httpCache } from './api/http-cache.js';
import { ok, PROBLEM_CODES, problemResponses, ProblemError, type ProblemCode } from './api/problems.js';
import { apiBoundary, keyRequired, PAGE_HEADER_VALUES, pageHeaders, security } from './api/security.js';
import { DEFAULT_TICKS_MAX_BYTES, ticksRoutes } from './api/ticks-routes.js';
import type { Config } from './config.js';
import { DailyReports } from './read/daily.js';
import { EstimateScorer } from './estimate/scoring.js';
import { EstimateReports } from './read/estimates.js';
import { Queries } from './read/queries.js';
import { Snapshot } from './read/snapshot.js';
import { FINRA_CREDIT, Reports } from './read/weekly.js';
import type { RunLog } from './store/runs.js';
import type { Store } from './store/store.js';

export const API_VERSION = '1.0.0';

/** The methods routes here answer (OPTIONS aside, which CORS answers for every path). */
const ROUTE_METHODS = ['GET', 'HEAD', 'POST'] as const;

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
}

export type AppConfig = Pick<Config, 'TRUST_PROXY' | 'RATE_LIMIT_MAX' | 'RATE_LIMIT_WINDOW' | 'CORS_ORIGINS' | 'ANSWER_CACHE_MB'> &
  Partial<Pick<Config, 'RATE_LIMIT_REDIS_URL'>>;

/** Defaults for callers (tests, tools) that do not care about the public-facing settings. */
export const OPEN_APP_CONFIG: AppConfig = { TRUST_PROXY: false, RATE_LIMIT_MAX: 0, RATE_LIMIT_WINDOW: '1 minute', CORS_ORIGINS: ['*'], ANSWER_CACHE_MB: 256 };

const REQUEST_ID = /^[\w.:-]{1,64}$/;

/**
 * The zod transform emits an input and an output variant of every named schema; requests here
 * carry no bodies, so the input variants are never referenced. Drop what nothing points to.
 */
type OpenApiDocument = ReturnType<typeof jsonSchemaTransformObject>;

function withoutUnusedSchemas(doc: OpenApiDocument): OpenApiDocument {
  const components = (doc as { components?: { schemas?: Record<string, unknown> } }).components;
  const schemas = components?.schemas;
  if (!schemas) return doc;
  const used = new Set<string>();
  const visit = (value: unknown) => {
    const text = JSON.stringify(value);
    for (const m of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      if (!used.has(m[1]!)) {
        used.add(m[1]!);
        visit(schemas[m[1]!]);
      }
    }
  };
  visit({ ...doc, components: { ...components, schemas: {} } });
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...doc, components: { ...components, schemas: kept } } as OpenApiDocument;
}

const CLASS_SHARE_PATH = /^(\/darkpool\/(?:weekly|ratio|history|daily|estimate)\/)([A-Za-z0-9]{1,10})\/([A-Za-z0-9]{1,5})\/?(\?.*)?$/;

/** `/darkpool/weekly/BRK/B` (the slash unencoded, as people type it) means the ticker BRK/B. */
export function classShareSlash(url: string): string {
  return url.replace(CLASS_SHARE_PATH, (_m, prefix: string, base: string, cls: string, query?: string) => `${prefix}${base}%2F${cls}${query ?? ''}`);
}

/**
 * gzip or brotli, as the client asks, for bodies over 1 KiB: JSON, problems, CSV, the dashboard's HTML,
 * scripts and styles. Brotli at quality 4 costs about what gzip does. A compressed answer is another
 * representation of the same data: its ETag becomes weak (If-None-Match compares weakly, so it still
 * answers 304).
 */
async function compression(scope: FastifyInstance): Promise<void> {
  await scope.register(fastifyCompress, {
    encodings: ['br', 'gzip'],
    threshold: 1024,
    brotliOptions: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } },
    customTypes: /^(application\/(json|problem\+json|javascript)|text\/(csv|html|css|javascript))\b/,
    globalDecompression: false,
  });
  // The plugin compresses in a hook of each route, after the scope's hooks: this one follows it.
  const weakWhenEncoded: onSendHookHandler = (_req, reply, payload, done) => {
    const etag = reply.getHeader('etag');
    if (reply.getHeader('content-encoding') && typeof etag === 'string' && !etag.startsWith('W/')) reply.header('etag', `W/${etag}`);
    done(null, payload);
  };
  scope.addHook('onRoute', (route) => {
    route.onSend = [...(route.onSend ? [route.onSend].flat() : []), weakWhenEncoded];
  });
}

/**
 * The Redis that replicas share their rate-limit counters in (RATE_LIMIT_REDIS_URL), opened here and
 * closed with the app; null: counters in this process's memory. A Redis that cannot be reached lets
 * requests through uncounted (logged) rather than refusing every caller.
 */
async function sharedCounters(app: FastifyInstance, config: AppConfig, logger: Logger): Promise<Redis | null> {
  if (!config.RATE_LIMIT_REDIS_URL) return null;
  const redis = new Redis(config.RATE_LIMIT_REDIS_URL, { connectTimeout: 2_000, maxRetriesPerRequest: 1, enableOfflineQueue: false });
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

/**
 * `503 no_data` with what a client can act on: the last ingest's failure, when the next one is due
 * (`Retry-After`), or that none is scheduled.
 */
function noDataContext(runs: RunLog, nextIngestAt: () => Date | null, now: () => Date) {
  return (err: FastifyError): FastifyError => {
    if (!(err instanceof ProblemError) || err.code !== 'no_data') return err;
    const last = runs.lastFinished('weekly');
    let why = '';
    if (last && last.status !== 'ok') {
      const summary = JSON.parse(last.summary ?? '{}') as { error?: string; weeks?: { detail: string | null }[] };
      const cause = summary.error ?? summary.weeks?.find((w) => w.detail)?.detail ?? last.status;
      why = ` The last ingest (finished ${last.finished_at}) loaded nothing: ${cause}.`;
    }
    const next = nextIngestAt();
    if (!next) return new ProblemError('no_data', `${err.detail}${why} No ingest is scheduled (INGEST_CRON=off): load data with \`darkpool-radar import\`.`);
    const seconds = Math.max(1, Math.ceil((next.getTime() - now().getTime()) / 1000));
    return new ProblemError('no_data', `${err.detail}${why} The next ingest is due at ${next.toISOString()}.`, {
      headers: { 'retry-after': String(seconds) },
    });
  };
}

/** A hop count trusts that many proxies nearest to us (what Fastify does with a number). */
function trustProxy(setting: AppConfig['TRUST_PROXY']) {
  return typeof setting === 'number' ? (_address: string, hop: number) => hop < setting : setting;
}

export async function buildApp(config: AppConfig, deps: AppDeps): Promise<FastifyInstance> {
  const fastify = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    trustProxy: trustProxy(config.TRUST_PROXY),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    rewriteUrl: (req) => classShareSlash(req.url ?? '/'),
    // Deliberate limits: data requests carry no body (tape uploads set their own, larger limit);
    // a client gets 10 s to send its headers and 30 s for a whole request; idle keep-alive
    // connections live 65 s, past the 60 s idle timeout of common load balancers.
    bodyLimit: 64 * 1024,
    connectionTimeout: 10_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 65_000,
    // A caller's X-Request-Id is kept when it is a sane token; otherwise we make one.
    requestIdHeader: false,
    frameworkErrors: frameworkError,
    clientErrorHandler: clientError,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  fastify.setValidatorCompiler(validatorCompiler);
  fastify.setSerializerCompiler(serializerCompiler);
  const apiKeys = deps.apiKeys ?? null;
  const dashboard = readDashboard(deps.logger);
  // A browser asking for a page that does not exist gets the dashboard, which shows its not-found page.
  const notFoundPage = (req: FastifyRequest) =>
    dashboard && (req.method === 'GET' || req.method === 'HEAD') && prefersHtml(req.headers.accept) ? { body: dashboard, headers: PAGE_HEADER_VALUES } : null;
  registerErrorHandling(fastify, apiKeys ? keyRequired(apiKeys) : undefined, notFoundPage);
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  if (apiKeys) deps.logger.info({ keys: apiKeys.size }, 'API keys required on /darkpool');
  else deps.logger.warn('the API is open: no API_KEYS configured, /darkpool answers everyone');
  // The methods the router has a route for at a path: what a 405 lists and a CORS preflight advertises.
  const methodsAt = (path: string) => ROUTE_METHODS.filter((method) => fastify.findRoute({ method, url: path }) !== null);
  await app.register(security, { corsOrigins: config.CORS_ORIGINS, methodsAt });
  // A method no route of the path answers is a 405 naming the ones that do, before any body is read
  // (a body of any type is refused as the method it came with, not as a 415); TRACE is one everywhere.
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.url !== undefined && req.method !== 'TRACE') return;
    const allowed = methodsAt(req.url.split('?')[0]!);
    if (req.method !== 'TRACE' && allowed.length === 0) return; // no route at all: the 404 handler's
    throw new ProblemError('method_not_allowed', `${req.method} is not allowed here; use ${allowed.join(' or ') || 'GET'}.`, {
      headers: { allow: [...allowed, 'OPTIONS'].join(', ') },
    });
  });

  // The index at / lists the documented routes as they register: a new route appears there by itself.
  const documented: string[] = [];
  app.addHook('onRoute', (route) => {
    const methods = ([] as string[]).concat(route.method).filter((m) => m === 'GET' || m === 'POST');
    if ((route.schema as { hide?: boolean } | undefined)?.hide || !methods.length) return;
    documented.push(...methods.map((m) => `${m} ${route.url.replace(/:(\w+)/g, '{$1}')}`));
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'DarkPool Radar API',
        version: API_VERSION,
        description:
          'Where US stocks trade in alternative trading systems (dark pools), week by week, from FINRA OTC ' +
          `Transparency data. ${FINRA_CREDIT.terms} Errors are RFC 9457 problem details (application/problem+json) ` +
          'with a stable `code`.',
        license: { name: 'Data: FINRA terms of use', url: 'https://www.finra.org/finra-data' },
      },
      components: {
        securitySchemes: {
          bearerKey: { type: 'http', scheme: 'bearer', description: 'An API key, when the server requires one (API_KEYS)' },
          headerKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      tags: [
        { name: 'darkpool', description: 'Weekly ATS volume per symbol, sector and week' },
        { name: 'daily', description: "FINRA's daily off-exchange volume, and labelled estimates of the weeks FINRA has not published yet" },
        { name: 'health', description: 'Liveness, readiness, data freshness' },
        { name: 'ticks', description: 'Consolidated-tape trade analysis' },
        { name: 'meta', description: 'Documentation of error codes' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: (doc) => withoutUnusedSchemas(jsonSchemaTransformObject(doc)),
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  const now = deps.now ?? (() => new Date());
  const snapshot = new Snapshot(deps.store.db);
  const queries = new Queries(deps.store.db);
  const reports = new Reports(queries, snapshot);
  const daily = new DailyReports(deps.store.db, snapshot);
  const estimates = new EstimateReports(deps.store.db, reports, daily, new EstimateScorer(deps.store.db), snapshot);
  // Another process's publish is seen within a second (and by the snapshot at the next answer); this process's at once.
  const revision = cachedRevision(() => queries.datasetRevision(), 1000);
  deps.store.onChange(() => {
    revision.invalidate();
    snapshot.changed();
  });
  // The API: every route registered in this scope needs a key (when keys are configured) and is
  // rate limited, whatever spelling of its URL reached it. A new data route belongs here.
  await app.register(async (api) => {
    await apiBoundary(api, {
      apiKeys,
      rateLimit:
        config.RATE_LIMIT_MAX > 0 ? { max: config.RATE_LIMIT_MAX, timeWindow: config.RATE_LIMIT_WINDOW, redis: await sharedCounters(fastify, config, deps.logger) } : null,
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
    // Before any week is loaded, a data answer says why and when to ask again.
    const noData = noDataContext(deps.store.runs, deps.nextIngestAt ?? (() => null), now);
    api.setErrorHandler((err: FastifyError, req, reply) => handleError(noData(err), req, reply));
    await api.register(darkpoolRoutes, { reports, estimates, now });
    await api.register(dailyRoutes, { daily, estimates });
    await api.register(ticksRoutes, { queries, maxBytes: deps.ticksMaxBytes ?? DEFAULT_TICKS_MAX_BYTES });

  });
  // Probes and health: open to everyone, never counted (a load balancer must always get through).
  await app.register(healthRoutes, { queries, runs: deps.store.runs, daily: deps.store.daily, now });

  app.get(
    '/problems/:code',
    {
      schema: {
        tags: ['meta'],
        summary: 'What an error code means (the `type` of every problem response points here)',
        params: z.object({ code: z.string() }),
        response: {
          ...ok(
            z.object({ code: z.string(), status: z.number().int(), title: z.string(), description: z.string() }).meta({ id: 'ProblemType' }),
            'The meaning of the code',
          ),
          ...problemResponses(404),
        },
      },
    },
    async (req) => {
      if (!Object.hasOwn(PROBLEM_CODES, req.params.code)) {
        throw new ProblemError('not_found', `There is no problem type "${req.params.code}".`);
      }
      const entry = PROBLEM_CODES[req.params.code as ProblemCode];
      return { code: req.params.code, status: entry.status, title: entry.title, description: entry.description };
    },
  );

  // Pages (the dashboard and its assets, Swagger UI): page headers, no key, never counted, so that the
  // dashboard keeps loading after a client has spent its API limit.
  await app.register(async (pages) => {
    pageHeaders(pages);
    await compression(pages);
    await pages.register(fastifySwaggerUi, { routePrefix: '/docs' });
    if (dashboard) await pages.register(fastifyStatic, { root: `${WEB_DIR}assets`, prefix: '/assets/', decorateReply: false, schemaHide: true });
    // Browsers get the dashboard; API clients (curl, scripts) get this index of the API.
    pages.get('/', { schema: { hide: true } }, async (req, reply) => {
      reply.header('vary', 'Accept');
      if (dashboard && prefersHtml(req.headers.accept)) return reply.type('text/html; charset=utf-8').send(dashboard);
      return apiIndex;
    });
  });
  const apiIndex = {
    name: 'DarkPool Radar',
    description: 'Weekly ATS (dark pool) volume for US equities, from FINRA OTC Transparency data',
    docs: '/docs',
    openapi: '/openapi.json',
    endpoints: documented,
    source: FINRA_CREDIT,
  };

  return fastify;
}

/** The dashboard, built by `npm run build` into dist/web; null (and a warning) when it is not built. */
const WEB_DIR = fileURLToPath(new URL('../dist/web/', import.meta.url));

function readDashboard(logger: Logger): string | null {
  if (!existsSync(`${WEB_DIR}index.html`)) {
    logger.warn({ dir: WEB_DIR }, 'the dashboard is not built (npm run build): / answers JSON only');
    return null;
  }
  return readFileSync(`${WEB_DIR}index.html`, 'utf8');
}

function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const html = accept.indexOf('text/html');
  const json = accept.indexOf('application/json');
  return html !== -1 && (json === -1 || html < json);
}
