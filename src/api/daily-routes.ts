// Fresher than the weekly data: FINRA's daily off-exchange volume per symbol, estimates of the weeks
// FINRA has not published yet, and how accurate past estimates were. HTTP shape only.
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { DailyReports } from '../read/daily.js';
import type { EstimateReports } from '../read/estimates.js';
import { answer, listAnswer, listOk, SECURITY } from './darkpool-routes.js';
import { ok, problemResponses } from './problems.js';
import { accuracyQuery, accuracySchema, dailyQuery, dailyRecordSchema, dailySchema, estimateSchema, tickerParams } from './schemas.js';

export interface DailyRoutesOptions {
  daily: DailyReports;
  estimates: EstimateReports;
}

const DAILY_COLUMNS = Object.keys(dailyRecordSchema.shape);

export const dailyRoutes: FastifyPluginAsyncZod<DailyRoutesOptions> = async (app, { daily, estimates }) => {
  const tags = ['daily'];
  const security = SECURITY;

  app.get(
    '/darkpool/daily/:ticker',
    {
      config: { cache: true, csv: true },
      schema: {
        tags,
        security,
        summary: "FINRA's daily off-exchange volume (ATS and non-ATS), short and short-exempt volume, newest first",
        params: tickerParams,
        querystring: dailyQuery,
        response: {
          ...listOk(dailySchema, 'One record per loaded trading day', DAILY_COLUMNS),
          ...problemResponses(400, 401, 404, 406, 429, 503),
        },
      },
    },
    async (req, reply) => {
      const body = answer(() => daily.daily(req.params.ticker, req.query.days));
      return listAnswer(req, reply, body, DAILY_COLUMNS, `daily_${body.ticker}_${body.days}d`);
    },
  );

  app.get(
    '/darkpool/estimate/accuracy',
    {
      config: { cache: true },
      schema: {
        tags,
        security,
        summary: 'How far past estimates were from what FINRA then published, per tier and method',
        querystring: accuracyQuery,
        response: { ...ok(accuracySchema, 'Errors of scored estimates'), ...problemResponses(400, 401, 406, 429) },
      },
    },
    async (req) => answer(() => estimates.accuracy(req.query.weeks, req.query.tier)),
  );

  app.get(
    '/darkpool/estimate/:ticker',
    {
      config: { cache: true },
      schema: {
        tags,
        security,
        summary: 'Estimated ATS shares of the weeks FINRA has not published yet, with a 90% interval (labelled estimates)',
        description:
          "Each week after the symbol's newest published week that has FINRA daily files: the week's summed daily off-exchange " +
          "volume times the symbol's ATS share of it, calibrated on up to 8 published weeks (the tier's share for thin symbols). " +
          'Estimates never enter movers, sectors, venues or trends.',
        params: tickerParams,
        response: { ...ok(estimateSchema, 'Estimates, newest first'), ...problemResponses(400, 401, 404, 406, 429, 503) },
      },
    },
    async (req) => answer(() => estimates.estimates(req.params.ticker)),
  );
};
