import fastifyCompress from '@fastify/compress';
import type { FastifyInstance, onSendHookHandler } from 'fastify';
import { constants as zlibConstants } from 'node:zlib';

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
