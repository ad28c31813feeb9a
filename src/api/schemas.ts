// The API contract. These zod schemas validate input, shape output, type the handlers, and become
// the OpenAPI document's components (each `.meta({ id })` is a named schema there).
import { z } from 'zod';
import { isIsoDate } from '../domain/calendar.js';
import { isTickerInput } from '../domain/symbols.js';
import { TIERS } from '../domain/tiers.js';
import { SECTORS } from '../sectors/sectors.js';
import { MIN_PREV_SHARES_FOR_CHANGE } from '../read/weekly.js';

const date = (description: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .describe(description);

/** Shares: whole numbers through 2026; FINRA may publish fractional shares (up to six decimals), summed exactly. */
const shareCount = z.number().nonnegative();

export const tierSchema = z
  .enum(TIERS)
  .meta({ id: 'Tier', description: 'FINRA tier: T1 (NMS Tier 1), T2 (NMS Tier 2), OTCE (OTC equities)' });
export const trendSchema = z.enum(['rising', 'falling', 'stable']).nullable().meta({
  id: 'Trend',
  description:
    'Week over week ATS shares: rising above +5%, falling below -5%, else stable; null when no comparison is possible (trend_basis)',
});

export const trendBasisSchema = z.enum(['compared', 'previous_week_not_loaded', 'tiers_differ']).meta({
  id: 'TrendBasis',
  description:
    'compared: with the week before (a symbol absent from a loaded week had 0). previous_week_not_loaded, tiers_differ (sectors, venues: the week before holds other tiers): no comparison, trend and change null',
});

export const coverageSchema = z
  .enum(['full', 'symbol_totals'])
  .describe(
    "`full`: the week's every per-ATS row is loaded. `symbol_totals`: the week holds FINRA's per-symbol ATS totals " +
      'of some symbols only (an imported ATS_W_SMBL file): no venues, and left out of movers, sectors and venues',
  )
  .meta({ id: 'Coverage' });

export const sourceSchema = z
  .object({
    provider: z.literal('FINRA'),
    name: z.string(),
    url: z.string(),
    terms: z.string(),
    as_of: date('Set when the answer gives the figures as FINRA had published them on this date').optional(),
    weeks: z
      .array(
        z.object({
          tier: tierSchema,
          week_start: date('Monday the week started'),
          week_ending: date('Sunday the week ended'),
          coverage: coverageSchema,
          finra_published: date("FINRA's first publication of the week").nullable(),
          finra_last_update: date("FINRA's latest revision of the week's rows").nullable(),
          loaded_at: z.string().describe('When this service first loaded the week (ISO 8601)'),
          updated_at: z.string().describe('When this service last published a change to the week (ISO 8601)'),
        }),
      )
      .describe('The FINRA weeks this answer is computed from'),
    freshness: z
      .array(
        z.object({
          tier: tierSchema,
          newest_week_start: date('Newest loaded week of the tier (Monday)'),
          newest_week_ending: date('Its Sunday'),
          loaded_at: z.string().describe('When it was first loaded (ISO 8601)'),
          updated_at: z.string().describe('When it last changed (ISO 8601)'),
        }),
      )
      .describe("The whole dataset's freshness: the newest loaded week of each tier"),
  })
  .meta({ id: 'Source', description: 'Where the figures come from, and the terms they are used under' });

export const symbolWeekSchema = z
  .object({
    ticker: z.string().describe("FINRA's symbol, e.g. BRK.B"),
    issue_name: z.string().nullable(),
    tier: tierSchema,
    week_start: date('Monday the week started (FINRA weekStartDate)'),
    week_ending: date('Sunday the week ended'),
    sector: z.string().describe('GICS sector, "ETFs & ETPs", or "Unknown"'),
    sector_source: z.string().describe('Where the sector came from (see README)'),
    dark_pool_shares: shareCount.describe("Shares traded in ATSs: the sum of FINRA's per-ATS rows"),
    dark_pool_volume_usd: z.number().nullable().describe('USD notional (FINRA totalNotionalSum); null when FINRA gave none'),
    dark_pool_trades: z.number().int().nonnegative(),
    avg_trade_size: z.number().nullable().describe('Shares per trade; null without trades'),
    ats_venues: z
      .number()
      .int()
      .nonnegative()
      .nullable()
      .describe("Number of ATSs with volume in the symbol; null in a week loaded as FINRA's per-symbol totals only"),
    coverage: coverageSchema,
    trend: trendSchema,
    change_pct: z.number().nullable().describe('Change of ATS shares vs the week before, in percent; null without a comparable week'),
    trend_basis: trendBasisSchema,
    trading_days: z.number().int().min(0).max(5).describe('US market sessions in the week (fewer in holiday weeks)'),
    trend_per_day: trendSchema.describe('The trend rule on average shares per trading day: fair to holiday weeks'),
    change_pct_per_day: z.number().nullable().describe('Change of average ATS shares per trading day vs the week before, in percent'),
  })
  .meta({ id: 'SymbolWeek', description: 'One symbol in one week' });

export const venueSchema = z
  .object({
    mpid: z.string().describe("The ATS's market participant id"),
    name: z.string(),
    shares: shareCount.nullable(),
    trades: z.number().int().nonnegative().nullable(),
    volume_usd: z.number().nullable(),
    share_pct: z.number().nullable().describe("The venue's percent of the symbol's ATS shares"),
  })
  .meta({ id: 'Venue' });

export const weeklySchema = symbolWeekSchema
  .extend({
    venues: z.array(venueSchema).describe('Every ATS that traded the symbol that week, largest first'),
    previous_week: z
      .object({ week_ending: date('Sunday the previous week ended'), dark_pool_shares: shareCount })
      .nullable()
      .describe('null when the previous week is not loaded'),
    source: sourceSchema,
  })
  .meta({ id: 'Weekly' });

export const ratioSchema = symbolWeekSchema
  .extend({
    otc_non_ats_shares: shareCount.nullable().describe("FINRA's non-ATS off-exchange shares (OTC_W_SMBL); null when not published"),
    otc_non_ats_trades: z.number().int().nonnegative().nullable(),
    ats_share_of_off_exchange: z
      .number()
      .min(0)
      .max(1)
      .nullable()
      .describe('ATS / (ATS + non-ATS) shares; FINRA publishes no total market volume, so no share of it is given'),
    source: sourceSchema,
  })
  .meta({ id: 'Ratio' });

export const moversSchema = z
  .object({
    week_ending: date('The latest loaded week'),
    tiers: z.array(tierSchema).describe('Tiers loaded for that week (T2 and OTCE arrive two weeks after T1)'),
    data: z.array(symbolWeekSchema),
    source: sourceSchema,
  })
  .meta({ id: 'Movers' });

export const sectorsSchema = z
  .object({
    week_ending: date('The latest loaded week'),
    tiers: z.array(tierSchema),
    data: z.array(
      z
        .object({
          sector: z.string(),
          dark_pool_shares: shareCount,
          dark_pool_volume_usd: z.number().nullable().describe('null unless every symbol in the sector has a notional'),
          ticker_count: z.number().int().nonnegative().describe('Symbols with ATS volume'),
          share_pct: z.number().describe('Percent of all ATS shares that week'),
          trend: trendSchema,
          change_pct: z.number().nullable(),
          trend_basis: trendBasisSchema,
        })
        .meta({ id: 'SectorTotal' }),
    ),
    source: sourceSchema,
  })
  .meta({ id: 'Sectors' });

export const tickerParams = z.object({
  ticker: z
    .string()
    .trim()
    .refine(isTickerInput, 'use letters, digits and . - / ^ or a space between them, at most 20 characters')
    .describe('Any common spelling: BRK.B, BRK-B, BRK/B, brk.b'),
});

const isoDate = (description: string) => z.string().refine(isIsoDate, 'must be a date, YYYY-MM-DD').describe(description);

// One grammar for query parameters: numbers in plain decimal digits only (2e1, 0x10, 1e3, +5 and
// " 5" are refused, not read as something else), enumerations in any case (ASC is asc), and one
// message per parameter written for people. Each keeps its real type in the OpenAPI document.

const DIGITS = /^\d{1,15}$/;
const DECIMAL = /^\d{1,15}(\.\d{1,15})?$/;

/** A number parameter from min to max: whole in decimal digits, or in decimal notation with a fraction. */
const numberParam = (name: string, min: number, max: number, integer: boolean) => {
  const message = integer
    ? `${name} must be an integer from ${min} to ${max}, in decimal digits`
    : `${name} must be a number from ${min} to ${max}, in decimal notation`;
  const number = z.number().min(min, message).max(max, message);
  return z
    .string({ error: message })
    .refine((s) => (integer ? DIGITS : DECIMAL).test(s), message)
    .transform(Number)
    .pipe(integer ? number.int(message) : number)
    .meta({ type: integer ? 'integer' : 'number', minimum: min, maximum: max });
};
export const intParam = (name: string, min: number, max: number) => numberParam(name, min, max, true);
export const decimalParam = (name: string, min: number, max: number) => numberParam(name, min, max, false);

/**
 * For the documents made from these schemas (OpenAPI, MCP tools): zod leaves a default out of an
 * input schema whose value is transformed (digits to a number); a caller still needs to see it.
 */
export function keepParameterDefaults(ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }) {
  const def = (ctx.zodSchema as { _zod: { def: { type: string; defaultValue?: unknown } } })._zod.def;
  if (def.type === 'default' && ctx.jsonSchema.default === undefined) ctx.jsonSchema.default = def.defaultValue;
}

