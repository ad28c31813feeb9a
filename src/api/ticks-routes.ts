// POST /ticks/analyze: tape trades in (CSV or NDJSON, streamed), the tape analysis out.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Queries } from '../read/queries.js';
import { finraCrossCheck } from '../ticks/finra-check.js';
import { readTape, type AnalyzedTape } from '../ticks/index.js';
import { PRINT_CLASSES, TooManyBarsError } from '../ticks/analyze.js';
import { INPUT_FORMATS, INPUT_LAYOUTS, MalformedRowError, TradeFormatError } from '../ticks/parse.js';
import { CANDLE_CSV_COLUMNS } from '../ticks/report.js';
import { SYMBOL } from '../ticks/trade.js';
import { csvChunks, negotiate, type Format } from './csv.js';
import { csvOf } from './darkpool-routes.js';
import { problemResponses, ProblemError } from './problems.js';
import { booleanParam, decimalParam, enumListParam, enumParam, intParam, MAX_TICKERS } from './schemas.js';

export const TICKS_MEDIA_TYPES = ['text/csv', 'application/x-ndjson'] as const;
/** The documented upload limit; larger files belong to the CLI (`darkpool-radar ticks FILE`). */
export const DEFAULT_TICKS_MAX_BYTES = 50 * 1024 * 1024;
/**
 * The most candles an upload may make: a gzip'd upload of trades spread over many symbols makes one
 * per trade. Answering 35 MB of them (4 million candles) took the server 33 s and 2.9 GB; refused at
 * this limit, 1 s and 0.4 GB. 500,000 is a minute's bars of 1,282 symbol-days.
 */
export const DEFAULT_TICKS_MAX_BARS = 500_000;
/** Uploads analysed at once by one server; more wait their turn outside (503 busy, Retry-After). */
export const DEFAULT_TICKS_CONCURRENCY = 2;

export interface TicksRoutesOptions {
  queries: Queries;
  maxBytes: number;
  maxBars: number;
  maxConcurrent: number;
}

const stats = z.object({
  trades: z.number(),
  volume: z.number(),
  off_exchange_trades: z.number(),
  off_exchange_volume: z.number(),
  lit_trades: z.number(),
  lit_volume: z.number(),
  odd_lot_trades: z.number(),
  odd_lot_volume: z.number(),
  round_lot_trades: z.number(),
  round_lot_volume: z.number(),
  off_exchange_trade_share: z.number().nullable(),
  off_exchange_volume_share: z.number().nullable(),
  odd_lot_trade_share: z.number().nullable(),
  odd_lot_volume_share: z.number().nullable(),
  dark_to_lit_ratio: z.number().nullable().describe('Off-exchange volume / lit volume'),
  dark_to_lit_band: z.enum(['lit-dominant', 'elevated', 'heavy']).nullable().describe('<0.3 lit-dominant, 0.3-0.6 elevated, >0.6 heavy'),
  prints_without_statistics: z.number().describe('Prints that update no statistic (official open/close reports)'),
  off_exchange_volume_by_facility: z.record(z.string(), z.number()),
});

const print = z.object({
  time: z.string(),
  price: z.number(),
  size: z.number(),
  notional: z.number(),
  exchange: z.string(),
  conditions: z.string(),
  off_exchange: z.boolean(),
});

const bucket = z.object({ bucket: z.string(), trades: z.number(), volume: z.number(), trade_share: z.number().nullable() });

