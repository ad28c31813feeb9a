// What makes the API safe to expose: API keys, rate limits per key (per address when open),
// security headers, CORS, request ids. Keys and limits belong to the API's scope (apiBoundary), page
// headers to the pages' scope: decided by where a route is registered, never by its URL's spelling.
import type { IncomingMessage, ServerResponse } from 'node:http';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';
import type { Redis } from 'ioredis';
import { presentedKey, type ApiKeys } from './api-keys.js';
import { ProblemError } from './problems.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The id of the API key the request presented, when it matched one. */
    apiKeyId: string | null;
  }
}

/** Pages (the dashboard, Swagger UI): helmet's full set. Both style elements inline; scripts stay same-origin. */
const PAGE_HEADERS: HelmetOptions = {
  contentSecurityPolicy: { directives: { 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'] } },
  crossOriginResourcePolicy: { policy: 'cross-origin' },
};

/**
 * API answers (JSON, CSV): the headers that protect a non-document answer (OWASP's REST advice):
 * no sniffing, no framing, no content of its own to load, HSTS, readable from other origins.
 * The legacy page headers would only add bytes to every answer.
 */
const API_HEADERS: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] } },
  crossOriginResourcePolicy: { policy: 'cross-origin' },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xFrameOptions: { action: 'deny' },
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};

/**
 * Helmet's headers, computed once. They do not depend on the request (no CSP nonces), and
 * @fastify/helmet rebuilds the whole middleware on every request: 6% of the CPU under load.
 */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, () => {});
  return headers;
}

/**
 * Every answer: the API's strict headers (a page scope replaces them, see `pageHeaders`) and the request
 * id (so a user's report can be matched to our logs); CORS.
 */
export interface SecurityOptions {
  corsOrigins: string[];
  /** The methods the router answers at a path: a preflight advertises those and no others. */
  methodsAt: (path: string) => string[];
}

/** What a browser may send and read across origins (CORS). Last-Modified is readable by default (safelisted). */
const CORS_ALLOWED_HEADERS = 'Authorization, X-API-Key, If-None-Match, If-Modified-Since, Accept, Content-Type, X-Request-Id';
const CORS_EXPOSED_HEADERS = 'ETag, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-Id';

/**
 * CORS (Fetch standard) is done here, not with @fastify/cors: a preflight must advertise each path's
 * own methods, which the plugin only allows through a per-request options delegator, and resolving
 * those options on every request was 8% of a cached answer's CPU. Here the headers of an ordinary
 * answer are computed once and set with the security headers in one call.
 */
export const security = fp(async (app: FastifyInstance, options: SecurityOptions) => {
  const anyOrigin = options.corsOrigins.includes('*');
  const allowedOrigins = new Set(options.corsOrigins);
  const crossOrigin = { 'access-control-expose-headers': CORS_EXPOSED_HEADERS };
  const everyAnswer = {
    ...helmetHeaders(API_HEADERS),
    ...(anyOrigin ? { 'access-control-allow-origin': '*', ...crossOrigin } : { vary: 'Origin' }),
  };
  app.addHook('onRequest', (req, reply, done) => {
    reply.headers(everyAnswer).header('x-request-id', req.id);
    if (!anyOrigin) {
      const origin = req.headers.origin;
      if (origin && allowedOrigins.has(origin)) reply.headers(crossOrigin).header('access-control-allow-origin', origin);
    }
    done();
  });
  // A preflight, or any OPTIONS: 204 with the methods this path answers. No credentials are allowed.
  app.options('*', { schema: { hide: true } }, (req, reply) => {
    const methods = [...options.methodsAt(req.url.split('?')[0]!), 'OPTIONS'];
    reply
      .code(204)
      .header('access-control-allow-methods', methods.join(', '))
      .header('access-control-allow-headers', CORS_ALLOWED_HEADERS)
      .header('access-control-max-age', '86400')
      .header('content-length', '0')
      .send();
  });
  app.decorateRequest('apiKeyId', null);
});

/** The headers of a page (the dashboard, Swagger UI), for an answer outside a page scope. */
export const PAGE_HEADER_VALUES: Readonly<Record<string, string>> = helmetHeaders(PAGE_HEADERS);

/** Pages (the dashboard, Swagger UI) get helmet's full set: call on the scope that registers them. */
export function pageHeaders(scope: FastifyInstance): void {
  const headers = PAGE_HEADER_VALUES;
  scope.addHook('onRequest', (_req, reply, done) => {
    reply.headers(headers);
    done();
  });
}

export interface ApiBoundaryOptions {
  apiKeys: ApiKeys | null;
  /** `redis`: where replicas share their counters; null keeps them in this process. */
  rateLimit: { max: number; timeWindow: string; redis: Redis | null } | null;
}

/**
 * The API's boundary, added to the encapsulated scope that registers the data routes: the hooks apply to
 * every route of that scope and to nothing else, whatever spelling of the URL reached it (percent-encoded,
 * absolute form, dot segments): the router has matched the route before these run. Pages, docs and
 * probes live outside it, never counted, never refused. The order matters: the caller is identified,
 * then counted (wrong keys included, so keys cannot be guessed at speed), then refused if unknown.
 */
export async function apiBoundary(scope: FastifyInstance, options: ApiBoundaryOptions): Promise<void> {
  const keys = options.apiKeys;

  // 1. Who is calling (a key that matches, or nobody).
  if (keys) {
    scope.addHook('onRequest', (req: FastifyRequest, _reply, done) => {
      req.apiKeyId = keys.identify(presentedKey(req.headers));
      done();
    });
  }

  // 2. Count the call: per key when one matched, per address otherwise.
  if (options.rateLimit) {
    // enableDraftSpec here too: the plugin keys its header switches on the registration's labels.
    const redis = options.rateLimit.redis;
    await scope.register(fastifyRateLimit, {
      global: false,
      enableDraftSpec: true,
      ...(redis ? { redis, nameSpace: 'darkpool-radar:rate:', skipOnError: true } : {}),
    });
    const limit = scope.rateLimit({
      max: options.rateLimit.max,
      timeWindow: options.rateLimit.timeWindow,
      enableDraftSpec: true,
      keyGenerator: (req) => (req.apiKeyId ? `key:${req.apiKeyId}` : `ip:${req.ip}`),
      errorResponseBuilder: (_req, ctx) =>
        new ProblemError(
          'rate_limited',
          `Rate limit of ${ctx.max} requests per ${options.rateLimit!.timeWindow} reached; retry in ${ctx.after}.`,
        ),
    });
    scope.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      await limit.call(scope, req, reply);
    });
  }

  // 3. Refuse a request without a valid key.
  if (keys) scope.addHook('onRequest', keyRequired(keys));
}

/**
 * A hook that refuses a caller without a valid key. Also on the not-found handler: without a key, a
 * path that exists and one that does not answer alike, so nobody maps the API anonymously.
 */
export function keyRequired(keys: ApiKeys) {
  return async (req: FastifyRequest) => {
    req.apiKeyId ??= keys.identify(presentedKey(req.headers));
    if (req.apiKeyId) return;
    const presented = presentedKey(req.headers);
    throw new ProblemError(
      'unauthorized',
      presented ? 'The API key is not valid.' : 'This server requires an API key: send Authorization: Bearer <key> or X-API-Key: <key>.',
      { headers: { 'www-authenticate': 'Bearer realm="darkpool-radar"' } },
    );
  };
}
