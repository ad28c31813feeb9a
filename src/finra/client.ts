// Client for FINRA's Query API, datasets otcMarket/weeklySummary (a rolling window of recent weeks) and
// otcMarket/weeklySummaryHistoric (older weeks). It pages by the rows actually received until
// `Record-Total` (a page is capped at 5000 rows and 3 MB, whichever comes first) and refuses any answer
// that could be incomplete: better no week than a silently truncated one. Headers FINRA sends only as
// advice (Total-Records-On-Page, Record-Offset) are checked when they hold a number and ignored when
// empty, as FINRA's gateway was recorded sending them.
import type { Logger } from 'pino';
import { z } from 'zod';
import type { TokenSource } from './auth.js';
import { header, type HttpGateway, type HttpResponse } from './http.js';
import { parseFinraRow, SUMMARY_TYPES, type FinraRow, type SummaryType } from './schema.js';
import { isTier, type Tier } from '../domain/tiers.js';

/** `weeklySummary` holds recent weeks (FINRA documents 12 months); `weeklySummaryHistoric` older ones. */
export const DATASETS = { current: 'weeklySummary', historic: 'weeklySummaryHistoric' } as const;
export type Dataset = (typeof DATASETS)[keyof typeof DATASETS];

const dataPath = (dataset: Dataset) => `/data/group/otcMarket/name/${dataset}`;
export const PARTITIONS_PATH = '/partitions/group/otcMarket/name/weeklySummary';
export const PAGE_LIMIT = 5000;

/**
 * A total order over the rows of one week and tier, so that paging never skips or repeats a row.
 * FINRA allows sortFields only with EQUAL filters on both partition fields, which week queries have.
 */
export const WEEK_SORT = ['summaryTypeCode', 'issueSymbolIdentifier', 'MPID'] as const;

/** FINRA answered, but not with something that can be trusted as the whole data set. */
export class IncompleteDataError extends Error {
  override name = 'IncompleteDataError';
}

/** A page asked for, on its way. */
interface PageRequest {
  offset: number;
  response: Promise<HttpResponse>;
  cancel: AbortController;
}

export interface WeekQuery {
  weekStart: string;
  tier: Tier;
  /** One summary type, or several fetched as one paged sequence (fewer requests). */
  summaryTypes: readonly SummaryType[];
  /** Where the week lives; `weeklySummary` unless said otherwise. */
  dataset?: Dataset;
}

/** The fields the service uses: asking for these only makes FINRA's pages smaller. */
export const ROW_FIELDS = [
  'weekStartDate',
  'tierIdentifier',
  'summaryTypeCode',
  'issueSymbolIdentifier',
  'issueName',
  'MPID',
  'marketParticipantName',
  'totalWeeklyShareQuantity',
  'totalWeeklyTradeCount',
  'totalNotionalSum',
  'initialPublishedDate',
  'lastUpdateDate',
] as const;

export interface Partition {
  weekStart: string;
  tier: Tier;
}

export interface PartitionList {
  /** Newest first, data tiers only. */
  partitions: Partition[];
  /** Weeks listed under tier values that are not data tiers (`NMS`, `NA`, `OTC`, anything new), by value. */
  skipped: Record<string, number>;
}

const partitionsSchema = z.object({
  availablePartitions: z.array(z.object({ partitions: z.array(z.string().nullable()) })),
});

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DIGITS = /^\s*\d+\s*$/;

/** A header FINRA sends as advice: its number when it holds one, else null (absent or empty). */
function advisory(res: HttpResponse, name: string): number | null {
  const v = header(res, name);
  return v !== undefined && DIGITS.test(v) ? Number(v) : null;
}

