// The API benchmark's ladder: Fastify answering the very bytes a real endpoint answered (argv[2],
// as bare-server.mjs reads them), with the app's own pieces added one at a time up to the step named
// in argv[3]: its server options (URL rewrite, request ids, router and timeouts), its logger, its
// security and CORS headers hook, its 405 hook, its compression scope, its answer cache (the answer
// then comes from memory, as the app's hot answers do). Between the bare route and the real app,
// each step shows what one piece costs per answer.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import { compression } from '../dist/api/compression.js';
import { httpCache } from '../dist/api/http-cache.js';
import { methodNotAllowed, routeMethods } from '../dist/api/methods.js';
import { security } from '../dist/api/security.js';
import { SERVER_OPTIONS } from '../dist/app.js';
import { createLogger } from '../dist/logger.js';

const LADDER = ['bare', 'options', 'logger', 'security', 'methods', 'compression', 'cache'];
const [file, step] = process.argv.slice(2);
const level = LADDER.indexOf(step);
if (level < 0) throw new Error(`step must be one of ${LADDER.join(', ')}`);
const { body, headers } = JSON.parse(readFileSync(file, 'utf8'));
const from = (name) => level >= LADDER.indexOf(name);

const app = Fastify({
  ...(from('options') ? SERVER_OPTIONS : {}),
  ...(from('logger') ? { loggerInstance: createLogger('error') } : { logger: false }),
});
if (from('security')) {
  await app.register(security, { corsOrigins: ['*'], methodsAt: routeMethods(app) });
}
if (from('methods')) methodNotAllowed(app, routeMethods(app));

// The route sets what the hooks before it have not: the validators, caching and content type.
let routeHeaders = headers;
const route = (scope) => {
  scope.get('/same', { config: { cache: from('cache') } }, (_req, reply) => {
    reply.headers(routeHeaders).send(body);
  });
  // What the hooks alone set: asked once before listening.
  scope.get('/probe', { config: { cache: from('cache') } }, (_req, reply) => reply.send(''));
};
if (from('compression')) {
  await app.register(async (scope) => {
    // In the app's order: the cache, then compression.
    if (from('cache')) {
      const revision = { revision: 1, updatedAt: '2026-10-26T22:00:00.000Z' };
      await scope.register(httpCache, {
        revision: () => revision,
        buildTag: '1.0.0.1',
        nextIngestAt: () => null,
        now: () => new Date(),
        privateCache: false,
      });
    }
    await compression(scope);
    route(scope);
  });
} else route(app);
await app.ready();
const setByHooks = new Set(Object.keys((await app.inject('/probe')).headers));
for (const transport of ['content-type', 'content-length', 'date', 'connection', 'keep-alive']) setByHooks.delete(transport);
routeHeaders = Object.fromEntries(Object.entries(headers).filter(([name]) => !setByHooks.has(name)));

const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${url}\n`);
