// The /darkpool endpoints: HTTP shape only. Figures come from Reports; its domain errors become
// problem responses here, and list answers become CSV when the client asks for it.
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { weekStartOf } from '../domain/calendar.js';
import { NoDailyDataError } from '../read/daily.js';
import { EstimateUnavailableError, type EstimateReports } from '../read/estimates.js';
import type { Publications } from '../read/feed.js';
import { KEPT_WEEKS, type HistoryMemory } from '../read/history-memory.js';
import type { Revisions } from '../read/revisions.js';
import type { Unusual } from '../read/unusual.js';
import type { WeekFiles } from '../read/week-file.js';
import { WEEK_FILE_COLUMNS, WEEK_FILE_TYPES, weekFileName, weekFileText } from './week-file-body.js';
import {
  DEFAULT_HISTORY_WEEKS,
  NoDataError,
  TickerNotFoundError,
  VenueNotFoundError,
  WeekNotFoundError,
  type Reports,
} from '../read/weekly.js';
import { toCsv } from './csv.js';
import { atomFeed } from './feed.js';
import { ok, problemResponses, ProblemError } from './problems.js';
import {
  historyQueryWithFormat,
  historySchema,
  moversQuery,
  moversSchema,
  offExchangeParticipantSchema,
  offExchangeQuery,
  offExchangeSchema,
  ratioSchema,
  revisionsQuery,
  revisionsSchema,
  sectorsQuery,
  sectorsSchema,
  symbolWeekSchema,
  tickerParams,
  unusualQuery,
  unusualRecordSchema,
  unusualSchema,
  venuesQuery,
  venuesSchema,
  venueParams,
  venueQuery,
  venueSeriesSchema,
  venueSymbolSchema,
  venueSymbolsQuery,
  venueSymbolsSchema,
  venueTotalSchema,
  weeklyManyQuery,
  weeklyManySchema,
  weeklySchema,
  weekFileParams,
  weekFileQuery,
  weekFileSchema,
  weekQuery,
  weeksSchema,
} from './schemas.js';

export interface DarkpoolRoutesOptions {
  reports: Reports;
  /** Histories serialized once per revision (read/history-memory.ts). */
  histories: HistoryMemory;
  /** The read models as of a date (read/point-in-time.ts). */
  reportsAsOf: (asOf: string) => Reports;
  revisions: Revisions;
  weekFiles: WeekFiles;
  unusual: Unusual;
  publications: Publications;
  estimates: EstimateReports;
  now: () => Date;
}

/** Maps the read model's errors to problems; anything else stays a 500. */
export function answer<T>(fn: () => T, asOf?: string): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof NoDataError && asOf) {
      throw new ProblemError('week_not_found', `no loaded week had been published by FINRA on or before ${asOf} (as_of)`);
    }
    if (err instanceof NoDataError) {
      throw new ProblemError(
        'no_data',
        'No FINRA week is loaded yet. Run `darkpool-radar ingest` (or wait for the first scheduled ingest), or try `npm run demo`.',
      );
    }
    if (err instanceof TickerNotFoundError) throw new ProblemError('ticker_not_found', err.message);
    if (err instanceof WeekNotFoundError) throw new ProblemError('week_not_found', err.message);
    if (err instanceof VenueNotFoundError) throw new ProblemError('venue_not_found', err.message);
    if (err instanceof EstimateUnavailableError) throw new ProblemError('estimate_unavailable', err.message);
    if (err instanceof NoDailyDataError) {
      throw new ProblemError(
        'no_daily_data',
        "No FINRA daily file is loaded yet. Run `darkpool-radar ingest` (it fetches the daily files from FINRA's CDN).",
      );
    }
    throw err;
  }
}

/** What Fastify gives a serialized object: a kept answer, sent as bytes, says the same. */
const JSON_TYPE = 'application/json; charset=utf-8';
const SYMBOL_COLUMNS = Object.keys(symbolWeekSchema.shape);
const SECTOR_COLUMNS = Object.keys(sectorsSchema.shape.data.element.shape);
const VENUE_COLUMNS = Object.keys(venueTotalSchema.shape);
const VENUE_SYMBOL_COLUMNS = Object.keys(venueSymbolSchema.shape);
const OFF_EXCHANGE_COLUMNS = Object.keys(offExchangeParticipantSchema.shape);
const UNUSUAL_COLUMNS = Object.keys(unusualRecordSchema.shape);