export const candleSchema = z
  .object({
    prints: z.enum(PRINT_CLASSES).describe('The class of prints this candle is built from'),
    start: z.string(),
    end: z.string(),
    open: z.number().nullable(),
    high: z.number().nullable(),
    low: z.number().nullable(),
    close: z.number().nullable(),
    vwap: z.number().nullable().describe('Over the prints allowed to move the candle'),
    raw_high: z.number().nullable().describe('The naive candle: every print'),
    raw_low: z.number().nullable(),
    phantom_high: z.boolean().describe('The naive high is above the one the rules allow'),
    phantom_low: z.boolean(),
    volume: z.number(),
    volume_round_lot: z.number(),
    volume_odd_lot: z.number(),
    volume_off_exchange: z.number(),
    volume_lit: z.number(),
    trades: z.number(),
    trades_round_lot: z.number(),
    trades_odd_lot: z.number(),
    trades_off_exchange: z.number(),
    trades_lit: z.number(),
    trades_late: z.number().describe('Prints published more than the delay threshold after execution'),
    volume_late: z.number(),
  })
  .meta({ id: 'Candle' });

export const tapeReportSchema = z
  .object({
    rules: z.object({ name: z.enum(['sip', 'letter-u-y']), description: z.string() }),
    interval_seconds: z.number(),
    prints: z.array(z.enum(PRINT_CLASSES)).describe('The classes of prints the candles are built from, side by side'),
    late_prints: z.object({
      threshold_seconds: z.number(),
      excluded_from_candles: z.boolean().describe("Late prints are kept out of a bar's OHLC and volume (still counted as late)"),
    }),
    input: z.object({
      format: z.enum(['csv', 'ndjson', 'json', 'empty']),
      layout: z
        .enum(INPUT_LAYOUTS)
        .nullable()
        .describe("radar (our columns, SIP letters) or massive (Massive's flat files and API, numeric ids)"),
      lines: z.number(),
      trades: z.number(),
      malformed: z.number(),
      malformed_rows: z.array(z.object({ line: z.number(), reason: z.string() })).describe('The first 100'),
      superseded: z.number().describe('Rows the vendor marks cancelled, erroneous or replaced by a correction, left out'),
      other_symbols: z.number().describe('Trades of symbols not asked for (symbols=), left out'),
    }),
    totals: stats,
    symbols: z.array(
      z.object({
        symbol: z.string(),
        first_trade: z.string(),
        last_trade: z.string(),
        statistics: stats,
        large_prints: z.object({
          size_threshold: z.number(),
          notional_threshold: z.number(),
          by_size: z.number(),
          by_notional: z.number(),
          largest: z.array(print),
        }),
        delayed_prints: z.object({
          threshold_seconds: z.number(),
          with_participant_time: z.number(),
          count: z.number(),
          longest: z.array(print.extend({ participant_time: z.string(), delay_seconds: z.number() })),
        }),
        size_distribution: z.object({
          session: z.string(),
          first_half: z.array(bucket),
          second_half: z.array(bucket),
          shift_pct_points: z.array(z.object({ bucket: z.string(), change: z.number().nullable() })),
        }),
        finra: z
          .looseObject({ status: z.enum(['loaded', 'week_not_loaded', 'no_store']) })
          .describe(
            "FINRA's ATS and non-ATS shares for the week of the trades, and the tape's off-exchange volume split by them (an estimate)",
          ),
        candles: z.array(candleSchema),
      }),
    ),
  })
  .meta({ id: 'TapeReport' });

export const ticksQuery = z.object({
  interval: intParam('interval', 1, 86_400).default(60).describe('Candle interval, seconds'),
  rules: enumParam('rules', ['sip', 'letter-u-y']).default('sip').describe('sip (the specifications) or the letter-u-y convention'),
  large_size: decimalParam('large_size', 1, 1e12).default(5_000),
  large_notional: decimalParam('large_notional', 1, 1e15).default(200_000),
  delay_seconds: decimalParam('delay_seconds', 0, 86_400).default(10),
  strict: booleanParam('strict').describe('Stop at the first malformed row (a 400 naming its line)'),
  prints: enumListParam('prints', PRINT_CLASSES)
    .default(['all'])
    .describe('Candles from these classes of prints, side by side (comma-separated): all, lit, off-exchange, round-lot, lit-round-lot'),
  exclude_late: booleanParam('exclude_late').describe(
    "Keep late prints (published more than delay_seconds after execution) out of a bar's OHLC and volume",
  ),
  input_format: enumParam('input_format', INPUT_FORMATS).default('auto').describe('auto tells the layout from the header or the fields'),
  symbols: z
    .string()
    .transform((v) => [...new Set(v.split(',').map((t) => t.trim().toUpperCase()))])
    .pipe(z.array(z.string().regex(SYMBOL, 'symbols must be tickers, comma-separated')).min(1).max(MAX_TICKERS))
    .optional()
    .describe(
      `Only these symbols (comma-separated, up to ${MAX_TICKERS}); one symbol is also the ticker of rows that carry none (Massive's trades API pages)`,
    ),
  format: enumParam('format', ['json', 'csv']).optional().describe('Or send Accept: text/csv for the candles as CSV'),
});

