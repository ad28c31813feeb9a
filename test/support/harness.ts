// Shared test plumbing: temporary stores, the CLI in-process, a client wired to the double.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { Agent } from 'undici';
import { main } from '../../src/cli/index.js';
import { FinraClient } from '../../src/finra/client.js';
import { createFinraClient } from '../../src/finra/index.js';
import type { RetryPolicy } from '../../src/finra/http.js';

const cleanups: (() => void)[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dpr-test-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function tempDbPath(): string {
  return join(tempDir(), 'darkpool.db');
}

export function removeTempDirs(): void {
  while (cleanups.length) cleanups.pop()!();
}

export interface LogCapture {
  logger: Logger;
  lines: Record<string, unknown>[];
}

export function captureLogs(level = 'debug'): LogCapture {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

export const silentLogger = pino({ level: 'silent' });

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(
  argv: string[],
  env: Record<string, string | undefined>,
  options: { terminal?: boolean } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await main(
    argv,
    { LOG_LEVEL: 'silent', ...env },
    {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      terminal: options.terminal ?? false,
    },
  );
  return { code, stdout, stderr };
}

export interface TestClient {
  client: FinraClient;
  sleeps: number[];
  agent: Agent;
}

/** A client on a real undici agent; waits are recorded instead of slept. */
export function testClient(
  baseUrl: string,
  options: { retry?: Partial<RetryPolicy>; auth?: { id: string; secret: string }; logger?: Logger; bodyTimeout?: number } = {},
): TestClient {
  const sleeps: number[] = [];
  const agent = new Agent({
    connect: { timeout: 2_000 },
    headersTimeout: options.bodyTimeout ?? 5_000,
    bodyTimeout: options.bodyTimeout ?? 5_000,
  });
  const client = createFinraClient(
    {
      FINRA_API_URL: baseUrl,
      FINRA_TOKEN_URL: `${baseUrl}/fip/rest/ews/oauth2/access_token?grant_type=client_credentials`,
      FINRA_CLIENT_ID: options.auth?.id,
      FINRA_CLIENT_SECRET: options.auth?.secret,
    },
    {
      dispatcher: agent,
      logger: options.logger ?? silentLogger,
      minIntervalMs: 0,
      retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 60_000, ...options.retry },
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0.5,
    },
  );
  return { client, sleeps, agent };
}
