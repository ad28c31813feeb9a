// FINRA's CDN for the daily short-sale volume files: GET {FINRA_CDN_URL}/CNMSshvol{YYYYMMDD}.txt. A day
// without a file (a holiday, or tonight's file before about 6 pm ET) is answered 403 (CloudFront in
// front of S3), sometimes 404: "no file", not an error. Everything else goes through the gateway's
// spacing and retries like the API's requests.
import type { HttpGateway } from '../finra/http.js';
import { dailyFileName } from './short-volume-file.js';

export type DayFetch = { kind: 'file'; url: string; text: string } | { kind: 'absent'; url: string; status: number };

export class FinraCdnClient {
  constructor(
    private readonly http: HttpGateway,
    private readonly baseUrl: string,
  ) {}

  async day(tradeDate: string, signal?: AbortSignal): Promise<DayFetch> {
    const url = `${this.baseUrl}/${dailyFileName(tradeDate)}`;
    const res = await this.http.send({ method: 'GET', url, headers: { accept: 'text/plain' }, passStatuses: [403, 404], signal });
    if (res.status === 403 || res.status === 404) return { kind: 'absent', url, status: res.status };
    return { kind: 'file', url, text: res.body.toString('utf8') };
  }
}