/** Content-Encoding values a body may have; a gzip body may expand to this many times the upload limit. */
const GZIP_ENCODINGS = new Set(['gzip', 'x-gzip']);
const GZIP_EXPANSION = 10;
const JSON_OR_CSV: ReadonlySet<Format> = new Set(['json', 'csv']);

const tooLarge = (maxBytes: number, what = 'Uploads are') =>
  new ProblemError('payload_too_large', `${what} limited to ${maxBytes} bytes; use \`darkpool-radar ticks FILE\` for larger files.`, {
    headers: { connection: 'close' },
  });

/**
 * Passes the body through, counting bytes: the limit is enforced while streaming, not after. Past it the
 * rest is read and dropped (the request timeout bounds how long), so that the client reads a 413
 * problem instead of a connection cut under its upload.
 */
async function* limited(stream: Readable, maxBytes: number): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
    seen += (chunk as Buffer).length;
    if (seen > maxBytes) {
      stream.resume();
      throw tooLarge(maxBytes);
    }
    yield chunk as Buffer;
  }
}

/** A gzip body, decompressed as it streams; what it expands to is limited too (a small body can hold gigabytes). */
async function* gunzipped(body: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  // Errors travel both ways: an over-long upload or a broken stream ends the iteration below.
  pipeline(Readable.from(body), gunzip).catch(() => undefined);
  let seen = 0;
  try {
    for await (const chunk of gunzip) {
      seen += (chunk as Buffer).length;
      if (seen > maxBytes) throw tooLarge(maxBytes, 'Decompressed uploads are');
      yield chunk as Buffer;
    }
  } catch (err) {
    if (err instanceof ProblemError) throw err;
    throw new ProblemError('invalid_body', `The body is not valid gzip: ${(err as Error).message}.`);
  } finally {
    gunzip.destroy();
  }
}

