// Liveness, readiness and health: for orchestrators (livez, readyz) and for people (health).
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { healthReport } from '../read/health.js';
import type { DailyStore } from '../store/daily.js';
import type { Queries } from '../read/queries.js';
import type { RunLog } from '../store/runs.js';
import { ok, problemResponses, ProblemError } from './problems.js';
import { tierSchema } from './schemas.js';

export interface HealthRoutesOptions {
  queries: Queries;
  runs: RunLog;
  daily: DailyStore;
  now: () => Date;
}

const runSchema = z.object({
  id: z.number().int(),
  kind: z.enum(['weekly', 'daily']).describe("daily: FINRA's daily files; weekly: its weekly ATS data"),
  trigger: z.string(),
  status: z.string(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  weeks: z.record(z.string(), z.number().int()).describe('Weeks by outcome: published, revised, unchanged, refused, failed, unavailable'),
});

export const healthSchema = z
  .object({
    status: z
      .enum(['ok', 'degraded', 'no_data'])
      .describe(
        'degraded: a tier (or, once any is loaded, the daily files) is stale, or the last weekly or daily ingest did not finish cleanly',
      ),
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
    daily: z
      .object({
        newest_trade_date: z.string().nullable(),
        loaded_at: z.string().nullable(),
        days_loaded: z.number().int().nonnegative(),
        expected_trade_date: z.string().describe('The newest trading day whose file FINRA has published by now'),
        stale: z.boolean().describe('true when more than one published trading day is missing'),
        missing_days: z.array(z.string()).describe('Trading days the last run found still without a file two business days later'),
        blocked: z.boolean().describe('true when FINRA\'s CDN refused the last run (a 403 that is not S3\'s "no such file")'),
        last_run: runSchema
          .omit({ weeks: true })
          .extend({ days: z.record(z.string(), z.number().int()).describe('Days by outcome') })
          .nullable(),
      })
      .describe("FINRA's daily short-sale volume files"),
  })
  .meta({ id: 'Health' });

export const healthRoutes: FastifyPluginAsyncZod<HealthRoutesOptions> = async (app, { queries, runs, daily, now }) => {
  const tags = ['health'];
  app.get(
    '/livez',
    { schema: { tags, summary: 'The process is up', response: ok(z.object({ status: z.literal('live') }), 'Alive') } },
    async () => ({ status: 'live' as const }),
  );

  app.get(
    '/readyz',
    {
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
      schema: {
        tags,
        summary: "Per tier: newest week, the next one FINRA's calendar expects, staleness; the last ingest",
        response: ok(healthSchema, 'Health report'),
      },
    },
    async () => healthReport(queries, runs, daily, now()),
  );
};