/** One of `values`, in any case: the canonical spelling is what the handler gets. */
export const enumParam = <const T extends readonly [string, ...string[]]>(name: string, values: T) => {
  const message = `${name} must be ${values.length > 1 ? `${values.slice(0, -1).join(', ')} or ${values.at(-1)}` : values[0]}`;
  const canonical = new Map(values.map((v) => [v.toLowerCase(), v]));
  return z
    .string({ error: message })
    .transform((s) => canonical.get(s.toLowerCase()) ?? s)
    .pipe(z.enum(values, { error: message }))
    .meta({ type: 'string', enum: [...values] });
};

/** true, false, 1 or 0 in any case; false when absent. */
export const booleanParam = (name: string) =>
  enumParam(name, ['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1');

/** A comma-separated list of `values`, each in any case, repeats dropped: the canonical spellings in the order given. */
export const enumListParam = <const T extends readonly [string, ...string[]]>(name: string, values: T) => {
  const message = `${name} must be a comma-separated list of ${values.join(', ')}`;
  const canonical = new Map(values.map((v) => [v.toLowerCase(), v]));
  return z
    .string({ error: message })
    .transform((s) => [...new Set(s.split(',').map((v) => canonical.get(v.trim().toLowerCase()) ?? v))])
    .pipe(z.array(z.enum(values, { error: message })).min(1, message))
    .meta({ type: 'string', description: message });
};

/** Far beyond any store (FINRA began publishing ATS data in 2014): a bound on the parameter, not on history. */
const MAX_HISTORY_WEEKS = 5_000;

/** The figures as FINRA had published them on a date: later weeks absent, later revisions not applied. */
export const asOfParam = isoDate(
  'The figures as FINRA had published them on this date (weeks published later absent, later revisions undone); default: the latest',
).optional();

export const historyQuery = z.object({
  as_of: asOfParam,
  include: enumParam('include', ['estimates'])
    .optional()
    .describe('estimates: add estimates of the weeks FINRA has not published yet on top, each labelled `estimate: true` (JSON only)'),
  weeks: intParam('weeks', 1, MAX_HISTORY_WEEKS)
    .optional()
    .describe('How many weeks, newest first: 1 up to every loaded week; default 4, or every week in the range when from or to is given'),
  from: isoDate('The oldest week: any day of it').optional(),
  to: isoDate('The newest week: any day of it').optional(),
});

// ------------------------------------------------------------------------------------------------
// Beyond the five: venues, weeks, several tickers at once, filters and CSV.

const isoDateParam = isoDate('Any day of the week, its Monday or its Sunday (week_ending); default: the newest loaded week');

/** weekly/{ticker} and ratio/{ticker}: a past week instead of the latest. */
export const weekQuery = z.object({ week: isoDateParam.optional(), as_of: asOfParam });

const tierParam = enumParam('tier', TIERS).describe('T1, T2 or OTCE');

export const formatParam = enumParam('format', ['json', 'csv']).describe('Or send Accept: text/csv');

export const moversQuery = z.object({
  week: isoDateParam.optional(),
  as_of: asOfParam,
  tier: tierParam.optional().describe("Only this tier; without week, that tier's newest week"),
  sector: enumParam('sector', SECTORS).optional().describe('Only this sector (its name in any case)'),
  sort: enumParam('sort', ['shares', 'notional', 'trades', 'change']).default('shares'),
  order: enumParam('order', ['desc', 'asc']).default('desc'),
  min_prev_shares: intParam('min_prev_shares', 0, 1e12)
    .default(MIN_PREV_SHARES_FOR_CHANGE)
    .describe(
      'With sort=change: leave out symbols whose previous week had fewer ATS shares but some (a tiny base makes huge percentages); symbols that appeared (none the week before) are listed after the rest, change_pct null',
    ),
  limit: intParam('limit', 1, 500).default(20).describe('How many symbols, 1 to 500 (the route keeps its name top20)'),
  offset: intParam('offset', 0, 1e9).default(0).describe('Symbols to skip, for paging'),
  format: formatParam.optional(),
});

export const sectorsQuery = z.object({ week: isoDateParam.optional(), as_of: asOfParam, format: formatParam.optional() });
export const venuesQuery = z.object({
  week: isoDateParam.optional(),
  as_of: asOfParam,
  tier: tierParam.optional(),
  format: formatParam.optional(),
});
export const historyQueryWithFormat = historyQuery.extend({ format: formatParam.optional() });

export const venueTotalSchema = z
  .object({
    mpid: z.string(),
    name: z.string(),
    dark_pool_shares: shareCount,
    dark_pool_volume_usd: z.number().nullable().describe('null unless every row of the venue has a notional'),
    dark_pool_trades: z.number().int().nonnegative(),
    symbols_traded: z.number().int().nonnegative(),
    unattributed_shares: shareCount.describe("This venue's ATS shares in rows FINRA published without a symbol (in dark_pool_shares)"),
    unattributed_trades: z.number().int().nonnegative(),
    market_share_pct: z.number().describe('Percent of all ATS shares in the week (and tiers)'),
    avg_trade_size: z.number().nullable(),
    trend: trendSchema,
    change_pct: z.number().nullable().describe('vs the previous week, when it holds the same tiers'),
    trend_basis: trendBasisSchema,
  })
  .meta({ id: 'VenueTotal' });

export const venuesSchema = z
  .object({
    week_ending: z.string(),
    tiers: z.array(tierSchema),
    unattributed: z
      .array(z.object({ tier: tierSchema, unattributed_shares: shareCount, unattributed_trades: z.number().int().nonnegative() }))
      .describe(
        "Per tier of the week: ATS volume FINRA published without a symbol (private securities); in the venues' totals, under no ticker",
      ),
    data: z.array(venueTotalSchema),
    source: sourceSchema,
  })
  .meta({ id: 'Venues' });

export const weeksSchema = z
  .object({
    tiers: z.array(
      z.object({
        tier: tierSchema,
        next_week_start: z.string(),
        next_expected_publication: z.string().describe("When FINRA's calendar publishes the week after the newest loaded one"),
        weeks: z.array(
          z.object({
            week_start: z.string(),
            week_ending: z.string(),
            coverage: coverageSchema,
            finra_published: z.string().nullable(),
            finra_last_update: z.string().nullable(),
            loaded_at: z.string(),
            updated_at: z.string(),
            revisions: z.number().int().nonnegative().describe('Times FINRA changed the week after we first loaded it'),
            ats_rows: z.number().int().nonnegative(),
            symbols: z.number().int().nonnegative(),
            unattributed_shares: shareCount.describe(
              'ATS shares FINRA published without a symbol: in venue and week totals, under no ticker',
            ),
            unattributed_trades: z.number().int().nonnegative(),
            reconciled: z.boolean().describe("Checked against FINRA's per-symbol totals"),
            source: z.enum(['api', 'file']),
          }),
        ),
      }),
    ),
    source: sourceSchema,
  })
  .meta({ id: 'Weeks' });

export const weeklyItemSchema = weeklySchema.omit({ source: true }).meta({ id: 'WeeklyItem' });

export const weeklyManySchema = z
  .object({
    data: z.array(weeklyItemSchema).describe('In the order asked, one per distinct symbol'),
    not_found: z.array(z.string()).describe('Tickers with no data in any loaded week'),
    source: sourceSchema,
  })
  .meta({ id: 'WeeklyMany' });

export const MAX_TICKERS = 100;

export const weeklyManyQuery = z.object({
  tickers: z
    .string()
    .transform((s) => [
      ...new Set(
        s
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      ),
    ])
    .pipe(
      z
        .array(z.string().refine(isTickerInput, 'not a ticker'))
        .min(1, 'give at least one ticker')
        .max(MAX_TICKERS, `at most ${MAX_TICKERS} tickers`),
    )
    .describe(`Comma-separated, up to ${MAX_TICKERS}`),
});

// ------------------------------------------------------------------------------------------------
// Fresher than the weekly data: FINRA's daily files, and labelled estimates of unpublished weeks.

export const dailySourceSchema = z
  .object({
    provider: z.literal('FINRA'),
    name: z.string(),
    url: z.string(),
    terms: z.string(),
    files: z
      .array(
        z.object({
          trade_date: date('The trading day'),
          file: z.string().describe("FINRA's file name, CNMSshvol{YYYYMMDD}.txt"),
          loaded_at: z.string(),
          updated_at: z.string(),
        }),
      )
      .describe('The daily files this answer is computed from'),
    newest_trade_date: date('Newest trading day loaded').nullable(),
    newest_loaded_at: z.string().nullable(),
  })
  .meta({ id: 'DailySource', description: "FINRA's daily short sale volume files, and the terms they are used under" });

export const dailyRecordSchema = z
  .object({
    ticker: z.string(),
    trade_date: date('The trading day'),
    off_exchange_shares: z
      .number()
      .nonnegative()
      .describe(
        "FINRA's TotalVolume: regular-hours off-exchange shares reported to its TRFs and ADF, ATS and non-ATS alike (fractional since 2026)",
      ),
    short_volume: z.number().nonnegative(),
    short_exempt_volume: z.number().nonnegative(),
    markets: z
      .string()
      .describe('Facilities with volume, as FINRA writes them (Q, N, B: the TRFs; D: the ADF); empty when the file lacks the symbol'),
    file_symbol: z
      .string()
      .nullable()
      .describe("The symbol as the file writes it (BRK/B); null when that day's file does not list the symbol"),
    source_file: z.string(),
    short_volume_ratio: z
      .number()
      .nullable()
      .describe(
        'short_volume / off_exchange_shares; null without off-exchange volume. Not short interest, not dark-pool selling (see definition)',
      ),
    short_volume_ratio_20d: z
      .number()
      .nullable()
      .describe(
        'Mean of the ratio over this day and the 19 stored trading days before it that have one; null with fewer than 20 stored days',
      ),
    short_volume_ratio_20d_days: z.number().int().nonnegative().describe('Days in that mean'),
  })
  .meta({ id: 'DailyVolume' });

export const dailySchema = z
  .object({
    ticker: z.string(),
    days: z.number().int().positive(),
    definition: z.string().describe('What short_volume_ratio is, and what it is not'),
    data: z.array(dailyRecordSchema).describe('Newest first; one record per loaded trading day (zeros where the file lacks the symbol)'),
    source: dailySourceSchema,
  })
  .meta({ id: 'Daily' });

export const dailyQuery = z.object({
  days: intParam('days', 1, 260).default(10).describe('How many of the newest loaded trading days, 1 to 260'),
  format: formatParam.optional(),
});

export const estimatedWeekSchema = z
  .object({
    ticker: z.string(),
    tier: tierSchema,
    week_start: date('Monday the week started'),
    week_ending: date('Sunday the week ended'),
    estimate: z.literal(true).describe('Always true: this is an estimate, not a FINRA figure'),
    dark_pool_shares: z.number().int().nonnegative().describe('Estimated ATS shares: off_exchange_shares x ats_share_of_off_exchange'),
    interval: z
      .object({ low: z.number().int().nonnegative(), high: z.number().int().nonnegative(), confidence: z.number() })
      .describe('Prediction interval of the ATS shares'),
    method: z
      .enum(['symbol_share', 'tier_share'])
      .describe("symbol_share: the symbol's own ATS share of its off-exchange volume; tier_share: its tier's, for thin symbols"),
    ats_share_of_off_exchange: z.number().nonnegative().describe('The calibrated share'),
    share_interval: z.object({ low: z.number().nonnegative(), high: z.number().nonnegative() }),
    off_exchange_shares: z.number().nonnegative().describe("FINRA's daily off-exchange shares summed over the week's loaded days"),
    trading_days: z.number().int().min(0).max(5),
    days_loaded: z.number().int().min(0).max(5).describe('Trading days of the week with a loaded daily file'),
    complete: z.boolean().describe('Every trading day of the week is loaded; otherwise the estimate covers the loaded days only'),
    calibration: z
      .array(z.object({ week_ending: date('A published week'), ats_share_of_off_exchange: z.number().nonnegative() }))
      .describe("The published weeks the share was calibrated on, newest first, and their shares (the symbol's or the tier's)"),
  })
  .meta({ id: 'EstimatedWeek', description: 'An estimate of a week FINRA has not published yet' });

export const accuracyRowSchema = z
  .object({
    tier: tierSchema,
    method: z.enum(['all', 'symbol_share', 'tier_share']),
    weeks: z.number().int().nonnegative(),
    estimates: z.number().int().nonnegative(),
    with_ats_volume: z
      .number()
      .int()
      .nonnegative()
      .describe('Estimates whose published figure was above zero: the percentage errors are over these'),
    median_ape_pct: z.number().nullable().describe('Median absolute percentage error against the published figure'),
    p90_ape_pct: z.number().nullable().describe('90th percentile of the absolute percentage error'),
    median_error_pct: z.number().nullable().describe('Median signed error: above zero, estimates ran high'),
    interval_coverage_pct: z.number().nullable().describe('Published figures inside the 90% interval, of all estimates'),
    first_week_ending: z.string().nullable(),
    last_week_ending: z.string().nullable(),
  })
  .meta({ id: 'EstimateAccuracy' });

export const estimateSchema = z
  .object({
    ticker: z.string(),
    tier: tierSchema,
    newest_published_week_ending: z.string().nullable().describe("The tier's newest week FINRA has published (and this service loaded)"),
    data: z.array(estimatedWeekSchema).describe('One estimate per week after it that has daily files, newest first'),
    unavailable: z.array(z.object({ week_ending: z.string(), reason: z.string() })).describe('Weeks that could not be estimated, and why'),
    reason: z
      .string()
      .nullable()
      .describe(
        'When data and unavailable are both empty: why there is no week to estimate (the daily files end before it), with the dates',
      ),
    accuracy: accuracyRowSchema
      .nullable()
      .describe("Live accuracy of the tier's past estimates (newest 13 scored weeks); null before any was scored"),
    note: z.string(),
    source: sourceSchema.describe('The FINRA weeks the shares were calibrated on'),
    daily_source: dailySourceSchema.describe('The daily files summed'),
  })
  .meta({ id: 'Estimate' });

export const accuracySchema = z
  .object({
    weeks: z.number().int().positive(),
    data: z.array(accuracyRowSchema).describe('Per tier: all estimates, then per method'),
    source: sourceSchema.omit({ weeks: true, freshness: true }),
  })
  .meta({ id: 'Accuracy' });

export const accuracyQuery = z.object({
  weeks: intParam('weeks', 1, 260).default(13).describe("Each tier's newest this many scored weeks"),
  tier: tierParam.optional(),
});

export const historySchema = z
  .object({
    ticker: z.string(),
    weeks: z.number().int().nonnegative(),
    data: z
      .array(
        z.union([
          symbolWeekSchema.extend({ estimate: z.literal(false).optional().describe("With include=estimates: false on FINRA's figures") }),
          estimatedWeekSchema,
        ]),
      )
      .describe("Newest first; one record per loaded week of the symbol's tier, and with include=estimates the estimates on top"),
    source: sourceSchema,
  })
  .meta({ id: 'History' });

// ------------------------------------------------------------------------------------------------
// One venue: its weekly series, and what it traded in a week.

export const venueParams = z.object({
  mpid: z
    .string()
    .regex(/^[A-Za-z0-9]{1,8}$/, 'not an MPID: letters and digits, at most 8')
    .describe("The ATS's market participant id, as /darkpool/venues lists it (any case)"),
});

export const venueQuery = z.object({
  weeks: intParam('weeks', 1, MAX_HISTORY_WEEKS).default(4).describe('How many weeks, newest first'),
  tier: tierParam.optional().describe('Only this tier'),
  as_of: asOfParam,
});

export const venueSymbolsQuery = z.object({
  week: isoDateParam.optional(),
  as_of: asOfParam,
  tier: tierParam.optional().describe('Only this tier'),
  format: formatParam.optional(),
});

export const venueSeriesSchema = z
  .object({
    mpid: z.string(),
    name: z.string(),
    weeks: z.number().int(),
    data: z.array(
      z
        .object({
          week_start: date('Monday the week started'),
          week_ending: date('Sunday the week ended'),
          tiers: z.array(tierSchema).describe('The tiers the venue traded that week (of those loaded whole)'),
          dark_pool_shares: shareCount,
          dark_pool_volume_usd: z.number().nullable().describe('null unless every row of the venue has a notional'),
          dark_pool_trades: z.number().int().nonnegative(),
          symbols_traded: z.number().int().nonnegative(),
          market_share_pct: z.number().describe('Percent of all ATS shares in those tiers that week'),
          avg_trade_size: z.number().nullable(),
        })
        .meta({ id: 'VenueWeek' }),
    ),
    source: sourceSchema,
  })
  .meta({ id: 'VenueSeries' });

export const venueSymbolSchema = z
  .object({
    ticker: z.string(),
    issue_name: z.string().nullable(),
    tier: tierSchema,
    shares: shareCount.nullable(),
    trades: z.number().int().nonnegative().nullable(),
    volume_usd: z.number().nullable(),
    venue_share_pct: z.number().nullable().describe("Percent of the venue's ATS shares that week"),
    symbol_share_pct: z.number().nullable().describe("Percent of the symbol's ATS shares that week traded here"),
  })
  .meta({ id: 'VenueSymbol' });

export const venueSymbolsSchema = z
  .object({ mpid: z.string(), name: z.string(), week_ending: z.string(), data: z.array(venueSymbolSchema), source: sourceSchema })
  .meta({ id: 'VenueSymbols' });

export const revisionsQuery = z.object({
  ticker: tickerParams.shape.ticker.optional().describe('Only the revisions that changed this symbol (any spelling)'),
  week: isoDate('Only this week: any day of it').optional(),
  limit: intParam('limit', 1, 500).default(100).describe('How many revisions, newest first'),
});

const revisedFigures = z
  .object({
    dark_pool_shares: shareCount.nullable(),
    dark_pool_trades: z.number().int().nonnegative().nullable(),
    dark_pool_volume_usd: z.number().nullable(),
  })
  .describe("The symbol's figures in one version: 0 when a whole week does not list it, null when unknown (totals-only week)");

export const revisionsSchema = z
  .object({
    ticker: z.string().nullable().describe('The symbol asked for, as FINRA spells it'),
    data: z.array(
      z.object({
        week_start: date('Monday the week started'),
        week_ending: date('Sunday the week ended'),
        tier: tierSchema,
        version: z.number().int().min(2).describe('The version this revision made: 1 is the week as first loaded here'),
        finra_last_update_before: date("FINRA's lastUpdateDate of the version replaced").nullable(),
        finra_last_update: date("FINRA's lastUpdateDate of the revision").nullable(),
        loaded_before: z.string().describe('When the version replaced was loaded here (ISO 8601)'),
        loaded_at: z.string().describe('When the revision was loaded here (ISO 8601)'),
        coverage_before: coverageSchema,
        coverage: coverageSchema,
        symbols_changed: z.number().int().nonnegative(),
        symbols_added: z.number().int().nonnegative(),
        symbols_removed: z.number().int().nonnegative(),
        dark_pool_shares_before: shareCount.describe("The tier-week's ATS shares under a ticker, before"),
        dark_pool_shares: shareCount.describe('And after'),
        symbol: z.object({ ticker: z.string(), before: revisedFigures, after: revisedFigures }).nullable(),
      }),
    ),
    source: sourceSchema,
  })
  .meta({ id: 'Revisions' });

export const offExchangeQuery = z.object({ week: isoDateParam.optional(), as_of: asOfParam, format: formatParam.optional() });

export const offExchangeParticipantSchema = z.object({
  kind: z.enum(['ats', 'non_ats']).describe('ats: an alternative trading system (dark pool); non_ats: a wholesaler or internalizer'),
  mpid: z.string().nullable().describe("The ATS's MPID; FINRA publishes none for non-ATS firms"),
  name: z.string(),
  de_minimis: z.boolean().describe('FINRA\'s "De Minimis Firms" row: the non-ATS firms below its reporting threshold, summed'),
  shares: shareCount.nullable(),
  trades: z.number().int().nonnegative().nullable(),
  off_exchange_share_pct: z.number().nullable().describe("Its part of the symbol's off-exchange shares (ATS + non-ATS), in percent"),
});

export const offExchangeSchema = z
  .object({
    ticker: z.string(),
    issue_name: z.string().nullable(),
    tier: tierSchema,
    week_start: date('Monday the week started'),
    week_ending: date('Sunday the week ended'),
    coverage: coverageSchema,
    ats_shares: shareCount,
    ats_trades: z.number().int().nonnegative(),
    non_ats_shares: shareCount.nullable().describe("FINRA's non-ATS total (OTC_W_SMBL); null when the week was loaded without it"),
    non_ats_trades: z.number().int().nonnegative().nullable(),
    off_exchange_shares: shareCount.nullable().describe('ATS + non-ATS shares: all the off-exchange volume FINRA publishes weekly'),
    ats_share_pct: z.number().nullable(),
    non_ats_share_pct: z.number().nullable(),
    non_ats_firms_loaded: z
      .boolean()
      .describe("Whether FINRA's per-firm non-ATS rows are loaded for the week (API weeks have them; website exports do not)"),
    data: z.array(offExchangeParticipantSchema).describe('ATS venues and non-ATS firms side by side, largest first'),
    source: sourceSchema,
  })
  .meta({ id: 'OffExchange' });

export const weekFileParams = z.object({ week: isoDate('Any day of the week: its Monday, its Sunday (week_ending) or a day between') });

export const weekFileQuery = z.object({
  tier: tierParam.optional().describe('Only this tier; default: every tier of the week that is loaded whole'),
  format: enumParam('format', ['json', 'csv', 'ndjson']).optional().describe('Or send Accept: text/csv or application/x-ndjson'),
});

export const weekFileSchema = z
  .object({
    week_start: date('Monday the week started'),
    week_ending: date('Sunday the week ended'),
    tiers: z.array(tierSchema),
    symbols: z.number().int().nonnegative().describe('How many records follow in data'),
    source: sourceSchema,
    data: z.array(symbolWeekSchema).describe('Every symbol of the tiers, tier then symbol order, with the fields of /darkpool/weekly'),
  })
  .meta({ id: 'WeekFile' });

export const unusualQuery = z.object({
  week: isoDateParam.optional(),
  tier: tierParam.optional().describe("Only this tier; without week, that tier's newest week"),
  window: intParam('window', 2, 52).default(8).describe('Trailing window: this many whole weeks of the tier loaded before the week'),
  z: decimalParam('z', 0.5, 10).default(2).describe('How many standard deviations from the trailing mean'),
  min_prev_shares: intParam('min_prev_shares', 0, 1e12).default(100_000).describe('Leave out symbols whose trailing mean is lower'),
  limit: intParam('limit', 1, 500).default(50),
  direction: enumParam('direction', ['up', 'down'])
    .default('up')
    .describe('up: zscore >= z, largest first; down: zscore <= -z, smallest first'),
  format: formatParam.optional(),
});

export const unusualRecordSchema = symbolWeekSchema
  .extend({
    zscore: z.number().describe('(ATS shares - trailing mean) / trailing sample standard deviation'),
    trailing_mean: z.number().describe('Mean ATS shares over the window (a week without ATS rows counts 0)'),
    trailing_sd: z.number().describe('Sample standard deviation (n - 1) over the window'),
    weeks_used: z.number().int(),
    ats_share_of_off_exchange: z
      .number()
      .nullable()
      .describe("ATS / (ATS + non-ATS) shares this week; null without FINRA's non-ATS figure"),
    ats_share_zscore: z.number().nullable().describe('The same z-score on the ATS share of off-exchange volume'),
    ats_share_trailing_mean: z.number().nullable(),
    ats_share_trailing_sd: z.number().nullable(),
    ats_share_weeks_used: z.number().int().describe("Window weeks with FINRA's non-ATS figure and off-exchange volume"),
  })
  .meta({ id: 'UnusualRecord' });

export const unusualSchema = z
  .object({
    week_ending: date('The week'),
    tiers: z.array(tierSchema),
    window: z.number().int(),
    z: z.number(),
    direction: z.enum(['up', 'down']),
    min_prev_shares: z.number(),
    trailing_weeks: z
      .array(z.object({ tier: tierSchema, weeks: z.array(z.string()), enough: z.boolean() }))
      .describe(
        'Per tier, the window weeks used (Mondays, newest first); enough: false when the tier has fewer than window, and then none of its symbols is listed',
      ),
    data: z.array(unusualRecordSchema),
    source: sourceSchema,
  })
  .meta({ id: 'Unusual' });
