// `darkpool-radar mcp`: an MCP client (the official SDK's) starts the command over stdio, lists the
// tools and gets, for each, the very JSON the HTTP API answers on the same store (FINRA's real OTCE
// weeks and TQQQ week), FINRA's credit included; problems come back as tool errors.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { appOn, seededStore } from '../support/app.js';
import { removeTempDirs, tempDbPath } from '../support/harness.js';

let store: Store;
let app: FastifyInstance;
let client: Client;

beforeAll(async () => {
  const dbPath = tempDbPath();
  store = await seededStore(dbPath);
  app = await appOn(store);
  client = new Client({ name: 'darkpool-radar-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: ['dist/cli.js', 'mcp'],
      env: { ...process.env, DB_PATH: dbPath, LOG_LEVEL: 'warn' } as Record<string, string>,
      stderr: 'pipe',
    }),
  );
}, 60_000);
afterAll(async () => {
  await client?.close();
  await app?.close();
  store?.close();
  removeTempDirs();
});

const text = (r: Awaited<ReturnType<Client['callTool']>>) => (r.content as { type: string; text: string }[])[0]!.text;

describe('darkpool-radar mcp', () => {
  it('lists a tool per data route, each with the route’s parameters as JSON Schema', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        'daily',
        'estimate',
        'history',
        'movers',
        'offexchange',
        'ratio',
        'revisions',
        'sectors',
        'unusual',
        'venue',
        'venue_symbols',
        'venues',
        'weekly',
      ].sort(),
    );
    const history = tools.find((t) => t.name === 'history')!;
    expect(history.inputSchema).toMatchObject({
      type: 'object',
      required: ['ticker'],
      properties: { ticker: { type: 'string' }, weeks: { type: 'integer', minimum: 1, maximum: 5000 }, as_of: { type: 'string' } },
    });
    expect(history.description).toMatch(/^Weekly history, newest first.*Same JSON as GET \/darkpool\/history\/\{ticker\}/);
  });

  it('answers each tool with the JSON of the HTTP route, FINRA credit included', async () => {
    for (const [tool, args, url] of [
      ['weekly', { ticker: 'tqqq' }, '/darkpool/weekly/tqqq'],
      ['history', { ticker: 'AABB', weeks: 2 }, '/darkpool/history/AABB?weeks=2'],
      ['movers', { tier: 'OTCE', limit: 5, sort: 'change' }, '/darkpool/movers/top20?tier=OTCE&limit=5&sort=change'],
      ['sectors', {}, '/darkpool/sectors'],
      ['venues', { tier: 'OTCE' }, '/darkpool/venues?tier=OTCE'],
      ['venue', { mpid: 'ubsa' }, '/darkpool/venues/ubsa'],
      ['offexchange', { ticker: 'TQQQ' }, '/darkpool/offexchange/TQQQ'],
      ['ratio', { ticker: 'TQQQ' }, '/darkpool/ratio/TQQQ'],
      ['unusual', { tier: 'OTCE' }, '/darkpool/unusual?tier=OTCE'],
    ] as const) {
      const result = await client.callTool({ name: tool, arguments: args });
      expect(result.isError, tool).toBe(false);
      const http = await app.inject({ url });
      expect(JSON.parse(text(result)), tool).toEqual(http.json());
      expect(JSON.parse(text(result)).source.provider, tool).toBe('FINRA');
    }
  });

  it('answers a bad call with the API’s problem, as a tool error', async () => {
    const unknown = await client.callTool({ name: 'weekly', arguments: { ticker: 'NOPE' } });
    expect(unknown.isError).toBe(true);
    expect(JSON.parse(text(unknown))).toMatchObject({ code: 'ticker_not_found', status: 404 });
    const bad = await client.callTool({ name: 'history', arguments: { ticker: 'AABB', weeks: 0 } });
    expect(JSON.parse(text(bad))).toMatchObject({ code: 'invalid_parameter', status: 400 });
    const daily = await client.callTool({ name: 'daily', arguments: { ticker: 'AAPL' } });
    expect(JSON.parse(text(daily))).toMatchObject({ code: 'no_daily_data' });
  });
});
