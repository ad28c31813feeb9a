// The API benchmark's baselines: a bare Fastify app with no plugins and no hooks answering, as static
// strings, the very bytes the real endpoints answered (read from the file given): /bare/NAME the same
// body, /same/NAME the same body with the same response headers too (security, CORS, validators,
// caching; a request id of the same length).
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const answers = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const app = Fastify({ logger: false });
for (const [name, { body, headers }] of Object.entries(answers)) {
  app.get(`/bare/${name}`, (_req, reply) => reply.type('application/json; charset=utf-8').send(body));
  app.get(`/same/${name}`, (_req, reply) => reply.headers(headers).send(body));
}
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${url}\n`);
