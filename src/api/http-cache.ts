// Representation (JSON or CSV) and HTTP caching for the data endpoints. The ETag names the dataset revision (moved by every publish,
// in any process), the build and the representation: no body is hashed, and a conditional request
// that matches is answered 304 before any query runs. max-age ends at the next expected ingest, so
// any CDN or reverse proxy in front can absorb reads; replicas share nothing.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { negotiate, type Format } from './csv.js';
import { ProblemError } from './problems.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's answers are cacheable and validated against the dataset revision. */
    cache?: boolean;
    /** The route also answers text/csv. */
    csv?: boolean;
  }
  interface FastifyRequest {
    /** The representation negotiated for this request (set by routes that offer CSV). */
    format: Format;
  }
}

export interface HttpCacheOptions {
  /** The dataset revision and when it last moved. */
  revision: () => { revision: number; updatedAt: string | null };
  /** Changes with anything else that shapes bodies: the build, the sector table. */
  buildTag: string;
  /** When the next ingest is expected; null when none is scheduled. */
  nextIngestAt: () => Date | null;
  now: () => Date;
  /** With API keys, shared caches must not serve one client's answer to another. */
  privateCache: boolean;
}

function etagFor(req: FastifyRequest, options: HttpCacheOptions): { etag: string; lastModified: string | null } {
  const { revision, updatedAt } = options.revision();
  return { etag: `"${options.buildTag}-r${revision}-${req.format}"`, lastModified: updatedAt ? new Date(updatedAt).toUTCString() : null };
}

function matches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

function cacheControl(options: HttpCacheOptions): string {
  const scope = options.privateCache ? 'private' : 'public';
  const next = options.nextIngestAt();
  if (!next) return `${scope}, no-cache`; // revalidate each time: cheap with the ETag
  const seconds = Math.max(0, Math.floor((next.getTime() - options.now().getTime()) / 1000));
  return `${scope}, max-age=${seconds}`;
}

export const httpCache = fp(async (app: FastifyInstance, options: HttpCacheOptions) => {
  app.decorateRequest('format', 'json');

  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.routeOptions.config.cache) return;
    const format = negotiate((req.query as { format?: Format } | undefined)?.format, req.headers.accept, req.routeOptions.config.csv === true);
    if (!format) {
      throw new ProblemError('not_acceptable', `This endpoint answers application/json${req.routeOptions.config.csv ? ' or text/csv' : ''}.`);
    }
    req.format = format;
    const { etag, lastModified } = etagFor(req, options);
    reply.header('etag', etag).header('vary', 'Accept, Authorization, X-API-Key');
    if (lastModified) reply.header('last-modified', lastModified);
    const ifNoneMatch = req.headers['if-none-match'];
    const ifModifiedSince = req.headers['if-modified-since'];
    const notModified = ifNoneMatch
      ? matches(ifNoneMatch, etag)
      : Boolean(ifModifiedSince && lastModified && Date.parse(ifModifiedSince) >= Date.parse(lastModified));
    if (notModified) {
      await reply.code(304).header('cache-control', cacheControl(options)).send();
      return reply;
    }
  });

  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode >= 400) {
      reply.header('cache-control', 'no-store');
      reply.removeHeader('etag');
      reply.removeHeader('last-modified');
    } else if (req.routeOptions.config?.cache && reply.statusCode === 200) {
      reply.header('cache-control', cacheControl(options));
    }
    return payload;
  });
});
