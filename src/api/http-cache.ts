// Representation (JSON or CSV) and caching for the data endpoints.
// HTTP: the ETag names the dataset revision (moved by every publish, in any process), the build and
// the representation: no body is hashed, and a conditional request that matches is answered 304
// before any query runs. max-age ends at the next expected ingest, so any CDN or reverse proxy in
// front can absorb reads; replicas share nothing.
// In memory: an answer is a pure function of the request and the dataset revision (and, for the
// calendar, today's date), so its serialized body is kept and served again until the revision moves.
// Both happen in onRequest, before validation and the handler: a cached answer costs a lookup.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Readable } from 'node:stream';
import { addEncoding, copyWhileStreaming, encodedOrKeep, type EncodedAnswer, type Encodings } from './compression.js';
import { FORMATS, negotiate, type Format } from './csv.js';
import { z } from 'zod';
import { ProblemError } from './problems.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's answers are cacheable and validated against the dataset revision. */
    cache?: boolean;
    /** The route also answers text/csv. */
    csv?: boolean;
    /** The route also answers application/x-ndjson. */
    ndjson?: boolean;
  }
  interface FastifyRequest {
    /** The representation negotiated for this request. */
    format: Format;
    /** The in-memory cache key of this request's answer, when it may be stored. */
    responseKey: string | null;
    /** The dataset generation the answer belongs to (seen when the request arrived). */
    responseGeneration: string;
    /**
     * The answer is cheap to make again (a history kept in memory): it is kept in a small cache of its
     * own, where a hot one costs a lookup and a scan over every symbol displaces no costly answer.
     */
    responseCheap: boolean;
    /**
     * The answer is a Buffer the app keeps whole for the dataset revision, the same object at every
     * request (a 52-week history kept in memory): its encodings are kept beside it.
     */
    responseKept: boolean;
    /** The caller's validators match: a 200 becomes a 304 (other statuses stay what they are). */
    notModified: boolean;
  }
}

export interface DatasetRevision {
  revision: number;
  updatedAt: string | null;
}

export interface HttpCacheOptions {
  /** The dataset revision and when it last moved (see cachedRevision). */
  revision: () => DatasetRevision;
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

/**
 * The revision as the store says, asked at most once per `ttlMs`: another process's publish is
 * seen within that time, a publish in this process at once (call `invalidate`).
 */
export function cachedRevision(read: () => DatasetRevision, ttlMs: number, clock: () => number = Date.now) {
  let value: DatasetRevision | null = null;
  let readAt = 0;
  return {
    get(): DatasetRevision {
      const t = clock();
      if (value === null || t - readAt >= ttlMs) {
        value = read();
        readAt = t;
      }
      return value;
    },
    invalidate(): void {
      value = null;
    },
  };
}

interface CachedAnswer {
  /**
   * Bytes, not a string: a Buffer's contents live outside the JS heap, so a full cache costs the
   * garbage collector nothing to walk or move, and the body is not encoded to UTF-8 again per answer.
   */
  body: Buffer;
  type: string;
  disposition: string | undefined;
  /**
   * The answer as the compression plugin encoded it, by the Accept-Encoding header it answered:
   * compressed once, then sent as kept (compressing per request, a cached answer of 10 KB ran at a
   * fifth of its rate in gzip). By the header as sent, so the plugin alone decides what each gets.
   */
  encoded?: Map<string, EncodedAnswer>;
}

const answerBytes = (key: string, answer: CachedAnswer) => {
  let bytes = answer.body.byteLength + key.length;
  if (!answer.encoded) return bytes;
  for (const header of answer.encoded.keys()) bytes += header.length;
  for (const encoded of new Set(answer.encoded.values())) bytes += encoded.body.byteLength;
  return bytes;
};

/**
 * Encodings of answers the app keeps itself for a revision (see `responseKept`), found by their
 * bytes: they go with the answers, and all of them when the revision moves. Within `maxBytes` a
 * revision; beyond, an answer is compressed per request.
 */
class KeptAnswerEncodings {
  private generation = '';
  private bytes = 0;
  private byBody = new WeakMap<Buffer, Map<string, EncodedAnswer>>();

  constructor(private readonly maxBytes: number) {}

