// One way out to FINRA: every request goes through the injected undici dispatcher, is spaced to stay
// well under FINRA's 20 requests/second, and is retried on faults that are worth retrying.
import type { Usage } from '../domain/usage.js';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Logger } from 'pino';
import { request, type Dispatcher } from 'undici';
import { DEFAULT_USER_AGENT } from './user-agent.js';

const gunzipAsync = promisify(gunzip);

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the attempt fails instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 1_000, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };

export interface HttpDeps {
  dispatcher: Dispatcher;
  logger: Logger;
  retry?: RetryPolicy;
  /** Minimum time between two request starts: 100 ms keeps us at 10/s at most, half of FINRA's 20/s. */
  minIntervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  /** Sent on every request: FINRA's edge refuses requests without one (403). */
  userAgent?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** An HTTP answer FINRA gave that is not a success; `message` carries FINRA's own text when it sent one. */
export class UpstreamHttpError extends Error {
  override name = 'UpstreamHttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly url: string,
  ) {
    super(message);
  }
}

/** The connection failed or timed out before an answer arrived. */
export class UpstreamNetworkError extends Error {
  override name = 'UpstreamNetworkError';
}

const RETRYABLE_STATUS = (s: number) => s === 408 || s === 429 || s >= 500;

/** A response header by name in any case (undici lower-cases names; a replayed answer may not). */
export function header(res: HttpResponse, name: string): string | undefined {
  const wanted = name.toLowerCase();
  let v = res.headers[wanted];
  if (v === undefined) {
    const key = Object.keys(res.headers).find((k) => k.toLowerCase() === wanted);
    if (key) v = res.headers[key];
  }
  return Array.isArray(v) ? v[0] : v;
}

/** Seconds or an HTTP date, as RFC 9110 allows; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/** Exponential backoff with full jitter: a random wait in [0, min(max, base * 2^retry)]. */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.round(random() * ceiling);
}

/**
 * FINRA's error bodies look like {"statusCode":400,"statusDescription":"Bad Request","message":"..."}; its
 * token endpoint answers OAuth's {"error":"invalid_client","error_description":"..."}.
 */
function upstreamMessage(body: Buffer, status: number): string {
  const text = body.toString('utf8').slice(0, 2_000);
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    const parts = [parsed.statusDescription, parsed.message, parsed.error, parsed.error_description].filter(
      (p) => typeof p === 'string' && p,
    );
    if (parts.length) return `HTTP ${status}: ${parts.join(': ')}`;
  } catch {
    // not JSON: fall through to the raw text
  }
  return `HTTP ${status}${text.trim() ? `: ${text.trim().slice(0, 300)}` : ''}`;
}

export interface RequestSpec {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Statuses handed back to the caller instead of thrown (e.g. 401 for a token refresh, 403/404 for "no file"). */
  passStatuses?: readonly number[];
  signal?: AbortSignal;
}

export class HttpGateway {
  private nextSlot = 0;
  private readonly retry: RetryPolicy;
  private readonly minIntervalMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly userAgent: string;
  private readonly counted: Usage = { requests: 0, bytes: 0 };

  constructor(private readonly deps: HttpDeps) {
    this.userAgent = deps.userAgent ?? DEFAULT_USER_AGENT;
    this.retry = deps.retry ?? DEFAULT_RETRY;
    this.minIntervalMs = deps.minIntervalMs ?? 100;
    this.sleep = deps.sleep ?? ((ms) => delay(ms));
    this.random = deps.random ?? Math.random;
    this.now = deps.now ?? Date.now;
  }

  /** A copy of the counters: a run subtracts the copy taken at its start. */
  usage(): Usage {
    return { ...this.counted };
  }

  /** Sends the request, retrying network faults, timeouts, 408, 429 and 5xx; other errors fail fast. */
  async send(spec: RequestSpec): Promise<HttpResponse> {
    const { logger } = this.deps;
    for (let attempt = 1; ; attempt++) {
      let res: HttpResponse | undefined;
      let failure: Error;
      let waitMs: number | null = null;
      try {
        res = await this.once(spec);
      } catch (err) {
        if (spec.signal?.aborted) throw err;
        failure = new UpstreamNetworkError(describe(err), { cause: err });
      }
      if (res) {
        if (res.status < 400 || spec.passStatuses?.includes(res.status)) return res;
        failure = new UpstreamHttpError(res.status, upstreamMessage(res.body, res.status), spec.url);
        if (!RETRYABLE_STATUS(res.status)) {
          logger.error({ url: spec.url, status: res.status, err: failure.message }, 'FINRA refused the request');
          throw failure;
        }
        waitMs = parseRetryAfter(header(res, 'retry-after'), this.now());
        if (waitMs !== null && waitMs > this.retry.maxRetryAfterMs) {
          logger.error({ url: spec.url, retryAfterMs: waitMs }, 'FINRA asked us to wait longer than we will');
          throw failure;
        }
      }
      failure ??= new UpstreamNetworkError('no response');
      if (attempt >= this.retry.attempts) {
        logger.error({ url: spec.url, attempts: attempt, err: failure.message }, 'FINRA request failed, giving up');
        throw failure;
      }
      const wait = waitMs ?? backoffDelay(attempt - 1, this.retry, this.random);
      logger.warn({ url: spec.url, attempt, waitMs: wait, err: failure.message }, 'FINRA request failed, retrying');
      await this.sleep(wait);
    }
  }

  private async once(spec: RequestSpec): Promise<HttpResponse> {
    await this.waitForSlot();
    spec.signal?.throwIfAborted(); // cancelled while it waited: never sent, never counted
    this.counted.requests++;
    const res = await request(spec.url, {
      dispatcher: this.deps.dispatcher,
      method: spec.method,
      headers: { 'user-agent': this.userAgent, 'accept-encoding': 'gzip', ...spec.headers },
      body: spec.body,
      signal: spec.signal,
    });
    const raw = Buffer.from(await res.body.arrayBuffer());
    this.counted.bytes += raw.length;
    const encoding = header({ status: res.statusCode, headers: res.headers, body: raw }, 'content-encoding')?.trim().toLowerCase();
    const body = (encoding === 'gzip' || encoding === 'x-gzip') && raw.length > 0 ? await gunzipAsync(raw) : raw;
    return { status: res.statusCode, headers: res.headers, body };
  }

  private async waitForSlot(): Promise<void> {
    const now = this.now();
    const start = Math.max(now, this.nextSlot);
    this.nextSlot = start + this.minIntervalMs;
    if (start > now) await this.sleep(start - now);
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
