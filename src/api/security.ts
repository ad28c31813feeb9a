// What makes the API safe to expose: API keys, rate limits per key (per address when open),
// security headers, CORS, request ids. The order of the hooks matters: the caller is identified,
// then counted (wrong keys included, so keys cannot be guessed at speed), then refused if unknown.
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
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

export const security = fp(async (app: FastifyInstance, options: SecurityOptions) => {
  await app.register(fastifyHelmet, {
    global: true,
    // Swagger UI styles itself inline; scripts stay same-origin only.
    contentSecurityPolicy: { directives: { 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'] } },
    crossOriginResourcePolicy: { policy: 'cross-origin' }, // the API is meant to be read from other origins
  });

  await app.register(fastifyCors, {
    origin: options.corsOrigins.includes('*') ? '*' : options.corsOrigins,
    methods: ['GET', 'HEAD', 'POST', 'OPTIONS'], // POST only exists on /ticks/analyze
    credentials: false,
    allowedHeaders: ['Authorization', 'X-API-Key', 'If-None-Match', 'If-Modified-Since', 'Accept', 'Content-Type', 'X-Request-Id'],
    exposedHeaders: ['ETag', 'Last-Modified', 'Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'X-Request-Id', 'Content-Disposition'],
    maxAge: 86_400,
    // A bare OPTIONS (no Origin) is answered 204 with Allow-style headers, not a text/plain 400.
    strictPreflight: false,
  });

  app.decorateRequest('apiKeyId', null);
  const keys = options.apiKeys;

  // 1. Who is calling (a key that matches, or nobody).
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (keys) req.apiKeyId = keys.identify(presentedKey(req.headers));
  });

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

  // Every answer names its request id, so a user's report can be matched to our logs.
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-request-id', req.id);
    return payload;
  });
});