export const ticksRoutes: FastifyPluginAsyncZod<TicksRoutesOptions> = async (app, { queries, maxBytes, maxBars, maxConcurrent }) => {
  // Uploads being read or answered: each holds up to maxBars candles until its answer is sent.
  let running = 0;
  // Bodies of these types are handed to the route as streams: a file is never held whole.
  app.addContentTypeParser([...TICKS_MEDIA_TYPES], { bodyLimit: maxBytes }, (_req, payload, done) => done(null, payload));

  app.post(
    '/ticks/analyze',
    {
      bodyLimit: maxBytes,
      schema: {
        tags: ['ticks'],
        summary: 'Analyse consolidated-tape trades: off-exchange prints, odd lots, candles that odd lots cannot distort',
        description: `CSV with a header or NDJSON, one trade per row: symbol, timestamp (epoch ns/us/ms/s or ISO-8601 with a zone), price, size, exchange, conditions, and optionally trf_id, participant_timestamp, tape. Up to ${maxBytes} bytes, making at most ${maxBars} candles (413 beyond).`,
        security: [{ bearerKey: [] }, { headerKey: [] }, {}],
        querystring: ticksQuery,
        consumes: [...TICKS_MEDIA_TYPES],
        // The body arrives as a stream (see the content-type parser); this documents it, nothing to validate.
        body: z.any().describe('Trades, one per line: CSV with a header, or NDJSON'),
        response: {
          200: {
            description: 'The analysis; or its candles as CSV',
            content: {
              'application/json': { schema: tapeReportSchema },
              'text/csv': { schema: csvOf(CANDLE_CSV_COLUMNS, 'The candles of every symbol') },
            },
          },
          ...problemResponses(400, 401, 406, 413, 415, 429, 'busy'),
        },
      },
    },
    async (req, reply) => {
      const type = String(req.headers['content-type'] ?? '')
        .split(';')[0]!
        .trim()
        .toLowerCase();
      if (!(TICKS_MEDIA_TYPES as readonly string[]).includes(type)) {
        throw new ProblemError('unsupported_media_type', `Send trades as ${TICKS_MEDIA_TYPES.join(' or ')}.`);
      }
      const encoding = String(req.headers['content-encoding'] ?? 'identity')
        .trim()
        .toLowerCase();
      if (encoding !== 'identity' && encoding !== '' && !GZIP_ENCODINGS.has(encoding)) {
        throw new ProblemError('unsupported_media_type', 'Send the body as is or gzip-compressed (Content-Encoding: gzip).');
      }
      const q = req.query;
      // Decided before the body is read: a client that can take neither answer learns it at once.
      const format = negotiate(q.format, req.headers.accept, JSON_OR_CSV);
      if (!format) throw new ProblemError('not_acceptable', 'This endpoint answers application/json or text/csv.');
      const length = Number(req.headers['content-length']);
      if (length > maxBytes) throw tooLarge(maxBytes);
      if (running >= maxConcurrent) {
        throw new ProblemError('busy', `${maxConcurrent} uploads are being analysed; send this one again in a second.`, {
          headers: { 'retry-after': '1' },
        });
      }
      running++;
      reply.raw.once('close', () => running--);
      const body = limited(req.body as Readable, maxBytes);
      let tape: AnalyzedTape;
      try {
        tape = await readTape(GZIP_ENCODINGS.has(encoding) ? gunzipped(body, maxBytes * GZIP_EXPANSION) : body, {
          intervalSeconds: q.interval,
          rules: q.rules,
          largeSize: q.large_size,
          largeNotional: q.large_notional,
          delaySeconds: q.delay_seconds,
          strict: q.strict,
          prints: q.prints,
          excludeLate: q.exclude_late,
          inputFormat: q.input_format,
          symbols: q.symbols,
          crossCheck: finraCrossCheck(queries),
          maxBars,
        });
      } catch (err) {
        if (err instanceof TooManyBarsError) {
          throw new ProblemError(
            'payload_too_large',
            `The trades make more than ${maxBars} candles (symbols x intervals x print classes): send fewer symbols, ask for a longer interval, or use \`darkpool-radar ticks FILE\`, which has no limit.`,
          );
        }
        if (err instanceof MalformedRowError) throw new ProblemError('invalid_parameter', `malformed trade at ${err.message}`);
        if (err instanceof TradeFormatError) throw new ProblemError('invalid_parameter', err.message);
        throw err;
      }
      if (tape.input.format === 'empty')
        throw new ProblemError('invalid_body', 'The body holds no trades: send a CSV header and rows, or NDJSON.');
      // Streamed in chunks as the client reads them: a 50 MB upload of many symbols makes
      // hundreds of megabytes of candles, more than one string holds. A stream is sent as it is: the
      // response schema documents the JSON it carries.
      if (format === 'csv') {
        reply.type('text/csv; charset=utf-8').header('content-disposition', 'inline; filename="candles.csv"');
        return reply.send(Readable.from(csvChunks(CANDLE_CSV_COLUMNS, tape.candleRows())) as unknown as string);
      }
      return reply.type('application/json; charset=utf-8').send(Readable.from(tape.json(0)) as unknown as string);
    },
  );
};
