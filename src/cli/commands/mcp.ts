// `darkpool-radar mcp`: the API as Model Context Protocol tools over stdio (the official TypeScript
// SDK), for AI agents. Each tool is one GET route: its input schema is the route's own zod schemas as
// JSON Schema, and a call is answered by the route itself (an injected request into the same app), so
// the JSON, the FINRA credit and the problems are exactly the HTTP API's.
import { existsSync } from 'node:fs';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import * as s from '../../api/schemas.js';
import { buildApp, OPEN_APP_CONFIG } from '../../app.js';
import { openStore } from '../../compose.js';
import type { Config } from '../../config.js';
import { createLogger } from '../../logger.js';
import { PACKAGE_VERSION } from '../../package-info.js';
import { SectorTable } from '../../sectors/table.js';
import { parse } from '../args.js';
import type { Io } from '../output.js';

interface Tool {
  name: string;
  /** The route, with {param} placeholders. */
  path: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
}

// Format is the HTTP representation: tools always answer JSON.
const noFormat = (q: z.ZodObject) => q.omit({ format: true });

const TOOLS: Tool[] = [
  { name: 'weekly', path: '/darkpool/weekly/{ticker}', params: s.tickerParams, query: s.weekQuery },
  { name: 'history', path: '/darkpool/history/{ticker}', params: s.tickerParams, query: s.historyQuery },
  { name: 'movers', path: '/darkpool/movers/top20', query: noFormat(s.moversQuery) },
  { name: 'sectors', path: '/darkpool/sectors', query: noFormat(s.sectorsQuery) },
  { name: 'venues', path: '/darkpool/venues', query: noFormat(s.venuesQuery) },
  { name: 'venue', path: '/darkpool/venues/{mpid}', params: s.venueParams, query: s.venueQuery },
  { name: 'venue_symbols', path: '/darkpool/venues/{mpid}/symbols', params: s.venueParams, query: noFormat(s.venueSymbolsQuery) },
  { name: 'offexchange', path: '/darkpool/offexchange/{ticker}', params: s.tickerParams, query: noFormat(s.offExchangeQuery) },
  { name: 'ratio', path: '/darkpool/ratio/{ticker}', params: s.tickerParams, query: s.weekQuery },
  { name: 'unusual', path: '/darkpool/unusual', query: noFormat(s.unusualQuery) },
  { name: 'revisions', path: '/darkpool/revisions', query: s.revisionsQuery },
  { name: 'daily', path: '/darkpool/daily/{ticker}', params: s.tickerParams, query: noFormat(s.dailyQuery) },
  { name: 'estimate', path: '/darkpool/estimate/{ticker}', params: s.tickerParams },
];

function inputSchema(tool: Tool) {
  const shape = { ...(tool.params?.shape ?? {}), ...(tool.query?.shape ?? {}) };
  const { $schema: _, ...schema } = z.toJSONSchema(z.object(shape), {
    io: 'input',
    unrepresentable: 'any',
    override: s.keepParameterDefaults,
  });
  return schema as { type: 'object'; properties?: Record<string, object>; required?: string[] };
}

/** The route's URL for a call's arguments: path parameters filled in, the rest as the query. */
function urlOf(tool: Tool, args: Record<string, unknown>): string {
  const query = new URLSearchParams();
  let path = tool.path;
  for (const [key, value] of Object.entries(args)) {
    if (value === undefined || value === null) continue;
    if (path.includes(`{${key}}`)) path = path.replace(`{${key}}`, encodeURIComponent(String(value)));
    else query.append(key, String(value));
  }
  const q = query.toString();
  return q ? `${path}?${q}` : path;
}

export async function mcpCommand(args: string[], config: Config, io: Io): Promise<number> {
  parse(args, {});
  if (!existsSync(config.DB_PATH)) {
    io.stderr(`darkpool-radar mcp: no store at ${config.DB_PATH} (DB_PATH): run \`darkpool-radar ingest\` or \`npm run demo\` first\n`);
    return 1;
  }
  // Standard output carries the protocol: logs go to standard error.
  const logger = createLogger(config.LOG_LEVEL, process.stderr);
  const store = openStore(config.DB_PATH, SectorTable.load());
  const app = await buildApp(OPEN_APP_CONFIG, { store, logger });
  await app.ready();
  const summaries = (app.swagger() as { paths: Record<string, { get?: { summary?: string; description?: string } }> }).paths;

  const server = new Server({ name: 'darkpool-radar', version: PACKAGE_VERSION }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: TOOLS.map((t) => ({
      name: t.name,
      description: `${summaries[t.path]?.get?.summary ?? t.path}. Same JSON as GET ${t.path}; FINRA owns the data (see source.terms).`,
      inputSchema: inputSchema(t),
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const tool = TOOLS.find((t) => t.name === request.params.name);
    if (!tool) return { isError: true, content: [{ type: 'text' as const, text: `no tool named ${request.params.name}` }] };
    const res = await app.inject({ method: 'GET', url: urlOf(tool, request.params.arguments ?? {}) });
    return { isError: res.statusCode >= 400, content: [{ type: 'text' as const, text: res.body }] };
  });

  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => (transport.onclose = resolve));
  await server.connect(transport);
  process.stdin.on('end', () => void server.close());
  await closed;
  await app.close();
  store.close();
  return 0;
}
