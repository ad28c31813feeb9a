// Representation (JSON or CSV) and caching for the data endpoints.
// HTTP: the ETag names the dataset revision (moved by every publish, in any process), the build and
// the representation: no body is hashed, and a conditional request that matches is answered 304
// before any query runs. max-age ends at the next expected ingest, so any CDN or reverse proxy in
// front can absorb reads; replicas share nothing.
// In memory: an answer is a pure function of the request and the dataset revision (and, for the
// calendar, today's date), so its serialized body is kept and served again until the revision moves.
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
    /** The in-memory cache key of this request's answer, when it may be cached. */
    responseKey: string | null;
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
  /** Bytes of serialized answers kept in memory (0 turns the in-memory cache off). */
  memoryBytes?: number;
}

interface CachedAnswer {
  body: string;
  type: string;
  disposition: string | undefined;
}

/** Serialized answers of one dataset revision, least recently used out first. */
export class AnswerCache {
  private generation = '';
  private readonly entries = new Map<string, CachedAnswer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get(generation: string, key: string): CachedAnswer | undefined {
    if (generation !== this.generation) this.reset(generation);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key); // move to the back: most recently used
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(generation: string, key: string, answer: CachedAnswer): void {
    if (generation !== this.generation) this.reset(generation);
    const size = answer.body.length + key.length;
    if (size > this.maxBytes / 4) return; // one huge answer must not flush everything else
    this.entries.set(key, answer);
    this.bytes += size;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.body.length + k.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private reset(generation: string) {
    this.generation = generation;
    this.entries.clear();
    this.bytes = 0;
  }
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
  app.decorateRequest('responseKey', null);
  const memory = options.memoryBytes === 0 ? null : new AnswerCache(options.memoryBytes ?? 64 * 1024 * 1024);
  const generation = () => `${options.revision().revision}|${options.now().toISOString().slice(0, 10)}`;

  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!req.routeOptions.config.cache) return;
    const asked = (req.query as { format?: unknown } | undefined)?.format;
    if (asked !== undefined && asked !== 'json' && asked !== 'csv') {
      throw new ProblemError('invalid_parameter', 'format must be json or csv', { errors: [{ parameter: 'format', message: 'must be json or csv' }] });
    }
    const format = negotiate(asked, req.headers.accept, req.routeOptions.config.csv === true);
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
    if (!memory) return;
    req.responseKey = `${req.format} ${req.url}`;
    const hit = memory.get(generation(), req.responseKey);
    if (hit) {
      req.responseKey = null; // served from memory: nothing to store
      reply.type(hit.type);
      if (hit.disposition) reply.header('content-disposition', hit.disposition);
      await reply.send(hit.body);
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
      if (memory && req.responseKey && typeof payload === 'string') {
        const disposition = reply.getHeader('content-disposition');
        memory.set(generation(), req.responseKey, {
          body: payload,
          type: String(reply.getHeader('content-type')),
          disposition: typeof disposition === 'string' ? disposition : undefined,
        });
      }
    }
    return payload;
  });
});
