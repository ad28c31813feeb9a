// Liveness, readiness and health: for orchestrators (livez, readyz) and for people (health).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { healthReport } from '../store/health.js';
import type { Queries } from '../store/queries.js';
import type { RunLog } from '../store/runs.js';
import { ok, problemResponses, ProblemError } from './problems.js';
import { tierSchema } from './schemas.js';

export interface HealthRoutesOptions {
  queries: Queries;
  runs: RunLog;
  now: () => Date;
}

const runSchema = z.object({
  id: z.number().int(),
  trigger: z.string(),
  status: z.string(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  weeks: z.record(z.string(), z.number().int()).describe('Weeks by outcome: published, revised, unchanged, refused, failed'),
});

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded', 'no_data']).describe('degraded: a tier is stale or the last ingest did not finish cleanly'),
    now: z.string(),
    tiers: z.array(
      z.object({
        tier: tierSchema,
        newest_week_start: z.string().nullable(),
        newest_week_ending: z.string().nullable(),
        loaded_at: z.string().nullable(),
        calendar_newest_week_start: z.string().describe("The newest week FINRA's publication calendar says is out"),
        weeks_behind: z.number().nullable(),
        next_week_start: z.string(),
        next_expected_publication: z.string().describe("When FINRA's calendar has the next week we lack"),
        stale: z.boolean().describe('true when that week was due more than 7 days ago'),
      }),
    ),
    last_run: runSchema.nullable(),
    running: runSchema.nullable(),
  })
  .meta({ id: 'Health' });

export const healthRoutes: FastifyPluginAsyncZod<HealthRoutesOptions> = async (app, { queries, runs, now }) => {
  const tags = ['health'];
  const config = { public: true };
  app.get(
    '/livez',
    { config, schema: { tags, summary: 'The process is up', response: ok(z.object({ status: z.literal('live') }), 'Alive') } },
    async () => ({ status: 'live' as const }),
  );

  app.get(
    '/readyz',
    {
      config,
      schema: {
        tags,
        summary: 'The store is open and holds data (503 otherwise)',
        response: { ...ok(z.object({ status: z.literal('ready') }), 'Ready to serve data'), ...problemResponses(503) },
      },
    },
    async () => {
      if (!queries.hasData()) throw new ProblemError('no_data', 'The store holds no FINRA week yet.');
      return { status: 'ready' as const };
    },
  );

  app.get(
    '/health',
    {
      config,
      schema: {
        tags,
        summary: "Per tier: newest week, the next one FINRA's calendar expects, staleness; the last ingest",
        response: ok(healthSchema, 'Health report'),
      },
    },
    async () => healthReport(queries, runs, now()),
  );
};
