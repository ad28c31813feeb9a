// The OpenAPI document, generated from the routes' zod schemas, at /openapi.json (and /docs, see pages.ts).
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createJsonSchemaTransform, createJsonSchemaTransformObject, type jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { PACKAGE_VERSION } from '../package-info.js';
import { FINRA_CREDIT } from '../read/weekly.js';
import { OPENAPI_EXAMPLES } from './openapi-examples.js';
import { PROBLEM_CODES, type ProblemCode } from './problems.js';
import { keepParameterDefaults } from './schemas.js';

/** The API's version is the package's: one source. */
export const API_VERSION = PACKAGE_VERSION;

/**
 * The zod transform emits an input and an output variant of every named schema; requests here
 * carry no bodies, so the input variants are never referenced. Drop what nothing points to.
 */
type OpenApiDocument = ReturnType<typeof jsonSchemaTransformObject>;

function withoutUnusedSchemas(doc: OpenApiDocument): OpenApiDocument {
  const components = (doc as { components?: { schemas?: Record<string, unknown> } }).components;
  const schemas = components?.schemas;
  if (!schemas) return doc;
  const used = new Set<string>();
  const visit = (value: unknown) => {
    const text = JSON.stringify(value);
    for (const m of text.matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      if (!used.has(m[1]!)) {
        used.add(m[1]!);
        visit(schemas[m[1]!]);
      }
    }
  };
  visit({ ...doc, components: { ...components, schemas: {} } });
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...doc, components: { ...components, schemas: kept } } as OpenApiDocument;
}

/** The response headers the API sends, documented once and referred to by each response. */
const HEADERS: Record<string, { description: string; schema: { type: string } }> = {
  'X-Request-Id': {
    description: 'The request id (yours when you sent a sane one): quote it when reporting a problem',
    schema: { type: 'string' },
  },
  ETag: {
    description: 'The dataset revision, the build and the representation (weak, W/, when the answer is compressed)',
    schema: { type: 'string' },
  },
  'Last-Modified': { description: 'When the data last changed', schema: { type: 'string' } },
  'Cache-Control': {
    description: 'public (private with API keys), max-age until the next scheduled ingest, or no-cache when none is scheduled',
    schema: { type: 'string' },
  },
  Vary: { description: 'Accept; also Origin, Authorization and X-API-Key where they change the answer', schema: { type: 'string' } },
  'RateLimit-Limit': { description: 'Requests allowed per window (when RATE_LIMIT_MAX is set)', schema: { type: 'integer' } },
  'RateLimit-Remaining': { description: 'Requests left in this window (when RATE_LIMIT_MAX is set)', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until the window resets (when RATE_LIMIT_MAX is set)', schema: { type: 'integer' } },
  'Retry-After': { description: 'Seconds to wait before asking again', schema: { type: 'integer' } },
  'WWW-Authenticate': { description: 'Bearer realm="darkpool-radar"', schema: { type: 'string' } },
  Allow: { description: 'The methods this path takes', schema: { type: 'string' } },
};

interface Response {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, unknown>;
}

const problemResponse = (code: ProblemCode): Response => ({
  description: PROBLEM_CODES[code].title,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/**
 * What every operation can answer besides what its route declares, decided in one place with the
 * behaviour that causes it: a wrong method (405, with Allow), a path segment too long (414, where
 * the path has parameters), a failure of ours (500); and the headers of each answer: the request id
 * everywhere, the validators and caching on a cacheable answer and its 304, the rate-limit headers
 * in the API's scope, Retry-After on a 429, WWW-Authenticate on a 401; and a 200's example, taken
 * from the demo (src/api/openapi-examples.ts).
 */
function wholeContract(doc: OpenApiDocument): OpenApiDocument {
  const paths = (doc as unknown as { paths: Record<string, Record<string, { responses: Record<string, Response> }>> }).paths;
  const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });
  for (const [path, operations] of Object.entries(paths)) {
    const inApiScope = path.startsWith('/darkpool/') || path.startsWith('/ticks/');
    for (const [method, operation] of Object.entries(operations)) {
      const responses = operation.responses;
      responses['405'] ??= problemResponse('method_not_allowed');
      if (path.includes('{')) responses['414'] ??= problemResponse('uri_too_long');
      responses['500'] ??= problemResponse('internal_error');
      const cacheable = '304' in responses;
      const example = OPENAPI_EXAMPLES[`${method.toUpperCase()} ${path}`];
      const json = responses['200']?.content?.['application/json'] as Record<string, unknown> | undefined;
      if (example !== undefined && json) json.example = example;
      for (const [status, response] of Object.entries(responses)) {
        const names = ['X-Request-Id'];
        if (cacheable && (status === '200' || status === '304')) names.push('ETag', 'Last-Modified', 'Cache-Control', 'Vary');
        if (inApiScope && (status === '200' || status === '429')) names.push('RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset');
        if (status === '429') names.push('Retry-After');
        if (status === '401') names.push('WWW-Authenticate');
        if (status === '405') names.push('Allow');
        response.headers = { ...response.headers, ...Object.fromEntries(names.map((n) => [n, ref(n)])) };
      }
      // Statuses in order, as a reader looks them up.
      operation.responses = Object.fromEntries(Object.entries(responses).sort(([a], [b]) => Number(a) - Number(b)));
    }
  }
  const components = (doc as { components?: Record<string, unknown> }).components ?? {};
  return { ...doc, components: { ...components, headers: HEADERS } } as OpenApiDocument;
}

export async function openApiDocument(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'DarkPool Radar API',
        version: API_VERSION,
        description:
          'Where US stocks trade in alternative trading systems (dark pools), week by week, from FINRA OTC ' +
          `Transparency data. ${FINRA_CREDIT.terms} Errors are RFC 9457 problem details (application/problem+json) ` +
          'with a stable `code`.',
        license: { name: 'Data: FINRA terms of use', url: 'https://www.finra.org/finra-data' },
      },
      components: {
        securitySchemes: {
          bearerKey: { type: 'http', scheme: 'bearer', description: 'An API key, when the server requires one (API_KEYS)' },
          headerKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        },
      },
      tags: [
        { name: 'darkpool', description: 'Weekly ATS volume per symbol, sector and week' },
        {
          name: 'daily',
          description: "FINRA's daily off-exchange volume, and labelled estimates of the weeks FINRA has not published yet",
        },
        { name: 'health', description: 'Liveness, readiness, data freshness' },
        { name: 'ticks', description: 'Consolidated-tape trade analysis' },
        { name: 'meta', description: 'Documentation of error codes' },
      ],
    },
    transform: createJsonSchemaTransform({ zodToJsonConfig: { override: keepParameterDefaults } }),
    transformObject: (doc) =>
      wholeContract(withoutUnusedSchemas(createJsonSchemaTransformObject({ zodToJsonConfig: { override: keepParameterDefaults } })(doc))),
  });
  app.get(
    '/openapi.json',
    {
      schema: {
        tags: ['meta'],
        summary: 'This OpenAPI document (also at /docs, to read)',
        response: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } },
      },
    },
    (_req, reply) => reply.type('application/json; charset=utf-8').send(openApiJson(app)),
  );
}

const documentTexts = new WeakMap<object, Buffer>();

/**
 * The document's JSON, made once: about 190 KB, stringified per request it cost 1 ms of CPU on a
 * route no rate limit covers (`/docs/json` answers it too, see pages.ts).
 */
export function openApiJson(app: FastifyInstance): Buffer {
  const document = app.swagger();
  let text = documentTexts.get(document);
  if (!text) documentTexts.set(document, (text = Buffer.from(JSON.stringify(document))));
  return text;
}