  of(generation: string, body: Buffer): Encodings {
    if (generation !== this.generation) [this.generation, this.bytes, this.byBody] = [generation, 0, new WeakMap()];
    return {
      get: (header) => this.byBody.get(body)?.get(header),
      set: (header, encoded) => {
        const kept = this.byBody.get(body) ?? new Map<string, EncodedAnswer>();
        const size = header.length + encoded.body.byteLength; // at most
        if (generation !== this.generation || this.bytes + size > this.maxBytes) return;
        this.bytes += addEncoding(kept, header, encoded);
        this.byBody.set(body, kept);
      },
      limit: this.maxBytes,
    };
  }
}

/** The share of the answer cache's bytes for answers cheap to make again. */
const CHEAP_SHARE = 16;
/** A cheap answer is kept once its key comes again within this many cheap answers. */
const CHEAP_WINDOW = 64;

/**
 * Which keys came twice within the last `size`: a hot key at once, a scan over 12,300 symbols one
 * answer in 190. Kept unasked, a scan's answers would turn the cheap cache over at every answer,
 * and each answer, living on there, would reach the old generation and wait for a full collection:
 * 0.66x the rate of not keeping them at all, on random histories.
 */
export class RepeatedKeys {
  private readonly ring: (string | undefined)[];
  private readonly counts = new Map<string, number>();
  private next = 0;

  constructor(size: number) {
    this.ring = new Array<string | undefined>(size);
  }

  /** Records `key`; true when it was among the last `size` recorded. */
  repeated(key: string): boolean {
    const seen = this.counts.has(key);
    const dropped = this.ring[this.next];
    if (dropped !== undefined) {
      const count = this.counts.get(dropped)!;
      if (count === 1) this.counts.delete(dropped);
      else this.counts.set(dropped, count - 1);
    }
    this.ring[this.next] = key;
    this.next = (this.next + 1) % this.ring.length;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    return seen;
  }
}

/**
 * Serialized answers of one dataset revision, within a byte budget. Eviction gives a second chance
 * (the clock algorithm): a hit only marks its answer, and the eviction sweep moves a marked answer
 * to the back instead of dropping it. A hit must not move the answer itself: a Map keeps a deleted
 * entry in its bucket until it grows again, so deleting and setting one hot key on every hit (the
 * movers, the sectors) left a chain of dead copies that every lookup of that key walked, about
 * 30 us a hit in a cache of 12,000 answers.
 */
export class AnswerCache {
  private generation = '';
  private readonly entries = new Map<string, { answer: CachedAnswer; used: boolean }>();
  private bytes = 0;
  /** With a window: only answers whose key came again within it are kept (see RepeatedKeys). */
  private readonly asked: RepeatedKeys | null;

  constructor(
    private readonly maxBytes: number,
    repeatedWithin?: number,
  ) {
    this.asked = repeatedWithin ? new RepeatedKeys(repeatedWithin) : null;
  }

  get(generation: string, key: string): CachedAnswer | undefined {
    if (generation !== this.generation) this.reset(generation);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    entry.used = true;
    return entry.answer;
  }

  set(generation: string, key: string, answer: CachedAnswer): void {
    if (generation !== this.generation) this.reset(generation);
    const size = answerBytes(key, answer);
    if (size > this.entryLimit || (this.asked && !this.asked.repeated(key))) return;
    const before = this.entries.get(key); // two requests that both missed store the same answer
    if (before) this.bytes -= answerBytes(key, before.answer);
    this.entries.set(key, { answer, used: false });
    this.bytes += size;
    this.shrink();
  }

  /** The encodings of `answer`, kept under `key`. */
  encodings(generation: string, key: string, answer: CachedAnswer): Encodings {
    return {
      get: (header) => answer.encoded?.get(header),
      set: (header, encoded) => this.setEncoded(generation, key, header, encoded),
      limit: this.entryLimit,
    };
  }

  /** The answer kept under `key`, as encoded for the Accept-Encoding header `header`. */
  setEncoded(generation: string, key: string, header: string, encoded: EncodedAnswer): void {
    const answer = generation === this.generation ? this.entries.get(key)?.answer : undefined;
    if (!answer) return;
    this.bytes += addEncoding((answer.encoded ??= new Map()), header, encoded);
    this.shrink();
  }

