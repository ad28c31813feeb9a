// What makes the API safe to expose: API keys, rate limits per key (per address when open),
// security headers, CORS, request ids. The order of the hooks matters: the caller is identified,
// then counted (wrong keys included, so keys cannot be guessed at speed), then refused if unknown.
import type { IncomingMessage, ServerResponse } from 'node:http';
import fastifyCors from '@fastify/cors';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';
import { presentedKey, type ApiKeys } from './api-keys.js';
import { ProblemError } from './problems.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Open to everyone, never rate limited: liveness, readiness, health. */
    public?: boolean;
  }
  interface FastifyRequest {
    /** The id of the API key the request presented, when it matched one. */
    apiKeyId: string | null;
  }
}

export interface SecurityOptions {
  apiKeys: ApiKeys | null;
  rateLimit: { max: number; timeWindow: string } | null;
  corsOrigins: string[];
}

/** Paths that need a key when keys are configured. Docs, health and the dashboard shell stay open. */
export function needsKey(url: string): boolean {
  return url.startsWith('/darkpool/') || url === '/darkpool' || url.startsWith('/ticks/');
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

const isApiPath = (url: string) => url.startsWith('/darkpool') || url.startsWith('/ticks/') || url === '/livez' || url === '/readyz' || url === '/health';

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

export const security = fp(async (app: FastifyInstance, options: SecurityOptions) => {
  const apiHeaders = helmetHeaders(API_HEADERS);
  const pageHeaders = helmetHeaders(PAGE_HEADERS);
  // Every answer: the security headers, and its request id (so a user's report can be matched to our logs).
  app.addHook('onRequest', (req, reply, done) => {
    reply.headers(isApiPath(req.url) ? apiHeaders : pageHeaders).header('x-request-id', req.id);
    done();
  });

  await app.register(fastifyCors, {
    origin: options.corsOrigins.includes('*') ? '*' : options.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'OPTIONS'], // POST only exists on /ticks/analyze
    credentials: false,
    allowedHeaders: ['Authorization', 'X-API-Key', 'If-None-Match', 'If-Modified-Since', 'Accept', 'Content-Type', 'X-Request-Id'],
    // Last-Modified is readable by default (CORS-safelisted); these are not.
    exposedHeaders: ['ETag', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'X-Request-Id'],
    maxAge: 86_400,
    // A bare OPTIONS (no Origin) is answered 204 with Allow-style headers, not a text/plain 400.
    strictPreflight: false,
  });

  app.decorateRequest('apiKeyId', null);
  const keys = options.apiKeys;

  // 1. Who is calling (a key that matches, or nobody).
  if (keys) {
    app.addHook('onRequest', (req: FastifyRequest, _reply, done) => {
      req.apiKeyId = keys.identify(presentedKey(req.headers));
      done();
    });
  }

  // 2. Count the call: per key when one matched, per address otherwise.
  if (options.rateLimit) {
    // enableDraftSpec here too: the plugin keys its header switches on the registration's labels.
    await app.register(fastifyRateLimit, { global: false, enableDraftSpec: true });
    const limit = app.rateLimit({
      max: options.rateLimit.max,
      timeWindow: options.rateLimit.timeWindow,
      enableDraftSpec: true,
      keyGenerator: (req) => (req.apiKeyId ? `key:${req.apiKeyId}` : `ip:${req.ip}`),
      errorResponseBuilder: (_req, ctx) =>
        new ProblemError('rate_limited', `Rate limit of ${ctx.max} requests per ${options.rateLimit!.timeWindow} reached; retry in ${ctx.after}.`),
    });
    app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      if (req.routeOptions.config?.public) return;
      await limit.call(app, req, reply);
    });
  }

  // 3. Refuse a data request without a valid key.
  if (keys) {
    app.addHook('onRequest', async (req: FastifyRequest) => {
      if (!needsKey(req.url) || req.apiKeyId || req.method === 'OPTIONS') return;
      const presented = presentedKey(req.headers);
      throw new ProblemError(
        'unauthorized',
        presented ? 'The API key is not valid.' : 'This server requires an API key: send Authorization: Bearer <key> or X-API-Key: <key>.',
        { headers: { 'www-authenticate': 'Bearer realm="darkpool-radar"' } },
      );
    });
  }
});