/** JSON as is; CSV of the `data` records when negotiated (the envelope's facts go in the file name). */
export function listAnswer<T extends { data: readonly object[] }>(
  req: FastifyRequest,
  reply: FastifyReply,
  body: T,
  columns: string[],
  name: string,
): T | string {
  if (req.format !== 'csv') return body;
  reply.type('text/csv; charset=utf-8').header('content-disposition', `inline; filename="${name.replace(/[^\w.-]/g, '_')}.csv"`);
  return toCsv(columns, body.data as Record<string, unknown>[]);
}

/** CSV as documented: its columns are the ones listAnswer writes, from the same list. */
export const csvOf = (columns: readonly string[], what = 'The `data` records') =>
  z.string().describe(`${what}, one per line (CRLF) after a header line: ${columns.join(',')}`);

export function listOk<T>(schema: T, description: string, columns: readonly string[]) {
  return { 200: { description, content: { 'application/json': { schema }, 'text/csv': { schema: csvOf(columns) } } } };
}

// A key is needed only when the server is configured with some: hence the empty alternative.
export const SECURITY: Record<string, string[]>[] = [{ bearerKey: [] }, { headerKey: [] }, {}];

export const darkpoolRoutes: FastifyPluginAsyncZod<DarkpoolRoutesOptions> = async (
  app,
  { reports, histories, reportsAsOf, revisions, weekFiles, unusual, publications, estimates, now },
) => {
  const at = (asOf: string | undefined) => (asOf ? reportsAsOf(asOf) : reports);
  const tags = ['darkpool'];
  const security = SECURITY;
  const config = { cache: true };
  const csv = { cache: true, csv: true };

  app.get(
    '/darkpool/weekly/:ticker',
    {
      config,
      schema: {
        tags,
        security,
        summary: "A symbol's latest week: ATS shares, notional, venues and trend",
        params: tickerParams,
        querystring: weekQuery,
        response: {
          ...ok(weeklySchema, "The symbol's newest loaded week, or the week asked for"),
          ...problemResponses(400, 401, 404, 406, 429, 503),
        },
      },
    },
    async (req) => answer(() => at(req.query.as_of).weekly(req.params.ticker, req.query.week), req.query.as_of),
  );

  app.get(
    '/darkpool/weekly',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'Several symbols at once (up to 100), each as /darkpool/weekly/{ticker} answers it',
        querystring: weeklyManyQuery,
        response: { ...ok(weeklyManySchema, 'One record per symbol found'), ...problemResponses(400, 401, 406, 429, 503) },
      },
    },
    async (req) => answer(() => reports.weeklyMany(req.query.tickers)),
  );

  app.get(
    '/darkpool/movers/top20',
    {
      config: csv,
      schema: {
        tags,
        security,
        summary: 'The 20 symbols with the most ATS shares (or notional, trades, change) in a week',
        querystring: moversQuery,
        response: { ...listOk(moversSchema, 'Top 20, largest first', SYMBOL_COLUMNS), ...problemResponses(400, 401, 404, 406, 429, 503) },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const body = answer(
        () =>
          at(q.as_of).movers({
            week: q.week,
            tier: q.tier,
            sector: q.sector,
            sort: q.sort,
            order: q.order,
            minPrevShares: q.min_prev_shares,
            limit: q.limit,
            offset: q.offset,
          }),
        q.as_of,
      );
      return listAnswer(req, reply, body, SYMBOL_COLUMNS, `movers_${body.week_ending}_${q.sort}`);
    },
  );

  app.get(
    '/darkpool/unusual',
    {
      config: csv,
      schema: {
        tags,
        security,
        summary: 'Unusual activity: symbols whose ATS shares stand z standard deviations from their own trailing mean',
        description:
          'The trailing window is the `window` whole weeks of the tier loaded before the week; a week without ATS rows for the symbol counts 0. ' +
          'Mean and sample standard deviation (n - 1) over them. Left out: every symbol when the tier has fewer such weeks, symbols with a ' +
          'standard deviation of 0 or a trailing mean under min_prev_shares. The same statistics on the ATS share of off-exchange volume.',
        querystring: unusualQuery,
        response: {
          ...listOk(unusualSchema, 'Largest z-scores first (direction=down: smallest)', UNUSUAL_COLUMNS),
          ...problemResponses(400, 401, 404, 406, 429, 503),
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const body = answer(() =>
        unusual.list({
          week: q.week,
          tier: q.tier,
          window: q.window,
          z: q.z,
          minPrevShares: q.min_prev_shares,
          limit: q.limit,
          direction: q.direction,
        }),
      );
      return listAnswer(req, reply, body, UNUSUAL_COLUMNS, `unusual_${body.week_ending}_${q.direction}`);
    },
  );

  app.get(
    '/darkpool/ratio/:ticker',
    {
      config,
      schema: {
        tags,
        security,
        summary: "ATS shares against FINRA's non-ATS off-exchange shares, latest week (or week=)",
        params: tickerParams,
        querystring: weekQuery,
        response: { ...ok(ratioSchema, 'ATS and non-ATS off-exchange shares'), ...problemResponses(400, 401, 404, 406, 429, 503) },
      },
    },
    async (req) => answer(() => at(req.query.as_of).ratio(req.params.ticker, req.query.week), req.query.as_of),
  );

  app.get(
    '/darkpool/offexchange/:ticker',
    {
      config: csv,
      schema: {
        tags,
        security,
        summary: "A symbol's off-exchange volume in a week: ATS venues and non-ATS firms (wholesalers) side by side",
        params: tickerParams,
        querystring: offExchangeQuery,
        response: {
          ...listOk(offExchangeSchema, 'The latest week, or week=', OFF_EXCHANGE_COLUMNS),
          ...problemResponses(400, 401, 404, 406, 429, 503),
        },
      },
    },
    async (req, reply) => {
      const body = answer(() => at(req.query.as_of).offExchange(req.params.ticker, req.query.week), req.query.as_of);
      return listAnswer(req, reply, body, OFF_EXCHANGE_COLUMNS, `offexchange_${body.ticker}_${body.week_ending}`);
    },
  );

  app.get(
    '/darkpool/history/:ticker',
    {
      config: csv,
      schema: {
        tags,
        security,
        summary: "Weekly history, newest first (with include=estimates, the unpublished weeks' estimates on top)",
        params: tickerParams,
        querystring: historyQueryWithFormat,
        response: {
          ...listOk(historySchema, 'One record per loaded week', SYMBOL_COLUMNS),
          ...problemResponses(400, 401, 404, 406, 429, 503),
        },
      },
    },
    async (req, reply) => {
      if (req.query.include && req.query.as_of) {
        throw new ProblemError('invalid_parameter', 'include=estimates answers for today only, not with as_of', {
          errors: [{ parameter: 'include', message: 'not available with as_of' }],
        });
      }
      if (req.query.include && req.format === 'csv') {
        throw new ProblemError(
          'invalid_parameter',
          'include=estimates is JSON only: estimates carry an interval and their calibration weeks',
          {
            errors: [{ parameter: 'include', message: 'not available with CSV' }],
          },
        );
      }
      const { from, to } = req.query;
      if (from && to && weekStartOf(from) > weekStartOf(to)) {
        throw new ProblemError('invalid_parameter', `from (${from}) is after to (${to})`, {
          errors: [{ parameter: 'from', message: 'after to' }],
        });
      }
      if (req.format === 'json' && !req.query.include && !req.query.as_of && !from && !to) {
        const kept = histories.json(req.params.ticker, req.query.weeks);
        // Cheap to answer again: the answer cache keeps it apart, and only once it is asked again
        // (http-cache.ts). Bytes are sent as they are: the response schema documents the JSON they carry.
        if (kept) {
          req.responseCheap = true;
          // A 52-week answer is the very Buffer kept: its compressed forms can be kept beside it.
          req.responseKept = (req.query.weeks ?? DEFAULT_HISTORY_WEEKS) === KEPT_WEEKS;
          return reply.type(JSON_TYPE).send(kept as unknown as string);
        }
      }
      const body = answer(() => at(req.query.as_of).history(req.params.ticker, req.query.weeks, { from, to }), req.query.as_of);
      if (req.query.include) return answer(() => estimates.withEstimates(body));
      return listAnswer(req, reply, body, SYMBOL_COLUMNS, `history_${body.ticker}_${body.weeks}w`);
    },
  );

  app.get(
    '/darkpool/sectors',
    {
      config: csv,
      schema: {
        tags,
        security,
        summary: 'ATS shares and notional per sector in a week',
        querystring: sectorsQuery,
        response: {
          ...listOk(sectorsSchema, 'Sector totals, largest first', SECTOR_COLUMNS),
          ...problemResponses(400, 401, 404, 406, 429, 503),
        },
      },
    },
    async (req, reply) => {
      const body = answer(() => at(req.query.as_of).sectors({ week: req.query.week }), req.query.as_of);
      return listAnswer(req, reply, body, SECTOR_COLUMNS, `sectors_${body.week_ending}`);
    },
  );

  app.get(
    '/darkpool/venues',
    {
      config: csv,
      schema: {
        tags,
        security,
        summary: 'The ATS leaderboard of a week: each venue summed over the symbols it traded',
        querystring: venuesQuery,
        response: { ...listOk(venuesSchema, 'Venues, largest first', VENUE_COLUMNS), ...problemResponses(400, 401, 404, 406, 429, 503) },
      },
    },
    async (req, reply) => {
      const body = answer(() => at(req.query.as_of).venues({ week: req.query.week, tier: req.query.tier }), req.query.as_of);
      return listAnswer(req, reply, body, VENUE_COLUMNS, `venues_${body.week_ending}`);
    },
  );

  app.get(
    '/darkpool/venues/:mpid',
    {
      config,
      schema: {
        tags,
        security,
        summary: "One ATS's weekly series: shares, trades, notional, symbols traded, market share, average trade size",
        params: venueParams,
        querystring: venueQuery,
        response: { ...ok(venueSeriesSchema, 'Newest week first'), ...problemResponses(400, 401, 404, 406, 429, 503) },
      },
    },
    async (req) => answer(() => at(req.query.as_of).venue(req.params.mpid, req.query.weeks, req.query.tier), req.query.as_of),
  );

  app.get(
    '/darkpool/venues/:mpid/symbols',
    {
      config: csv,
      schema: {
        tags,
        security,
        summary: 'What an ATS traded in a week (its newest by default), largest first',
        params: venueParams,
        querystring: venueSymbolsQuery,
        response: {
          ...listOk(venueSymbolsSchema, 'One record per symbol', VENUE_SYMBOL_COLUMNS),
          ...problemResponses(400, 401, 404, 406, 429, 503),
        },
      },
    },
    async (req, reply) => {
      const body = answer(() => at(req.query.as_of).venueSymbols(req.params.mpid, req.query.week, req.query.tier), req.query.as_of);
      return listAnswer(req, reply, body, VENUE_SYMBOL_COLUMNS, `venue_${body.mpid}_${body.week_ending}`);
    },
  );

  app.get(
    '/darkpool/weeks/:week/symbols',
    {
      config: { cache: true, csv: true, ndjson: true },
      schema: {
        tags,
        security,
        summary:
          'The whole week in one file: every symbol of its tiers with the fields of /darkpool/weekly (JSON, CSV or NDJSON), streamed',
        params: weekFileParams,
        querystring: weekFileQuery,
        response: {
          200: {
            description: 'Every symbol, tier then symbol order',
            content: {
              'application/json': { schema: weekFileSchema },
              'text/csv': { schema: csvOf(WEEK_FILE_COLUMNS, 'One weekly record per symbol') },
              'application/x-ndjson': { schema: z.string().describe('One weekly record (JSON) per line') },
            },
          },
          ...problemResponses(400, 401, 404, 406, 429, 503),
        },
      },
    },
    async (req, reply) => {
      const file = answer(() => weekFiles.open(req.params.week, req.query.tier));
      reply.type(WEEK_FILE_TYPES[req.format].type).header('content-disposition', `inline; filename="${weekFileName(file, req.format)}"`);
      // Nothing to send (a 304, or HEAD): the connection closes now, unread.
      if (req.notModified || req.method === 'HEAD') {
        file.close();
        return reply.send('');
      }
      const body = Readable.from(weekFileText(file, req.format));
      body.on('close', file.close);
      // A stream is sent as it is: the response schema documents the JSON it carries.
      return reply.send(body as unknown as string);
    },
  );

  app.get(
    '/darkpool/feed.atom',
    {
      schema: {
        tags,
        security,
        summary: 'The last 100 FINRA weeks published here and revisions of them, as an Atom feed',
        response: {
          200: {
            description: 'Atom 1.0 (RFC 4287), newest first',
            content: { 'application/atom+xml': { schema: z.string() } },
          },
          ...problemResponses(401, 429),
        },
      },
    },
    async (_req, reply) => {
      const body = atomFeed(publications.list(100));
      return reply.type('application/atom+xml; charset=utf-8').header('cache-control', 'public, no-cache').send(body);
    },
  );

  app.get(
    '/darkpool/revisions',
    {
      config,
      schema: {
        tags,
        security,
        summary: 'What FINRA changed in weeks it had already published, and when (with ticker=, what changed for that symbol)',
        querystring: revisionsQuery,
        response: { ...ok(revisionsSchema, 'Revisions, newest first'), ...problemResponses(400, 401, 404, 406, 429) },
      },
    },
    async (req) => answer(() => revisions.list(req.query)),
  );

  app.get(
    '/darkpool/weeks',
    {
      config,
      schema: {
        tags,
        security,
        summary: "The loaded weeks per tier, FINRA's dates, revision counts, the next publication due",
        response: { ...ok(weeksSchema, 'Loaded weeks, newest first per tier'), ...problemResponses(401, 406, 429, 503) },
      },
    },
    async () => answer(() => reports.weeksOverview(now())),
  );
};
