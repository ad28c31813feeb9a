// The /darkpool endpoints: HTTP shape only. Figures come from Reports; its two domain errors become
// problem responses here.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { NoDataError, TickerNotFoundError, type Reports } from '../store/reports.js';
import { ok, problemResponses, ProblemError } from './problems.js';
import {
  historyQuery,
  historySchema,
  moversSchema,
  ratioSchema,
  sectorsSchema,
  tickerParams,
  weeklySchema,
} from './schemas.js';

export interface DarkpoolRoutesOptions {
  reports: Reports;
}

/** Maps the read model's errors to problems; anything else stays a 500. */
function answer<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof NoDataError) {
      throw new ProblemError('no_data', 'No FINRA week is loaded yet. Run `darkpool-radar ingest` (or wait for the first scheduled ingest), or try `npm run demo`.');
    }
    if (err instanceof TickerNotFoundError) throw new ProblemError('ticker_not_found', err.message);
    throw err;
  }
}

export const DATA_ROUTES = [
  '/darkpool/weekly/:ticker',
  '/darkpool/movers/top20',
  '/darkpool/ratio/:ticker',
  '/darkpool/history/:ticker',
  '/darkpool/sectors',
] as const;

export const darkpoolRoutes: FastifyPluginAsyncZod<DarkpoolRoutesOptions> = async (app, { reports }) => {
  const tags = ['darkpool'];

  app.get(
    '/darkpool/weekly/:ticker',
    {
      schema: {
        tags,
        summary: "A symbol's latest week: ATS shares, notional, venues and trend",
        params: tickerParams,
        response: { ...ok(weeklySchema, "The symbol's newest loaded week"), ...problemResponses(400, 404, 503) },
      },
    },
    async (req) => answer(() => reports.weekly(req.params.ticker)),
  );

  app.get(
    '/darkpool/movers/top20',
    {
      schema: {
        tags,
        summary: 'The 20 symbols with the most ATS shares in the latest loaded week',
        response: { ...ok(moversSchema, 'Top 20 by ATS shares'), ...problemResponses(503) },
      },
    },
    async () => answer(() => reports.movers(20)),
  );

  app.get(
    '/darkpool/ratio/:ticker',
    {
      schema: {
        tags,
        summary: "ATS shares against FINRA's non-ATS off-exchange shares, latest week",
        params: tickerParams,
        response: { ...ok(ratioSchema, 'ATS and non-ATS off-exchange shares'), ...problemResponses(400, 404, 503) },
      },
    },
    async (req) => answer(() => reports.ratio(req.params.ticker)),
  );

  app.get(
    '/darkpool/history/:ticker',
    {
      schema: {
        tags,
        summary: 'Weekly history, newest first',
        params: tickerParams,
        querystring: historyQuery,
        response: { ...ok(historySchema, 'One record per loaded week'), ...problemResponses(400, 404, 503) },
      },
    },
    async (req) => answer(() => reports.history(req.params.ticker, req.query.weeks)),
  );

  app.get(
    '/darkpool/sectors',
    {
      schema: {
        tags,
        summary: 'ATS shares and notional per sector, latest loaded week',
        response: { ...ok(sectorsSchema, 'Sector totals, largest first'), ...problemResponses(503) },
      },
    },
    async () => answer(() => reports.sectors()),
  );
};
