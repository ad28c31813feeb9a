// A stand-in for api.finra.org on 127.0.0.1 that speaks FINRA's Query API as documented and as
// recorded: POST filters in the body, `limit` capped at 5000 rows AND about 3 MB a page, the
// Record-* headers (numbers as in 2023, or Total-Records-On-Page empty as recorded in 2024), 204 for
// no rows (or the documented 200 []), gzip when asked, sortFields only with EQUAL filters on both
// partition fields, FINRA's error bodies, the partitions endpoint (with FINRA's stray tiers), a
// `weeklySummary` that keeps only recent weeks beside a `weeklySummaryHistoric` that takes filters on
// its partition fields only, an edge that refuses requests without a User-Agent, optional OAuth.
// Faults can be queued to test the client.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { LoopbackServer } from './loopback-server.js';

export type Row = Record<string, unknown>;

export const DATA_PATH = '/data/group/otcMarket/name/weeklySummary';
export const HISTORIC_PATH = '/data/group/otcMarket/name/weeklySummaryHistoric';
/** The only fields FINRA lets the historic dataset filter on. */
const HISTORIC_FILTER_FIELDS = new Set(['weekStartDate', 'historicalWeek', 'historicalMonth', 'tierIdentifier']);
export const PARTITIONS_PATH = '/partitions/group/otcMarket/name/weeklySummary';
export const TOKEN_PATH = '/fip/rest/ews/oauth2/access_token';
export const MAX_LIMIT = 5000;
export const MAX_OFFSET = 500_000;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | null;
  at: number;
}

/** A fault replaces the normal answer of the next request it matches, once. */
export type Fault = { when?: (req: RecordedRequest) => boolean } & (
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  | { kind: 'hang' } // accept the request, never answer
  | { kind: 'reset' } // drop the connection
  | { kind: 'short-page'; drop: number } // a cut body: fewer rows than Total-Records-On-Page says
  | { kind: 'empty-page' } // 200 with [] although Record-Total is not reached
  | { kind: 'change-total'; by: number } // Record-Total differs from the first page
  | { kind: 'malformed' } // a body that is not JSON
  | { kind: 'no-content' } // 204 although rows remain
);

export interface DoubleOptions {
  rows: Row[];
  /** Bytes a page may hold before it is cut (FINRA: 3 MB). */
  maxPageBytes?: number;
  /** When set, data calls need this bearer token, issued to these client credentials. */
  oauth?: { clientId: string; clientSecret: string; token: string; expiresIn: number };
  /** Extra partitions FINRA lists that are not data tiers. */
  strayPartitions?: [string, string][];
  /** `recorded-2024`: Total-Records-On-Page sent empty on every page, as FINRA's gateway was recorded. */
  advisoryHeaders?: 'numbers' | 'recorded-2024';
  /** How "no rows" is answered: 204 (real traffic), or 200 [] as documented, with or without Record-Total. */
  emptyAnswer?: '204' | '200' | '200-no-total';
  /** Weeks before this date are served by `weeklySummaryHistoric` only (FINRA keeps about 12 months live). */
  currentFrom?: string;
  /** Weeks before this date are served nowhere (the historic dataset keeps about 4 years). */
  historicFrom?: string;
  /** Milliseconds each data answer takes to come, as FINRA's do over the internet. */
  dataLatencyMs?: number;
  /** Fields added to every row, as FINRA may add columns. */
  extraFields?: Row;
  /**
   * Rows made on demand per (week, tier, summary type), for data sets too big to hold (benchmarks).
   * `json`, when given, answers a query for those types with its rows already serialized (the
   * fields of the query), or null to fall back to `rows`.
   */
  generated?: {
    partitions: [string, string][];
    rows: (weekStart: string, tier: string, summaryType: string) => Row[];
    json?: (weekStart: string, tier: string, summaryTypes: string[], fields: string[] | undefined) => string[] | null;
  };
}

export class FinraDouble extends LoopbackServer {
  readonly requests: RecordedRequest[] = [];
  readonly faults: Fault[] = [];
  tokensIssued = 0;
  /** The most data requests that were being answered at one time. */
  maxDataInFlight = 0;
  /** Milliseconds each data answer takes (see DoubleOptions); a benchmark changes it between runs. */
  dataLatencyMs: number;
  private dataInFlight = 0;
  private rows: Row[];
  private hung: ServerResponse[] = [];

