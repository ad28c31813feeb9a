// The one error path: whatever fails, the client gets problem+json with a stable code, and never a
// stack trace, SQL or an internal message.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES as HTTP_STATUS } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { RunLog } from '../store/runs.js';
import { problem, PROBLEM_CODES, ProblemError, type Problem, type ProblemCode } from './problems.js';

export function sendProblem(reply: FastifyReply, body: Problem, headers: Record<string, string> = {}) {
  // The id the body quotes is in the headers too, also for errors raised before any hook ran (routing).
  return reply
    .code(body.status)
    .header('x-request-id', String(reply.request.id))
    .headers(headers)
    .type('application/problem+json')
    .send({ ...body, request_id: String(reply.request.id) });
}

/** Fastify's own client errors (bad JSON, body too large, ...) and the code each becomes. */
const STATUS_CODES: Record<number, ProblemCode> = {
  400: 'invalid_parameter',
  401: 'unauthorized',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

/**
 * `notFoundGate`: a hook run before the not-found answer (with API keys on: the key check).
 * `notFoundPage`: the HTML page (and its headers) a browser gets instead of the problem (null: the problem).
 */
export function registerErrorHandling(
  app: FastifyInstance,
  notFoundGate?: preHandlerAsyncHookHandler,
  notFoundPage: (req: FastifyRequest) => { body: string; headers: Readonly<Record<string, string>> } | null = () => null,
) {
  app.setErrorHandler(handleError);
  app.setNotFoundHandler({ preHandler: notFoundGate }, (req, reply) => {
    const page = notFoundPage(req);
    if (page) return reply.code(404).headers(page.headers).header('vary', 'Accept').type('text/html; charset=utf-8').send(page.body);
    return sendProblem(
      reply,
      problem('not_found', `No resource at ${req.method} ${req.url.split('?')[0]}. See /docs.`, req.url.split('?')[0]),
    );
  });
}

/** The one error path: whatever failed becomes a problem with a stable code. */
export function handleError(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const instance = req.url.split('?')[0];
  if (err instanceof ProblemError) {
    return sendProblem(
      reply,
      { ...problem(err.code, err.detail, instance), ...(err.extra.errors ? { errors: err.extra.errors } : {}) },
      err.extra.headers,
    );
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const errors = err.validation.map((v) => ({
      parameter: v.instancePath.replace(/^\//, '').replaceAll('/', '.') || String(err.validationContext ?? 'request'),
      message: v.message ?? 'invalid',
    }));
    if (err.validationContext === 'params' && errors.some((e) => e.parameter === 'ticker')) {
      return sendProblem(reply, problem('invalid_ticker', `"${tickerOf(req)}" cannot be a ticker: ${errors[0]?.message}`, instance));
    }
    return sendProblem(reply, {
      // A message that already names its parameter is not prefixed with it again ("weeks: weeks must be ...").
      ...problem(
        'invalid_parameter',
        errors.map((e) => (e.message.startsWith(`${e.parameter} `) ? e.message : `${e.parameter}: ${e.message}`)).join('; '),
        instance,
      ),
      errors,
    });
  }
  const status = err.statusCode ?? 500;
  const code = status < 500 ? STATUS_CODES[status] : undefined;
  if (code) {
    req.log.info({ err: err.message, status }, 'client error');
    return sendProblem(reply, problem(code, clientMessage(err), instance));
  }
  req.log.error({ err }, 'request failed');
  return sendProblem(reply, problem('internal_error', 'The server failed to answer this request.', instance));
}

/** Errors Fastify raises before routing (a bad percent-encoding, an over-long segment): problems too. */
export function frameworkError(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const path = String(req.url ?? '')
    .split('?')[0]!
    .slice(0, 100);
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return sendProblem(reply, problem('uri_too_long', 'A path segment is longer than 200 characters.', path));
  }
  return sendProblem(reply, problem('invalid_parameter', 'The URL is not valid (check its percent-encoding).', path));
}

/**
 * Errors Node raises before there is a request (a malformed request line or header, headers too large,
 * a request too slow): a problem too, written on the socket, with a request id to quote.
 */
export function clientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ProblemCode =
    err.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request_timeout' : 'bad_request';
  const body = problem(code, code === 'bad_request' ? 'The request is not valid HTTP.' : (PROBLEM_CODES[code].description as string));
  const text = JSON.stringify({ ...body, request_id: randomUUID() });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${body.status} ${HTTP_STATUS[body.status]}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(err);
}

function tickerOf(req: FastifyRequest): string {
  const t = (req.params as { ticker?: unknown } | undefined)?.ticker;
  return typeof t === 'string' ? t.slice(0, 40) : '';
}

/** Fastify's messages for client errors are safe and useful ("Body cannot be empty..."); keep them short. */
function clientMessage(err: FastifyError): string {
  return (err.message || 'Bad request').slice(0, 200);
}

/**
 * `503 no_data` with what a client can act on: the last ingest's failure, when the next one is due
 * (`Retry-After`), or that none is scheduled.
 */
export function noDataContext(runs: RunLog, nextIngestAt: () => Date | null, now: () => Date) {
  return (err: FastifyError): FastifyError => {
    if (!(err instanceof ProblemError) || err.code !== 'no_data') return err;
    const last = runs.lastFinished('weekly');
    let why = '';
    if (last && last.status !== 'ok') {
      const summary = JSON.parse(last.summary ?? '{}') as { error?: string; weeks?: { detail: string | null }[] };
      const cause = summary.error ?? summary.weeks?.find((w) => w.detail)?.detail ?? last.status;
      why = ` The last ingest (finished ${last.finished_at}) loaded nothing: ${cause}.`;
    }
    const next = nextIngestAt();
    if (!next)
      return new ProblemError(
        'no_data',
        `${err.detail}${why} No ingest is scheduled (INGEST_CRON=off): load data with \`darkpool-radar import\`.`,
      );
    const seconds = Math.max(1, Math.ceil((next.getTime() - now().getTime()) / 1000));
    return new ProblemError('no_data', `${err.detail}${why} The next ingest is due at ${next.toISOString()}.`, {
      headers: { 'retry-after': String(seconds) },
    });
  };
}
