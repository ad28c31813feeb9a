// Every environment variable the service reads, validated once at the edge. Modules below receive
// the typed `Config`; nothing else reads process.env.
import cron from 'node-cron';
import { z } from 'zod';
import { DEFAULT_DB_PATH, PROJECT_URL } from './package-info.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const emptyAsUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const httpUrl = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).transform((u) => u.replace(/\/+$/, ''));

const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

const TIME_WINDOW = /^\d+\s*(ms|s|sec|second|seconds|m|min|minute|minutes|h|hour|hours)$/i;

const schema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().min(1).default('127.0.0.1'),
    DB_PATH: z.string().min(1).default(DEFAULT_DB_PATH),
    FINRA_API_URL: httpUrl.default('https://api.finra.org'),
    FINRA_CDN_URL: httpUrl.default('https://cdn.finra.org/equity/regsho/daily'),
    FINRA_TOKEN_URL: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .default('https://ews.fip.finra.org/fip/rest/ews/oauth2/access_token?grant_type=client_credentials'),
    FINRA_CLIENT_ID: z.string().min(1).optional(),
    // FINRA's edge refuses requests without a User-Agent; ours names the product and where to reach us.
    FINRA_USER_AGENT_URL: httpUrl.default(PROJECT_URL),
    FINRA_USER_AGENT: z.string().trim().min(1).max(512).optional(),
    FINRA_CLIENT_SECRET: z.string().min(1).optional(),
    DAILY_WINDOW_DAYS: z.coerce.number().int().min(0).max(3650).default(70),
    INGEST_CRON: z
      .string()
      .default('15 4 * * *')
      .refine((v) => v === 'off' || cron.validate(v), 'must be a cron expression or "off"'),
    API_KEYS: list.optional(),
    API_KEYS_FILE: z.string().min(1).optional(),
    RATE_LIMIT_MAX: z.coerce.number().int().min(0).default(300),
    RATE_LIMIT_WINDOW: z.string().regex(TIME_WINDOW, 'must look like "1 minute", "30 seconds" or "500 ms"').default('1 minute'),
    // Replicas count against one shared limit when their counters live in one Redis.
    RATE_LIMIT_REDIS_URL: z.url({ protocol: /^rediss?$/, message: 'must be a redis:// or rediss:// URL' }).optional(),
    CORS_ORIGINS: list.default(['*']),
    TRUST_PROXY: z
      .string()
      .default('false')
      .transform((v, ctx): boolean | number | string[] => {
        if (v === 'true') return true;
        if (v === 'false') return false;
        if (/^\d+$/.test(v)) return Number(v);
        const addrs = v
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean);
        if (addrs.every((a) => /^[0-9a-fA-F.:/]+$/.test(a))) return addrs;
        ctx.addIssue({ code: 'custom', message: 'must be true, false, a hop count or a list of addresses/CIDRs' });
        return z.NEVER;
      }),
    // Webhooks: subscriptions in a JSON file (reloaded on SIGHUP); deliveries to loopback or private
    // addresses are refused unless allowed (a test receiver on this machine, an internal service).
    WEBHOOKS_FILE: z.string().min(1).optional(),
    WEBHOOKS_ALLOW_PRIVATE: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    // One line per answer at info: off unless asked for (a load balancer or CDN in front logs each
    // request already, and the line costs a hot answer about a quarter of its throughput).
    ACCESS_LOG: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    ANSWER_CACHE_MB: z.coerce.number().int().min(0).max(65_536).default(256),
    // Unset: a quarter of Node's heap limit (sized to the memory there is), at most 512.
    HISTORY_MEMORY_MB: z.coerce.number().int().min(0).max(65_536).optional(),
  })
  .superRefine((c, ctx) => {
    if (Boolean(c.FINRA_CLIENT_ID) !== Boolean(c.FINRA_CLIENT_SECRET)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.FINRA_CLIENT_ID ? 'FINRA_CLIENT_SECRET' : 'FINRA_CLIENT_ID'],
        message: 'FINRA_CLIENT_ID and FINRA_CLIENT_SECRET must be set together',
      });
    }
  });

export type Config = z.output<typeof schema>;

const SECRETS = new Set(['FINRA_CLIENT_SECRET', 'API_KEYS', 'RATE_LIMIT_REDIS_URL']);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parse the environment. Throws a ConfigError whose message names every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) input[key] = emptyAsUndefined(env[key]);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? 'environment');
    const got = SECRETS.has(name) ? '[redacted]' : JSON.stringify(env[name] ?? null);
    return `  ${name}: ${issue.message} (got ${got})`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}