  constructor(private readonly options: DoubleOptions) {
    super();
    this.rows = options.rows;
    this.dataLatencyMs = options.dataLatencyMs ?? 0;
  }

  override async close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    await super.close();
  }

  /** Replace the data set (e.g. FINRA revising a week). */
  setRows(rows: Row[]): void {
    this.rows = rows;
    this.queryCache = null;
  }

  dataRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === DATA_PATH || r.path === HISTORIC_PATH);
  }

  protected async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '').split('?')[0] ?? '';
    let body: Record<string, unknown> | null = null;
    if (text) {
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return this.error(res, 400, 'Bad Request', 'Malformed request body');
      }
    }
    const recorded: RecordedRequest = { method: req.method ?? '', path, headers: req.headers, body, at: Date.now() };
    this.requests.push(recorded);

    // FINRA's edge (Cloudflare) turns away requests without a User-Agent.
    if (!req.headers['user-agent']) {
      res.writeHead(403, { 'content-type': 'text/html', server: 'cloudflare' });
      return res.end('<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1></body></html>');
    }
    if (path === TOKEN_PATH && req.method === 'POST') return this.token(req, res);
    if (this.options.oauth && (path === DATA_PATH || path === HISTORIC_PATH || path === PARTITIONS_PATH)) {
      if (req.headers.authorization !== `Bearer ${this.options.oauth.token}`) {
        return this.error(res, 401, 'Unauthorized', 'Invalid or expired access token');
      }
    }

    const faultIndex = this.faults.findIndex((f) => !f.when || f.when(recorded));
    const fault = faultIndex >= 0 ? this.faults.splice(faultIndex, 1)[0] : undefined;
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      return res.end(fault.body ?? JSON.stringify({ statusCode: fault.status, statusDescription: 'Error', message: 'injected fault' }));
    }
    if (fault?.kind === 'hang') {
      this.hung.push(res);
      return;
    }
    if (fault?.kind === 'reset') return req.socket.destroy();

    if (path === PARTITIONS_PATH && req.method === 'GET') return this.partitions(req, res);
    if ((path === DATA_PATH || path === HISTORIC_PATH) && req.method === 'POST') {
      this.maxDataInFlight = Math.max(this.maxDataInFlight, ++this.dataInFlight);
      res.once('close', () => this.dataInFlight--);
      if (this.dataLatencyMs) await new Promise((resolve) => setTimeout(resolve, this.dataLatencyMs));
      if (res.destroyed) return; // the client gave up waiting
      return this.data(req, res, body ?? {}, fault, path === HISTORIC_PATH);
    }
    return this.error(res, 404, 'Not Found', `No resource at ${path}`);
  }

  private token(req: IncomingMessage, res: ServerResponse) {
    const oauth = this.options.oauth;
    const expected = oauth && `Basic ${Buffer.from(`${oauth.clientId}:${oauth.clientSecret}`).toString('base64')}`;
    // FINRA answers bad client credentials with 400 invalid_client (OAuth's own error shape), not 401.
    if (!oauth || req.headers.authorization !== expected) {
      res.writeHead(400, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: 'invalid_client' }));
    }
    this.tokensIssued++;
    this.json(req, res, 200, { access_token: oauth.token, token_type: 'Bearer', expires_in: oauth.expiresIn }, {});
  }

  private generatedCache: { key: string; rows: Row[] } | null = null;

  /** The week, tier and summary types a query names, when it names all three. */
  private partitionQuery(body: Record<string, unknown>): { week: string; tier: string; types: string[] } | null {
    const equal = (field: string) =>
      ((body.compareFilters ?? []) as { fieldName: string; fieldValue: unknown; compareType: string }[]).find(
        (f) => f.fieldName === field && f.compareType.toUpperCase() === 'EQUAL',
      )?.fieldValue as string | undefined;
    const [week, tier, type] = [equal('weekStartDate'), equal('tierIdentifier'), equal('summaryTypeCode')];
    const inDomain = ((body.domainFilters ?? []) as { fieldName: string; values: string[] }[]).find(
      (f) => f.fieldName === 'summaryTypeCode',
    )?.values;
    const types = type ? [type] : inDomain;
    return week && tier && types ? { week, tier, types } : null;
  }

  /** The rows a query can match: the generated partition it names, or the whole data set. */
  private candidates(body: Record<string, unknown>): Row[] {
    const gen = this.options.generated;
    const p = gen ? this.partitionQuery(body) : null;
    if (!gen || !p) return this.rows;
    const key = `${p.week}|${p.tier}|${p.types.join(',')}`;
    if (this.generatedCache?.key !== key) this.generatedCache = { key, rows: p.types.flatMap((type) => gen.rows(p.week, p.tier, type)) };
    return this.generatedCache.rows;
  }

  private partitions(req: IncomingMessage, res: ServerResponse) {
    const seen = new Set<string>();
    const partitions: [string, string][] = [...(this.options.generated?.partitions ?? [])];
    for (const r of this.rows) {
      const key = `${r.weekStartDate}|${r.tierIdentifier}`;
      if (!this.inCurrent(r)) continue;
      if (!seen.has(key)) {
        seen.add(key);
        partitions.push([String(r.weekStartDate), String(r.tierIdentifier)]);
      }
    }
    partitions.push(...(this.options.strayPartitions ?? []));
    partitions.sort((a, b) => b[0].localeCompare(a[0]));
    this.json(
      req,
      res,
      200,
      {
        datasetGroup: 'otcMarket',
        datasetName: 'weeklySummary',
        partitionFields: ['weekStartDate', 'tierIdentifier'],
        availablePartitions: partitions.map((p) => ({ partitions: p })),
      },
      {},
    );
  }

  private inCurrent(row: Row): boolean {
    return !this.options.currentFrom || String(row.weekStartDate) >= this.options.currentFrom;
  }

  private inHistoric(row: Row): boolean {
    return !this.inCurrent(row) && (!this.options.historicFrom || String(row.weekStartDate) >= this.options.historicFrom);
  }

  private data(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>, fault: Fault | undefined, historic = false) {
    const limit = Math.min(Number(body.limit ?? 1000), MAX_LIMIT);
    const offset = Number(body.offset ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(offset) || offset < 0 || offset > MAX_OFFSET) {
      return this.error(res, 400, 'Bad Request', 'Invalid limit or offset');
    }
    const compare = (body.compareFilters ?? []) as { fieldName: string; fieldValue: unknown; compareType: string }[];
    if (historic) {
      const filtered = [...compare, ...((body.domainFilters ?? []) as { fieldName: string }[])].map((f) => f.fieldName);
      const bad = filtered.find((f) => !HISTORIC_FILTER_FIELDS.has(f));
      if (bad) return this.error(res, 400, 'Bad Request', `Filtering on ${bad} is not supported for this dataset`);
      if (body.sortFields) return this.error(res, 400, 'Bad Request', 'Sorting is not supported for this dataset');
    }
    if (body.sortFields) {
      const partitionEquals = ['weekStartDate', 'tierIdentifier'].every((f) =>
        compare.some((c) => c.fieldName === f && c.compareType.toUpperCase() === 'EQUAL'),
      );
      if (!partitionEquals) return this.error(res, 400, 'Bad Request', 'Sorting requires EQUAL filters on all partition fields');
    }
    const json = this.query(body, historic);
    let total = json.length;
    const maxBytes = this.options.maxPageBytes ?? 3 * 1024 * 1024;
    const pageJson: string[] = [];
    let bytes = 2;
    for (let i = offset; i < json.length && pageJson.length < limit; i++) {
      const size = Buffer.byteLength(json[i]!) + 1;
      if (pageJson.length > 0 && bytes + size > maxBytes) break;
      pageJson.push(json[i]!);
      bytes += size;
    }
    let onPage = pageJson.length;
    const empty = this.options.emptyAnswer ?? '204';
    if (fault?.kind === 'no-content' || (pageJson.length === 0 && empty === '204')) {
      res.writeHead(204, { 'record-total': String(total) });
      return res.end();
    }
    if (pageJson.length === 0 && offset === 0) {
      return this.send(req, res, Buffer.from('[]'), empty === '200' ? { 'record-total': '0' } : {});
    }
    if (fault?.kind === 'short-page') pageJson.splice(pageJson.length - fault.drop, fault.drop);
    if (fault?.kind === 'empty-page') {
      pageJson.length = 0;
      onPage = 0;
    }
    if (fault?.kind === 'change-total') total += fault.by;
    const headers = {
      'record-total': String(total),
      'record-offset': String(offset),
      'record-limit': String(limit),
      'record-max-limit': String(MAX_LIMIT),
      'total-records-on-page': this.options.advisoryHeaders === 'recorded-2024' ? '' : String(onPage),
      'response-payload-max-size': '3mb',
    };
    const text = `[${pageJson.join(',')}]`;
    if (fault?.kind === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json', ...headers });
      return res.end(text.slice(0, -10));
    }
    if (!String(req.headers.accept ?? '').includes('application/json')) {
      // Without Accept: application/json FINRA answers delimited text.
      const page = pageJson.map((j) => JSON.parse(j) as Row);
      const cols = Object.keys(page[0] ?? {});
      const csv = [cols.join(','), ...page.map((r) => cols.map((c) => String(r[c] ?? '')).join(','))].join('\n');
      res.writeHead(200, { 'content-type': 'text/plain', ...headers });
      return res.end(csv);
    }
    this.send(req, res, Buffer.from(text), headers);
  }

  private queryCache: { key: string; json: string[] } | null = null;

  /** The JSON of the rows a query matches (projected on its fields, in sortFields order): kept while its pages are read. */
  private query(body: Record<string, unknown>, historic: boolean): string[] {
    const key = JSON.stringify([historic, body.compareFilters, body.domainFilters, body.dateRangeFilters, body.fields, body.sortFields]);
    if (this.queryCache?.key !== key) {
      const fields = body.fields as string[] | undefined;
      const ready = historic ? null : this.generatedJson(body, fields);
      const extra = this.options.extraFields ?? {};
      const json =
        ready ??
        sortRows(
          this.candidates(body).filter((row) => (historic ? this.inHistoric(row) : this.inCurrent(row)) && matches(row, body)),
          body.sortFields as string[] | undefined,
        ).map((row) => JSON.stringify({ ...(fields ? Object.fromEntries(fields.map((f) => [f, row[f] ?? null])) : row), ...extra }));
      this.queryCache = { key, json };
    }
    return this.queryCache.json;
  }

  private generatedJson(body: Record<string, unknown>, fields: string[] | undefined): string[] | null {
    const json = this.options.generated?.json;
    const p = this.partitionQuery(body);
    return json && p ? json(p.week, p.tier, p.types, fields) : null;
  }

  private json(req: IncomingMessage, res: ServerResponse, status: number, value: unknown, headers: Record<string, string>) {
    this.send(req, res, Buffer.from(JSON.stringify(value)), headers, status);
  }

  private send(req: IncomingMessage, res: ServerResponse, raw: Buffer, headers: Record<string, string>, status = 200) {
    const gzip = String(req.headers['accept-encoding'] ?? '').includes('gzip');
    res.writeHead(status, {
      'content-type': 'application/json',
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      ...headers,
    });
    res.end(gzip ? gzipSync(raw) : raw);
  }

  private error(res: ServerResponse, status: number, description: string, message: string) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ statusCode: status, statusDescription: description, message }));
  }
}

