// What an error code means: every problem's `type` resolves here.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ok, PROBLEM_CODES, problemResponses, ProblemError, type ProblemCode } from './problems.js';

export const metaRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get(
    '/problems/:code',
    {
      schema: {
        tags: ['meta'],
        summary: 'What an error code means (the `type` of every problem response points here)',
        params: z.object({ code: z.string() }),
        response: {
          ...ok(
            z
              .object({ code: z.string(), status: z.number().int(), title: z.string(), description: z.string() })
              .meta({ id: 'ProblemType' }),
            'The meaning of the code',
          ),
          ...problemResponses(404),
        },
      },
    },
    async (req) => {
      if (!Object.hasOwn(PROBLEM_CODES, req.params.code)) {
        throw new ProblemError('not_found', `There is no problem type "${req.params.code}".`);
      }
      const entry = PROBLEM_CODES[req.params.code as ProblemCode];
      return { code: req.params.code, status: entry.status, title: entry.title, description: entry.description };
    },
  );
};
