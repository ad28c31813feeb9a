// Compression of answers, and the compressed forms kept of answers that stay the same (kept in
// memory for a revision, or fixed for the process's life), so that each is compressed once.
import fastifyCompress from '@fastify/compress';
import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify';
import { PassThrough, type Readable } from 'node:stream';
import { constants as zlibConstants } from 'node:zlib';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set for an answer whose compressed forms are kept (see encodedOrKeep): the compression hook
     * hands it the encoded answer (a Buffer or a stream), and sends on what it returns.
     */
    keepEncoded: ((encoding: string, vary: string, payload: unknown) => unknown) | null;
  }
}

/**
 * gzip or brotli, as the client asks, for bodies over 1 KiB: JSON, problems, CSV, the dashboard's HTML,
 * scripts and styles. Brotli at quality 4 costs about what gzip does. A compressed answer is another
 * representation of the same data: its ETag becomes weak (If-None-Match compares weakly, so it still
 * answers 304).
 */
export async function compression(scope: FastifyInstance): Promise<void> {
  await scope.register(fastifyCompress, {
    encodings: ['br', 'gzip'],
    threshold: 1024,
    brotliOptions: { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 4 } },
    customTypes: /^(application\/(json|problem\+json|javascript|x-ndjson|atom\+xml)|text\/(csv|html|css|javascript))\b/,
    globalDecompression: false,
  });
  scope.decorateRequest('keepEncoded', null);
  // The plugin compresses in a hook of each route, after the scope's hooks: this one follows it.
  const afterEncoding: onSendHookHandler = (req, reply, payload, done) => {
    const encoding = reply.getHeader('content-encoding');
    if (!encoding) return done(null, payload);
    const etag = reply.getHeader('etag');
    if (typeof etag === 'string' && !etag.startsWith('W/')) reply.header('etag', `W/${etag}`);
    // An answer from memory keeps its encoded bytes for the next caller who asks the same way.
    done(null, req.keepEncoded ? req.keepEncoded(String(encoding), String(reply.getHeader('vary') ?? ''), payload) : payload);
  };
  scope.addHook('onRoute', (route) => {
    route.onSend = [...(route.onSend ? [route.onSend].flat() : []), afterEncoding];
  });
}

export interface EncodedAnswer {
  encoding: string;
  vary: string;
  body: Buffer;
}

/**
 * Encodings kept per answer: the clients of one deployment send a few spellings of Accept-Encoding;
 * one that sends thousands gets each compressed afresh, as before, and costs no memory.
 */
export const MAX_ENCODED = 8;

/** Where one answer's encodings are kept, by the Accept-Encoding header each answered. */
export interface Encodings {
  get(header: string): EncodedAnswer | undefined;
  set(header: string, encoded: EncodedAnswer): void;
  /** The largest encoded answer worth keeping. */
  limit: number;
}

/**
 * Adds `encoded` to an answer's encodings under `header`, unless it has that header or MAX_ENCODED
 * already: the bytes it adds. Headers that get the same encoding (`gzip, deflate, br` and `br`)
 * share one copy: the plugin makes the same bytes for both.
 */
export function addEncoding(encodings: Map<string, EncodedAnswer>, header: string, encoded: EncodedAnswer): number {
  if (encodings.size >= MAX_ENCODED || encodings.has(header)) return 0;
  for (const other of encodings.values()) {
    if (other.encoding === encoded.encoding && other.vary === encoded.vary) {
      encodings.set(header, other);
      return header.length;
    }
  }
  encodings.set(header, encoded);
  return header.length + encoded.body.byteLength;
}

/**
 * What to send for an answer whose encodings are kept in `encodings`: the one kept for the caller's
 * Accept-Encoding (its headers set), else `body`, the encoding the compression hook makes of it then
 * offered to `encodings`. The plugin alone decides what each header gets; this only remembers it.
 */
export function encodedOrKeep(req: FastifyRequest, reply: FastifyReply, body: Buffer, encodings: Encodings): Buffer {
  const header = req.headers['accept-encoding'];
  // x-no-compression is the plugin's opt-out: such an answer is neither sent encoded nor kept.
  if (header === undefined || req.headers['x-no-compression'] !== undefined) return body;
  const encoded = encodings.get(header);
  if (encoded) {
    // Already encoded: the compression hook lets an answer with a Content-Encoding pass.
    reply.header('content-encoding', encoded.encoding).header('vary', encoded.vary);
    return encoded.body;
  }
  if (req.method === 'GET') {
    req.keepEncoded = (encoding, vary, payload) => {
      const keep = (encodedBody: Buffer) => encodings.set(header, { encoding, vary, body: encodedBody });
      if (Buffer.isBuffer(payload)) keep(payload);
      // The plugin's streams are readable-stream's, not node:stream's: known by their pipe.
      else if (typeof (payload as Readable | null)?.pipe === 'function')
        return copyWhileStreaming(payload as Readable, encodings.limit, keep);
      return payload;
    };
  }
  return body;
}

/** The encodings of an answer fixed for the process's life (the OpenAPI document): a few ways of asking. */
export function fixedEncodings(): Encodings {
  const kept = new Map<string, EncodedAnswer>();
  return {
    get: (header) => kept.get(header),
    set: (header, encoded) => void addEncoding(kept, header, encoded),
    limit: Infinity,
  };
}

/** Passes a stream on as it is, keeping a copy of what went through; `keep` gets it if the stream ended whole under `limit` bytes. */
export function copyWhileStreaming(source: Readable, limit: number, keep: (body: Buffer) => void): Readable {
  const chunks: Buffer[] = [];
  let size = 0;
  const copy = new PassThrough();
  source.on('data', (chunk: Buffer | string) => {
    if (size > limit) return;
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size <= limit) chunks.push(buffer);
    else chunks.length = 0;
  });
  source.on('end', () => {
    if (size <= limit) keep(Buffer.concat(chunks));
  });
  source.on('error', (err) => copy.destroy(err));
  copy.on('close', () => source.destroy());
  return source.pipe(copy);
}