  private shrink() {
    // The oldest first; one asked for since the last sweep goes to the back, unmarked (visited again
    // by this very loop only if everything before it has gone).
    for (const [k, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      if (entry.used) {
        entry.used = false;
        this.entries.set(k, entry);
      } else this.bytes -= answerBytes(k, entry.answer);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The largest answer kept: one must not flush everything else. */
  get entryLimit(): number {
    return this.maxBytes / 4;
  }

  private reset(generation: string) {
    this.generation = generation;
    this.entries.clear();
    this.bytes = 0;
  }
}

const JSON_ONLY: ReadonlySet<Format> = new Set(['json']);
const WITH_CSV: ReadonlySet<Format> = new Set(['json', 'csv']);
const WITH_NDJSON: ReadonlySet<Format> = new Set(['json', 'csv', 'ndjson']);

function matches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** What a cacheable route answers when the caller's validators match (RFC 9110 15.4.5). */
const NOT_MODIFIED = z
  .null()
  .describe('Not Modified: If-None-Match (or If-Modified-Since) matches the current answer; no body, the same ETag and Cache-Control');

export const httpCache = fp(async (app: FastifyInstance, options: HttpCacheOptions) => {
  // Every cacheable route documents its 304, decided here with the behaviour rather than route by route.
  app.addHook('onRoute', (route) => {
    const response = route.schema?.response as Record<string, unknown> | undefined;
    if (route.config?.cache && response) response[304] = NOT_MODIFIED;
  });
  app.decorateRequest('format', 'json');
  app.decorateRequest('responseKey', null);
  app.decorateRequest('responseGeneration', '');
  app.decorateRequest('responseCheap', false);
  app.decorateRequest('responseKept', false);
  app.decorateRequest('notModified', false);
  const memoryBytes = options.memoryBytes ?? 256 * 1024 * 1024;
  const memory = memoryBytes === 0 ? null : new AnswerCache(memoryBytes);
  // A sixteenth: about 450 histories of 52 weeks in the default. All of them (12,300 symbols, 36 KB
  // each) would be a second copy of what is kept in memory: let into the whole cache while it had
  // room, they cost a scan over random symbols' histories 13% of its rate.
  const cheap = memory && new AnswerCache(memoryBytes / CHEAP_SHARE, CHEAP_WINDOW);
  // Half as much again: two encodings (brotli and gzip) of every 52-week history kept for 12,300
  // symbols (4 KB each) in the default.
  const keptEncodings = memory && new KeptAnswerEncodings(memoryBytes / 2);
  const scope = options.privateCache ? 'private' : 'public';
  // Answers differ by representation; with keys, also by who asks (never shared then: private).
  const vary = options.privateCache ? 'Accept, Authorization, X-API-Key' : 'Accept';

  // Per-revision strings, built once: every answer of a revision carries the same validators.
  let tags = { revision: -1, updatedAt: null as string | null, json: '', csv: '', ndjson: '', lastModified: null as string | null };
  const validators = () => {
    const r = options.revision();
    if (r.revision !== tags.revision || r.updatedAt !== tags.updatedAt) {
      tags = {
        revision: r.revision,
        updatedAt: r.updatedAt,
        json: `"${options.buildTag}-r${r.revision}-json"`,
        csv: `"${options.buildTag}-r${r.revision}-csv"`,
        ndjson: `"${options.buildTag}-r${r.revision}-ndjson"`,
        lastModified: r.updatedAt ? new Date(r.updatedAt).toUTCString() : null,
      };
    }
    return tags;
  };
  const generation = (revision: number) => `${revision}|${Math.floor(options.now().getTime() / 86_400_000)}`;

  function cacheControl(): string {
    const next = options.nextIngestAt();
    if (!next) return `${scope}, no-cache`; // revalidate each time: cheap with the ETag
    const seconds = Math.max(0, Math.floor((next.getTime() - options.now().getTime()) / 1000));
    return `${scope}, max-age=${seconds}`;
  }

  app.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    const config = req.routeOptions.config;
    if (!config?.cache || (req.method !== 'GET' && req.method !== 'HEAD')) return done();
    // Any case, as every enumeration of the API (format=CSV is csv); a repeated format is the parameter rule's 400.
    const given = (req.query as { format?: unknown } | undefined)?.format;
    if (Array.isArray(given)) return done();
    const asked = typeof given === 'string' ? given.toLowerCase() : given;
    const offered = config.ndjson ? WITH_NDJSON : config.csv ? WITH_CSV : JSON_ONLY;
    if (asked !== undefined && !FORMATS.includes(asked as Format)) {
      const allowed = config.ndjson ? 'json, csv or ndjson' : 'json or csv';
      return done(
        new ProblemError('invalid_parameter', `format must be ${allowed}`, {
          errors: [{ parameter: 'format', message: `must be ${allowed}` }],
        }),
      );
    }
    const format = negotiate(asked as Format | undefined, req.headers.accept, offered);
    if (!format) {
      const types = [
        'application/json',
        ...(offered.has('csv') ? ['text/csv'] : []),
        ...(offered.has('ndjson') ? ['application/x-ndjson'] : []),
      ];
      return done(new ProblemError('not_acceptable', `This endpoint answers ${types.join(' or ')}.`));
    }
    req.format = format;

    const v = validators();
    const etag = v[format];
    const lastModified = v.lastModified;
    const varyBefore = reply.getHeader('vary'); // CORS varies by Origin when only some origins may read
    reply.header('etag', etag).header('vary', varyBefore ? `${String(varyBefore)}, ${vary}` : vary);
    if (lastModified) reply.header('last-modified', lastModified);
    const ifNoneMatch = req.headers['if-none-match'];
    const ifModifiedSince = req.headers['if-modified-since'];
    // Decided here, answered only for a request that would have been a 200 (RFC 9110): a bad parameter
    // stays a 400 and an unknown ticker a 404, whatever the validators say.
    req.notModified = ifNoneMatch
      ? matches(ifNoneMatch, etag)
      : Boolean(ifModifiedSince && lastModified && Date.parse(ifModifiedSince) >= Date.parse(lastModified));
    req.responseKey = `${format} ${req.url}`;
    req.responseGeneration = generation(v.revision);
    const [current, key] = [req.responseGeneration, req.responseKey];
    let kept = memory;
    let hit = memory?.get(current, key);
    if (!hit && cheap) [kept, hit] = [cheap, cheap.get(current, key)];
    if (!hit) return done();
    req.responseKey = null; // served from memory: nothing to store
    // A remembered answer is a 200 of this very URL in this revision: the fast way to a 304.
    if (req.notModified) {
      reply.code(304).send();
      return;
    }
    reply.type(hit.type);
    if (hit.disposition) reply.header('content-disposition', hit.disposition);
    reply.send(
      req.headers['accept-encoding'] === undefined ? hit.body : encodedOrKeep(req, reply, hit.body, kept!.encodings(current, key, hit)),
    );
  });

  app.addHook('onSend', (req, reply, payload, done) => {
    if (reply.statusCode >= 400) {
      reply.header('cache-control', 'no-store');
      reply.removeHeader('etag');
      reply.removeHeader('last-modified');
    } else if (req.routeOptions.config?.cache && (reply.statusCode === 200 || reply.statusCode === 304)) {
      reply.header('cache-control', cacheControl());
    }
    // Only a GET's whole answer is kept: a HEAD (or a 304) may carry none of it.
    if (req.responseKey && reply.statusCode === 200 && memory && !req.notModified && req.method === 'GET') {
      const [generation, key] = [req.responseGeneration, req.responseKey];
      const disposition = reply.getHeader('content-disposition');
      const keep = (body: Buffer) =>
        (req.responseCheap ? cheap! : memory).set(generation, key, {
          body,
          type: String(reply.getHeader('content-type')),
          disposition: typeof disposition === 'string' ? disposition : undefined,
        });
      if (typeof payload === 'string') keep(Buffer.from(payload));
      // A history kept in memory is answered as a Buffer of its own, never changed after.
      else if (req.responseCheap && Buffer.isBuffer(payload)) keep(payload);
      // A streamed answer (the week file) is kept too once it has been sent whole, if it fits.
      else if (payload instanceof Readable) return done(null, copyWhileStreaming(payload, memory.entryLimit, keep));
    }
    if (req.notModified && reply.statusCode === 200) {
      reply.code(304).removeHeader('content-type').removeHeader('content-disposition').removeHeader('content-length');
      return done(null, '');
    }
    // Last: a cheap answer above was kept as it is, before it is swapped for its kept encoding.
    if (
      req.responseKept &&
      keptEncodings &&
      reply.statusCode === 200 &&
      Buffer.isBuffer(payload) &&
      req.headers['accept-encoding'] !== undefined
    ) {
      return done(null, encodedOrKeep(req, reply, payload, keptEncodings.of(req.responseGeneration, payload)));
    }
    done(null, payload);
  });
});
