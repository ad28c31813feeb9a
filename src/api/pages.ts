// Pages: the dashboard and its assets, Swagger UI at /docs, and / (the dashboard for a browser, an
// index of the API for anything else). Page headers, no key, never counted: the dashboard keeps
// loading after a client has spent its API limit.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import { FINRA_CREDIT } from '../read/weekly.js';
import { compression, encodedOrKeep, fixedEncodings } from './compression.js';
import { openApiJson } from './openapi.js';
import { sourceSchema } from './schemas.js';
import { PAGE_HEADER_VALUES, pageHeaders } from './security.js';

/** The dashboard, built by `npm run build` into dist/web. */
const WEB_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** The dashboard's page; null (and a warning) when it is not built. */
export function readDashboard(logger: Logger): string | null {
  if (!existsSync(`${WEB_DIR}index.html`)) {
    logger.warn({ dir: WEB_DIR }, 'the dashboard is not built (npm run build): / answers JSON only');
    return null;
  }
  return readFileSync(`${WEB_DIR}index.html`, 'utf8');
}

function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const html = accept.indexOf('text/html');
  const json = accept.indexOf('application/json');
  return html !== -1 && (json === -1 || html < json);
}

/** A browser asking for a page that does not exist gets the dashboard, which shows its not-found page. */
export function notFoundPage(dashboard: string | null) {
  return (req: FastifyRequest) =>
    dashboard && (req.method === 'GET' || req.method === 'HEAD') && prefersHtml(req.headers.accept)
      ? { body: dashboard, headers: PAGE_HEADER_VALUES }
      : null;
}

/** The documented routes (GET and POST, not hidden) as they register, in "GET /path/{param}" form. */
export function routeIndex(app: FastifyInstance): string[] {
  const documented: string[] = [];
  app.addHook('onRoute', (route) => {
    const methods = ([] as string[]).concat(route.method).filter((m) => m === 'GET' || m === 'POST');
    if ((route.schema as { hide?: boolean } | undefined)?.hide || !methods.length) return;
    documented.push(...methods.map((m) => `${m} ${route.url.replace(/:(\w+)/g, '{$1}')}`));
  });
  return documented;
}

export async function pages(scope: FastifyInstance, options: { dashboard: string | null; endpoints: readonly string[] }): Promise<void> {
  const { dashboard } = options;
  pageHeaders(scope);
  // Static files are never compressed per request: the dashboard's assets are sent as the build
  // compressed them, Swagger UI's as they are (its 1.4 MB script took 47 ms of CPU in brotli per
  // request, on routes no rate limit covers). Before compression's own hook, which reads this.
  scope.addHook('onRoute', (route) => {
    if (route.url.startsWith('/assets/') || route.url.startsWith('/docs/static/')) route.compress = false;
  });
  await compression(scope);
  const documentEncodings = fixedEncodings();
  await scope.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiHooks: {
      // The document as made once, each compressed form made once too: built and compressed per
      // request, it cost 5.6 ms of CPU in brotli, and nothing limits the pages' rate.
      onRequest: (req, reply, done) => {
        if (req.routeOptions.url !== '/docs/json') return done();
        reply.type('application/json; charset=utf-8').send(encodedOrKeep(req, reply, openApiJson(scope), documentEncodings));
      },
    },
  });
  if (dashboard)
    await scope.register(fastifyStatic, {
      root: `${WEB_DIR}assets`,
      prefix: '/assets/',
      decorateReply: false,
      schemaHide: true,
      preCompressed: true,
    });
  const index = {
    name: 'DarkPool Radar',
    description: 'Weekly ATS (dark pool) volume for US equities, from FINRA OTC Transparency data',
    docs: '/docs',
    openapi: '/openapi.json',
    endpoints: options.endpoints,
    source: FINRA_CREDIT,
  };
  // Browsers get the dashboard; API clients (curl, scripts) get this index of the API.
  scope.get(
    '/',
    {
      schema: {
        tags: ['meta'],
        summary: 'The index of the API (or, for a browser, the dashboard)',
        response: {
          200: {
            description: 'JSON for API clients; the dashboard when the Accept header prefers HTML',
            content: { 'application/json': { schema: indexSchema }, 'text/html': { schema: z.string() } },
          },
        },
      },
    },
    async (req, reply) => {
      reply.header('vary', 'Accept');
      if (dashboard && prefersHtml(req.headers.accept)) return reply.type('text/html; charset=utf-8').send(dashboard);
      return index;
    },
  );
}

const indexSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    docs: z.string().describe('Where the API reference is read (Swagger UI)'),
    openapi: z.string().describe('Where this OpenAPI document is'),
    endpoints: z.array(z.string()).describe('Every operation of the document, as METHOD /path'),
    source: sourceSchema.pick({ provider: true, name: true, url: true, terms: true }),
  })
  .meta({ id: 'Index' });