/** (week, tier) pairs as FINRA lists them: distinct data partitions newest first, other tier values counted. */
function partitionList(pairs: [unknown, unknown][]): PartitionList {
  const seen = new Set<string>();
  const partitions: Partition[] = [];
  const skipped: Record<string, number> = {};
  for (const [weekStart, tier] of pairs) {
    const key = `${String(weekStart)}|${String(tier)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (typeof weekStart === 'string' && ISO_DATE.test(weekStart) && isTier(tier)) partitions.push({ weekStart, tier });
    else skipped[String(tier)] = (skipped[String(tier)] ?? 0) + 1;
  }
  partitions.sort((a, b) => b.weekStart.localeCompare(a.weekStart) || a.tier.localeCompare(b.tier));
  return { partitions, skipped };
}

export class FinraClient {
  constructor(
    private readonly http: HttpGateway,
    private readonly baseUrl: string,
    private readonly logger: Logger,
    private readonly auth: TokenSource | null = null,
  ) {}

  /** What this client's requests have cost so far (requests, bytes on the wire). */
  usage() {
    return this.http.usage();
  }

  /** The (week, tier) partitions FINRA lists for `weeklySummary`, newest first; other tier values counted. */
  async partitions(signal?: AbortSignal): Promise<PartitionList> {
    const res = await this.call({ method: 'GET', url: this.baseUrl + PARTITIONS_PATH, signal });
    const parsed = partitionsSchema.safeParse(parseJson(res));
    if (!parsed.success) throw new IncompleteDataError('partitions answer has an unexpected shape');
    const list = partitionList(parsed.data.availablePartitions.map(({ partitions: [weekStart, tier] }) => [weekStart, tier]));
    if (Object.keys(list.skipped).length)
      this.logger.warn({ skipped: list.skipped }, 'FINRA partitions under tiers we do not load, skipped');
    return list;
  }

  /**
   * The (week, tier) partitions with an ATS_W_SMBL row updated after `since` (YYYY-MM-DD): revisions
   * of any age, and newly published weeks. Two small fields per row keep the answer cheap.
   */
  async changedSince(since: string, signal?: AbortSignal): Promise<PartitionList> {
    const pairs = await this.query(
      DATASETS.current,
      {
        fields: ['weekStartDate', 'tierIdentifier'],
        compareFilters: [
          { compareType: 'GREATER', fieldName: 'lastUpdateDate', fieldValue: since },
          { compareType: 'EQUAL', fieldName: 'summaryTypeCode', fieldValue: SUMMARY_TYPES.atsSymbol },
        ],
      },
      `changes since ${since}`,
      signal,
      (raw): [unknown, unknown] => {
        const { weekStartDate, tierIdentifier } = (raw ?? {}) as { weekStartDate?: unknown; tierIdentifier?: unknown };
        return [weekStartDate, tierIdentifier];
      },
    );
    const list = partitionList(pairs);
    if (Object.keys(list.skipped).length)
      this.logger.warn({ skipped: list.skipped, since }, 'changed weeks under tiers we do not load, skipped');
    return list;
  }

  /**
   * Every row of the summary types asked for one week and tier, validated. The historic dataset takes
   * filters on the partition fields only, so its rows are filtered by summary type here.
   */
  async weekRows(query: WeekQuery, signal?: AbortSignal): Promise<FinraRow[]> {
    const dataset = query.dataset ?? DATASETS.current;
    const where = `${dataset} ${query.summaryTypes.join('+')} ${query.weekStart} ${query.tier}`;
    const wanted = new Set<string>(query.summaryTypes);
    let received = 0;
    // Each page is validated as it arrives, so that a week's raw JSON is never held whole beside its rows.
    const rows = await this.query(dataset, weekRequest(query, dataset), where, signal, (raw) => {
      const row = parseFinraRow(raw, received++);
      return dataset === DATASETS.current || (row.summaryTypeCode !== null && wanted.has(row.summaryTypeCode)) ? row : null;
    });
    this.logger.debug({ where, received, rows: rows.length }, 'FINRA rows fetched');
    return rows;
  }

  /**
   * Every row a query matches, page after page, mapped (null: left out), or IncompleteDataError.
   * Once Record-Total is known, the page after the one on its way is asked for at once, at the offset
   * a full page leads to: two requests travel together, so FINRA's latency is paid about once per two
   * pages while the gateway still spaces every start. A page cut short by the 3 MB cap makes that
   * guess wrong: the page asked for ahead is then cancelled unread and the right offset asked for.
   */
  private async query<T>(
    dataset: Dataset,
    body: Record<string, unknown>,
    what: string,
    signal: AbortSignal | undefined,
    map: (raw: unknown) => T | null,
  ): Promise<T[]> {
    const page = (offset: number): PageRequest => {
      // Cancelled when the caller's signal aborts or when the page is not needed after all. The
      // caller's signal lives as long as the run: it is followed by hand, and let go once the page is
      // done, where AbortSignal.any would leave a signal behind on it for every page (nodejs/node#55351).
      const cancel = new AbortController();
      const follow = () => cancel.abort(signal?.reason);
      if (signal?.aborted) follow();
      else signal?.addEventListener('abort', follow, { once: true });
      const response = this.call({
        method: 'POST',
        url: this.baseUrl + dataPath(dataset),
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, limit: PAGE_LIMIT, offset }),
        signal: cancel.signal,
      });
      // Awaited when its turn comes; never, when cancelled.
      response.finally(() => signal?.removeEventListener('abort', follow)).catch(() => {});
      return { offset, response, cancel };
    };
    const pending: { ahead: PageRequest | null } = { ahead: null };
    try {
      return await this.pages(what, map, (offset, total) => {
        let current = pending.ahead;
        if (current && current.offset !== offset) {
          this.logger.debug(
            { where: what, asked: current.offset, needed: offset },
            'a page came cut short: the page asked for ahead is dropped',
          );
          current.cancel.abort();
          current = null;
        }
        current ??= page(offset);
        pending.ahead = total !== null && offset + PAGE_LIMIT < total ? page(offset + PAGE_LIMIT) : null;
        return current.response;
      });
    } finally {
      pending.ahead?.cancel.abort();
    }
  }

  /** The pages of one query in order, each checked against FINRA's headers, from offset 0 to Record-Total. */
  private async pages<T>(
    what: string,
    map: (raw: unknown) => T | null,
    fetchPage: (offset: number, expectedTotal: number | null) => Promise<HttpResponse>,
  ): Promise<T[]> {
    const rows: T[] = [];
    let expectedTotal: number | null = null;
    for (let offset = 0; expectedTotal === null || offset < expectedTotal;) {
      const res = await fetchPage(offset, expectedTotal);
      const where = `${what} offset ${offset}`;
      if (res.status === 204) {
        if (offset === 0) return []; // FINRA's way of saying "no rows"
        throw new IncompleteDataError(`${where}: empty answer (204) before Record-Total ${expectedTotal} was reached`);
      }
      const page = parseJson(res);
      if (!Array.isArray(page)) throw new IncompleteDataError(`${where}: body is not a JSON array`);
      const total = advisory(res, 'record-total');
      // FINRA's documented "no rows" answer is 200 with []: it is empty with or without Record-Total.
      if (offset === 0 && page.length === 0 && (total === null || total === 0)) return [];
      if (total === null) throw new IncompleteDataError(`${where}: missing or invalid Record-Total header`);
      if (expectedTotal !== null && total !== expectedTotal) {
        throw new IncompleteDataError(`${where}: Record-Total changed from ${expectedTotal} to ${total} while paging`);
      }
      expectedTotal = total;
      const onPage = advisory(res, 'total-records-on-page');
      if (onPage !== null && onPage !== page.length) {
        throw new IncompleteDataError(`${where}: Total-Records-On-Page says ${onPage}, body holds ${page.length}`);
      }
      const pageOffset = advisory(res, 'record-offset');
      if (pageOffset !== null && pageOffset !== offset) {
        throw new IncompleteDataError(`${where}: Record-Offset says ${pageOffset}, we asked for ${offset}`);
      }
      if (page.length === 0) throw new IncompleteDataError(`${where}: empty page before Record-Total ${total} was reached`);
      for (const raw of page) {
        const row = map(raw);
        if (row !== null) rows.push(row);
      }
      offset += page.length;
      if (offset > total) throw new IncompleteDataError(`${where}: received ${offset} rows, Record-Total is ${total}`);
    }
    return rows;
  }

  /** One request with the bearer token when configured; a 401 refreshes the token once. */
  private async call(spec: Parameters<HttpGateway['send']>[0]): Promise<HttpResponse> {
    const withAuth = async () => {
      const headers: Record<string, string> = { accept: 'application/json', ...spec.headers };
      if (this.auth) headers.authorization = `Bearer ${await this.auth.token()}`;
      return this.http.send({ ...spec, headers, passStatuses: this.auth ? [401] : [] });
    };
    let res = await withAuth();
    if (res.status === 401 && this.auth) {
      this.logger.info('FINRA answered 401, refreshing the access token once');
      this.auth.invalidate();
      res = await this.http.send({
        ...spec,
        headers: { accept: 'application/json', ...spec.headers, authorization: `Bearer ${await this.auth.token()}` },
      });
    }
    return res;
  }
}

function weekRequest(query: WeekQuery, dataset: Dataset): Record<string, unknown> {
  const partition = [
    { compareType: 'EQUAL', fieldName: 'weekStartDate', fieldValue: query.weekStart },
    { compareType: 'EQUAL', fieldName: 'tierIdentifier', fieldValue: query.tier },
  ];
  // The historic dataset filters on its partition fields only; summary types are filtered on our side.
  if (dataset === DATASETS.historic) return { compareFilters: partition };
  const [only] = query.summaryTypes;
  const single = query.summaryTypes.length === 1 && only;
  return {
    fields: ROW_FIELDS,
    compareFilters: [...partition, ...(single ? [{ compareType: 'EQUAL', fieldName: 'summaryTypeCode', fieldValue: only }] : [])],
    ...(single ? {} : { domainFilters: [{ fieldName: 'summaryTypeCode', values: query.summaryTypes }] }),
    sortFields: WEEK_SORT,
  };
}

function parseJson(res: HttpResponse): unknown {
  try {
    return JSON.parse(res.body.toString('utf8'));
  } catch {
    throw new IncompleteDataError(`FINRA answered HTTP ${res.status} with a body that is not JSON`);
  }
}
