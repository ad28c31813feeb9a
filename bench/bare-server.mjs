// The API benchmark's baseline: a bare Fastify app answering static JSON bodies of the same size
// as the real endpoints' (read from the file given), with no plugins and no hooks.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const bodies = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const app = Fastify({ logger: false });
for (const [name, body] of Object.entries(bodies)) {
  app.get(`/bare/${name}`, (_req, reply) => reply.type('application/json; charset=utf-8').send(body));
}
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${url}\n`);
