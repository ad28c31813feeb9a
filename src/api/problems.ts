// RFC 9457 problem details: the one shape of every error this service answers. Each `code` is
// stable, and its `type` URI resolves to a description served by this service (/problems/{code}).
import { z } from 'zod';

export const PROBLEM_CODES = {
  invalid_ticker: {
    status: 400,
    title: 'Invalid ticker',
    description: 'The ticker cannot be a symbol: use letters, digits and . - / ^ or a space, at most 20 characters.',
  },
  bad_request: {
    status: 400,
    title: 'Bad request',
    description: 'The request could not be read as HTTP (a malformed request line or header).',
  },
  invalid_parameter: {
    status: 400,
    title: 'Invalid parameter',
    description: 'A query parameter is missing, malformed or out of range; `errors` lists which.',
  },
  invalid_body: {
    status: 400,
    title: 'Invalid body',
    description: 'The request body cannot be read: it is empty, or its compression is broken.',
  },
  unauthorized: {
    status: 401,
    title: 'Unauthorized',
    description: 'This server requires an API key: send `Authorization: Bearer <key>` or `X-API-Key: <key>`.',
  },
  ticker_not_found: {
    status: 404,
    title: 'Ticker not found',
    description: 'No loaded FINRA week has ATS or non-ATS volume for this symbol.',
  },
  estimate_unavailable: {
    status: 404,
    title: 'No estimate for this symbol',
    description: "Estimates need FINRA's daily files, which cover NMS stocks (T1, T2) only, and list the symbol on some loaded day.",
  },
  week_not_found: {
    status: 404,
    title: 'Week not loaded',
    description: 'The week asked for (or the tier in it) is not loaded; /darkpool/weeks lists the loaded weeks.',
  },
  venue_not_found: {
    status: 404,
    title: 'Venue not found',
    description: 'No loaded FINRA week has an ATS with this MPID; /darkpool/venues lists the venues of a week.',
  },
  not_found: { status: 404, title: 'Not found', description: 'No resource at this path. See /docs for the API.' },
  method_not_allowed: {
    status: 405,
    title: 'Method not allowed',
    description: 'The data endpoints answer GET, HEAD and OPTIONS only (TRACE nowhere); the `Allow` header lists them.',
  },
  not_acceptable: {
    status: 406,
    title: 'Not acceptable',
    description: 'The endpoint cannot answer in any media type the Accept header allows: JSON always, CSV on the list endpoints.',
  },
  uri_too_long: { status: 414, title: 'URI too long', description: 'A path segment is longer than the server reads (200 characters).' },
  payload_too_large: { status: 413, title: 'Payload too large', description: 'The request body exceeds the documented limit.' },
  unsupported_media_type: {
    status: 415,
    title: 'Unsupported media type',
    description: 'The request body has a content type this endpoint does not read.',
  },
  request_timeout: {
    status: 408,
    title: 'Request timeout',
    description: 'The request did not arrive in time (10 s for the headers, 30 s for the whole request).',
  },
  headers_too_large: { status: 431, title: 'Request headers too large', description: 'The request headers exceed what the server reads.' },
  rate_limited: {
    status: 429,
    title: 'Too many requests',
    description: 'The rate limit for your key (or address) is spent; retry after the number of seconds in `Retry-After`.',
  },
  internal_error: {
    status: 500,
    title: 'Internal server error',
    description: 'Something failed on our side. The request id in the response helps us find it.',
  },
  no_daily_data: {
    status: 503,
    title: 'No daily file loaded yet',
    description:
      "The store holds no FINRA daily short-sale volume file yet. Run `darkpool-radar ingest` (daily files come from FINRA's CDN) or `darkpool-radar import CNMSshvol{YYYYMMDD}.txt`.",
  },
  busy: {
    status: 503,
    title: 'Busy',
    description: 'The server is analysing as many tape uploads as it runs at once; retry after the seconds in `Retry-After`.',
  },
  no_data: {
    status: 503,
    title: 'No data loaded yet',
    description:
      'The store holds no FINRA week yet. Run `darkpool-radar ingest` (or wait for the first scheduled ingest), or `npm run demo` for the bundled sample weeks.',
  },
} as const;

export type ProblemCode = keyof typeof PROBLEM_CODES;

export const problemSchema = z
  .object({
    type: z.string().describe('URI of the problem type; GET it for a description'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(PROBLEM_CODES) as [ProblemCode, ...ProblemCode[]]).describe('Stable, machine-readable error code'),
    instance: z.string().optional().describe('The request path'),
    request_id: z.string().optional(),
    errors: z
      .array(z.object({ parameter: z.string(), message: z.string() }))
      .optional()
      .describe('For invalid_parameter: each parameter that failed and why'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export type Problem = z.output<typeof problemSchema>;

export class ProblemError extends Error {
  override name = 'ProblemError';
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extra: Partial<Pick<Problem, 'errors'>> & { headers?: Record<string, string> } = {},
  ) {
    super(detail);
  }
}

export function problem(code: ProblemCode, detail: string, instance?: string): Problem {
  const { status, title } = PROBLEM_CODES[code];
  return { type: `/problems/${code}`, title, status, detail, code, ...(instance ? { instance } : {}) };
}

/** A success response documented with a description and its JSON schema. */
export function ok<T>(schema: T, description: string) {
  return { 200: { description, content: { 'application/json': { schema } } } };
}

/**
 * The problem responses a route documents, keyed by status, as content `application/problem+json`:
 * by status (described by the first code with it) or by code, where a status has several.
 */
export function problemResponses(...answers: (number | ProblemCode)[]) {
  return Object.fromEntries(
    answers.map((a) => [
      typeof a === 'string' ? PROBLEM_CODES[a].status : a,
      {
        description:
          typeof a === 'string' ? PROBLEM_CODES[a].title : (Object.values(PROBLEM_CODES).find((p) => p.status === a)?.title ?? 'Error'),
        content: { 'application/problem+json': { schema: problemSchema } },
      },
    ]),
  );
}
