// Client for FINRA's Query API, dataset otcMarket/weeklySummary. It pages by the rows actually
// received until `Record-Total` (a page is capped at 5000 rows and 3 MB, whichever comes first) and
// refuses any answer that could be incomplete: better no week than a silently truncated one.
import type { Logger } from 'pino';
import { z } from 'zod';
import type { TokenSource } from './auth.js';
import { header, type HttpGateway, type HttpResponse } from './http.js';
import { parseFinraRow, type FinraRow, type SummaryType } from './schema.js';
import { isTier, type Tier } from './tiers.js';

export const DATA_PATH = '/data/group/otcMarket/name/weeklySummary';
export const PARTITIONS_PATH = '/partitions/group/otcMarket/name/weeklySummary';
export const PAGE_LIMIT = 5000;

/** FINRA answered, but not with something that can be trusted as the whole data set. */
export class IncompleteDataError extends Error {
  override name = 'IncompleteDataError';
}

export interface WeekQuery {
  weekStart: string;
  tier: Tier;
  /** One summary type, or several fetched as one paged sequence (fewer requests). */
  summaryTypes: readonly SummaryType[];
}

/** The fields the service uses: asking for these only makes FINRA's pages smaller. */
export const ROW_FIELDS = [
  'weekStartDate', 'tierIdentifier', 'summaryTypeCode', 'issueSymbolIdentifier', 'issueName', 'MPID', 'marketParticipantName',
  'totalWeeklyShareQuantity', 'totalWeeklyTradeCount', 'totalNotionalSum', 'initialPublishedDate', 'lastUpdateDate',
] as const;

export interface Partition {
  weekStart: string;
  tier: Tier;
}

const partitionsSchema = z.object({
  availablePartitions: z.array(z.object({ partitions: z.array(z.string()) })),
});

export class FinraClient {
  constructor(
    private readonly http: HttpGateway,
    private readonly baseUrl: string,
    private readonly logger: Logger,
    private readonly auth: TokenSource | null = null,
  ) {}

  /** The (week, tier) partitions FINRA has published, newest first; stray tiers (`NMS`, `NA`) dropped. */
  async partitions(signal?: AbortSignal): Promise<Partition[]> {
    const res = await this.call({ method: 'GET', url: this.baseUrl + PARTITIONS_PATH, signal });
    const parsed = partitionsSchema.safeParse(parseJson(res));
    if (!parsed.success) throw new IncompleteDataError('partitions answer has an unexpected shape');
    const out: Partition[] = [];
    for (const { partitions } of parsed.data.availablePartitions) {
      const [weekStart, tier] = partitions;
      if (weekStart && /^\d{4}-\d{2}-\d{2}$/.test(weekStart) && isTier(tier)) out.push({ weekStart, tier });
    }
    return out.sort((a, b) => b.weekStart.localeCompare(a.weekStart) || a.tier.localeCompare(b.tier));
  }

  /** Every row of the summary types asked for one week and tier, validated. */
  async weekRows(query: WeekQuery, signal?: AbortSignal): Promise<FinraRow[]> {
    const rows: FinraRow[] = [];
    let expectedTotal: number | null = null;
    let pages = 0;
    for (let offset = 0; expectedTotal === null || offset < expectedTotal; ) {
      const res = await this.call({
        method: 'POST',
        url: this.baseUrl + DATA_PATH,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(requestBody(query, offset)),
        signal,
      });
      pages++;
      const where = `${query.summaryTypes.join('+')} ${query.weekStart} ${query.tier} offset ${offset}`;
      if (res.status === 204) {
        if (offset === 0) return []; // FINRA's way of saying "no rows"
        throw new IncompleteDataError(`${where}: empty answer (204) before Record-Total ${expectedTotal} was reached`);
      }
      const total = Number(header(res, 'record-total'));
      if (!Number.isSafeInteger(total) || total < 0) {
        throw new IncompleteDataError(`${where}: missing or invalid Record-Total header`);
      }
      if (expectedTotal !== null && total !== expectedTotal) {
        throw new IncompleteDataError(`${where}: Record-Total changed from ${expectedTotal} to ${total} while paging`);
      }
      expectedTotal = total;
      const page = parseJson(res);
      if (!Array.isArray(page)) throw new IncompleteDataError(`${where}: body is not a JSON array`);
      const onPage = header(res, 'total-records-on-page');
      if (onPage !== undefined && Number(onPage) !== page.length) {
        throw new IncompleteDataError(`${where}: Total-Records-On-Page says ${onPage}, body holds ${page.length}`);
      }
      if (page.length === 0 && offset < total) {
        throw new IncompleteDataError(`${where}: empty page before Record-Total ${total} was reached`);
      }
      page.forEach((raw, i) => rows.push(parseFinraRow(raw, offset + i)));
      offset += page.length;
      if (offset > total) throw new IncompleteDataError(`${where}: received ${offset} rows, Record-Total is ${total}`);
    }
    this.logger.debug({ ...query, rows: rows.length, pages }, 'FINRA rows fetched');
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

function requestBody(query: WeekQuery, offset: number) {
  const [only] = query.summaryTypes;
  const single = query.summaryTypes.length === 1 && only;
  return {
    fields: ROW_FIELDS,
    compareFilters: [
      { compareType: 'EQUAL', fieldName: 'weekStartDate', fieldValue: query.weekStart },
      { compareType: 'EQUAL', fieldName: 'tierIdentifier', fieldValue: query.tier },
      ...(single ? [{ compareType: 'EQUAL', fieldName: 'summaryTypeCode', fieldValue: only }] : []),
    ],
    ...(single ? {} : { domainFilters: [{ fieldName: 'summaryTypeCode', values: query.summaryTypes }] }),
    limit: PAGE_LIMIT,
    offset,
  };
}

function parseJson(res: HttpResponse): unknown {
  try {
    return JSON.parse(res.body.toString('utf8'));
  } catch {
    throw new IncompleteDataError(`FINRA answered HTTP ${res.status} with a body that is not JSON`);
  }
}
