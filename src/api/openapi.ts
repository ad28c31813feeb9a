// The OpenAPI document, generated from the routes' zod schemas, at /openapi.json (and /docs, see pages.ts).
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, createJsonSchemaTransformObject, type jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { PACKAGE_VERSION } from '../package-info.js';
import { FINRA_CREDIT } from '../read/weekly.js';
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
      withoutUnusedSchemas(createJsonSchemaTransformObject({ zodToJsonConfig: { override: keepParameterDefaults } })(doc)),
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
