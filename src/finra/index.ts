// Builds the FINRA client from configuration: the one place its HTTP agent is created.
import { Agent, type Dispatcher } from 'undici';
import type { Config } from '../config.js';
import { FinraCdnClient } from './cdn.js';
import { ClientCredentialsToken } from './auth.js';
import { FinraClient } from './client.js';
import { HttpGateway, type HttpDeps } from './http.js';
import { userAgent } from './user-agent.js';

type UserAgentConfig = Partial<Pick<Config, 'FINRA_USER_AGENT' | 'FINRA_USER_AGENT_URL'>>;

/** `FINRA_USER_AGENT` whole, or ours with the configured contact URL. */
function gateway(config: UserAgentConfig, deps: HttpDeps): HttpGateway {
  return new HttpGateway({ ...deps, userAgent: deps.userAgent ?? config.FINRA_USER_AGENT ?? userAgent(config.FINRA_USER_AGENT_URL) });
}

/** Explicit timeouts: FINRA pages are at most 3 MB, so a minute without a byte means a hung peer. */
export function createDispatcher(): Dispatcher {
  return new Agent({
    connect: { timeout: 10_000 },
    headersTimeout: 30_000,
    bodyTimeout: 60_000,
    keepAliveTimeout: 10_000,
    connections: 4,
  });
}

export function createFinraClient(
  config: Pick<Config, 'FINRA_API_URL' | 'FINRA_TOKEN_URL' | 'FINRA_CLIENT_ID' | 'FINRA_CLIENT_SECRET'> & UserAgentConfig,
  deps: HttpDeps,
): FinraClient {
  const http = gateway(config, deps);
  const auth =
    config.FINRA_CLIENT_ID && config.FINRA_CLIENT_SECRET
      ? new ClientCredentialsToken(http, config.FINRA_TOKEN_URL, config.FINRA_CLIENT_ID, config.FINRA_CLIENT_SECRET)
      : null;
  return new FinraClient(http, config.FINRA_API_URL, deps.logger.child({ component: 'finra' }), auth);
}

/** The daily files' client: FINRA's CDN through the same spacing, retries and agent. */
export function createCdnClient(config: Pick<Config, 'FINRA_CDN_URL'> & UserAgentConfig, deps: HttpDeps): FinraCdnClient {
  return new FinraCdnClient(gateway(config, deps), config.FINRA_CDN_URL);
}
