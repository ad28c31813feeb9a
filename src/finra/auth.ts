// FINRA's optional OAuth client-credentials grant. Public data has been served without a token, but
// FINRA announced that every call would need one; with credentials configured we always send it.
import { z } from 'zod';
import { UpstreamHttpError, type HttpGateway } from './http.js';

const tokenSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
});

/** Refresh this long before FINRA's stated expiry, so a token never dies mid-request. */
const EXPIRY_MARGIN_MS = 60_000;

export interface TokenSource {
  token(): Promise<string>;
  /** Forget the cached token (after a 401), so the next call fetches a new one. */
  invalidate(): void;
}

export class ClientCredentialsToken implements TokenSource {
  private cached: { value: string; refreshAt: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(
    private readonly http: HttpGateway,
    private readonly tokenUrl: string,
    private readonly clientId: string,
    private readonly clientSecret: string,
    private readonly now: () => number = Date.now,
  ) {}

  async token(): Promise<string> {
    if (this.cached && this.now() < this.cached.refreshAt) return this.cached.value;
    this.pending ??= this.fetch().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  invalidate(): void {
    this.cached = null;
  }

  private async fetch(): Promise<string> {
    const basic = Buffer.from(`${this.clientId}:${this.clientSecret}`).toString('base64');
    const res = await this.http.send({
      method: 'POST',
      url: this.tokenUrl,
      headers: { authorization: `Basic ${basic}`, accept: 'application/json' },
    });
    let parsed: z.output<typeof tokenSchema>;
    try {
      parsed = tokenSchema.parse(JSON.parse(res.body.toString('utf8')));
    } catch {
      throw new UpstreamHttpError(res.status, 'FINRA token endpoint answered without a usable access_token', this.tokenUrl);
    }
    const lifetime = parsed.expires_in * 1000;
    const margin = Math.min(EXPIRY_MARGIN_MS, lifetime / 10);
    this.cached = { value: parsed.access_token, refreshAt: this.now() + lifetime - margin };
    return parsed.access_token;
  }
}