/** FINRA's sortFields: names, `-` for descending; nulls first. */
export function sortRows(rows: Row[], sortFields: string[] | undefined): Row[] {
  if (!sortFields?.length) return rows;
  const keys = sortFields.map((f) => (f.startsWith('-') ? { field: f.slice(1), dir: -1 } : { field: f, dir: 1 }));
  return [...rows].sort((a, b) => {
    for (const { field, dir } of keys) {
      const [x, y] = [a[field], b[field]];
      if (x === y || (x == null && y == null)) continue;
      if (x == null) return -dir;
      if (y == null) return dir;
      const c = compareValues(x, y);
      if (c !== 0) return c * dir;
    }
    return 0;
  });
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a).localeCompare(String(b));
}

function matches(row: Row, body: Record<string, unknown>): boolean {
  for (const f of (body.compareFilters ?? []) as { fieldName: string; fieldValue: unknown; compareType: string }[]) {
    const c = compareValues(row[f.fieldName], f.fieldValue);
    const ok = {
      EQUAL: c === 0 && row[f.fieldName] !== undefined && row[f.fieldName] !== null,
      NOT_EQUAL: c !== 0,
      GREATER: c > 0,
      LESSER: c < 0,
      GTE: c >= 0,
      LTE: c <= 0,
    }[f.compareType.toUpperCase()];
    if (!ok) return false;
  }
  for (const f of (body.domainFilters ?? []) as { fieldName: string; values: unknown[] }[]) {
    if (!f.values.includes(row[f.fieldName])) return false;
  }
  for (const f of (body.dateRangeFilters ?? []) as { fieldName: string; startDate: string; endDate: string }[]) {
    const v = String(row[f.fieldName] ?? '');
    if (v < f.startDate || v > f.endDate) return false;
  }
  return true;
}
