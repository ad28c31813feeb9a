// FINRA's CDN for the daily short-sale volume files: GET {FINRA_CDN_URL}/CNMSshvol{YYYYMMDD}.txt. A day
// without a file (a holiday, or tonight's file before about 6 pm ET) is answered by S3 behind the CDN:
// 403 with S3's XML error (AccessDenied, or NoSuchKey), sometimes 404. A 403 with any other body (an
// HTML page from the edge, an empty body) is the edge refusing us, never "no file": it is thrown.
// Everything goes through the gateway's spacing and retries like the API's requests.
import type { Validators } from '../domain/validators.js';
import { header, UpstreamHttpError, type HttpGateway, type HttpResponse } from './http.js';
import { dailyFileName } from './short-volume-file.js';

export type DayFetch =
  | { kind: 'file'; url: string; text: string; validators: Validators }
  | { kind: 'not_modified'; url: string }
  | { kind: 'absent'; url: string; status: number };

/** The CDN's edge refused the request (not S3 saying there is no file): a failure to report. */
export class CdnBlockedError extends UpstreamHttpError {
  override name = 'CdnBlockedError';
}

const S3_NO_FILE = /<Code>\s*(AccessDenied|NoSuchKey)\s*<\/Code>/;

export class FinraCdnClient {
  constructor(
    private readonly http: HttpGateway,
    private readonly baseUrl: string,
  ) {}

  usage() {
    return this.http.usage();
  }

  async day(tradeDate: string, options: { signal?: AbortSignal; validators?: Validators | null } = {}): Promise<DayFetch> {
    const url = `${this.baseUrl}/${dailyFileName(tradeDate)}`;
    const conditional: Record<string, string> = {};
    if (options.validators?.etag) conditional['if-none-match'] = options.validators.etag;
    if (options.validators?.lastModified) conditional['if-modified-since'] = options.validators.lastModified;
    const res = await this.http.send({
      method: 'GET',
      url,
      headers: { accept: 'text/plain', ...conditional },
      passStatuses: [403, 404],
      signal: options.signal,
    });
    if (res.status === 304) return { kind: 'not_modified', url };
    if (res.status === 404) return { kind: 'absent', url, status: 404 };
    if (res.status === 403) {
      if (S3_NO_FILE.test(res.body.toString('utf8', 0, 2_000))) return { kind: 'absent', url, status: 403 };
      throw new CdnBlockedError(403, `blocked: FINRA's CDN answered 403 without S3's "no such file" (${describeBody(res)})`, url);
    }
    return {
      kind: 'file',
      url,
      text: res.body.toString('utf8'),
      validators: { etag: header(res, 'etag') ?? null, lastModified: header(res, 'last-modified') ?? null },
    };
  }
}

function describeBody(res: HttpResponse): string {
  const type = header(res, 'content-type') ?? 'no content type';
  const text = res.body.toString('utf8', 0, 200).replace(/\s+/g, ' ').trim();
  return text ? `${type}: ${text.slice(0, 120)}` : `${type}, empty body`;
}
