// The ingest's floor: the same FINRA requests (same client, paging and spacing), nothing done
// with the rows. argv: weekStart tiers(comma)
import { Agent } from 'undici';
import pino from 'pino';
import { createFinraClient } from '../dist/finra/index.js';

const [weekStart, tiers] = process.argv.slice(2);
const dispatcher = new Agent();
const client = createFinraClient(
  {
    FINRA_API_URL: process.env.FINRA_API_URL,
    FINRA_TOKEN_URL: process.env.FINRA_API_URL,
    FINRA_CLIENT_ID: undefined,
    FINRA_CLIENT_SECRET: undefined,
  },
  { dispatcher, logger: pino({ level: 'silent' }) },
);
const started = performance.now();
let rows = 0;
await client.partitions();
for (const tier of tiers.split(',')) {
  rows += (await client.weekRows({ weekStart, tier, summaryTypes: ['ATS_W_SMBL_FIRM', 'ATS_W_SMBL', 'OTC_W_SMBL'] })).length;
}
const ms = performance.now() - started;
await dispatcher.close();
process.stdout.write(JSON.stringify({ ms, rows, maxRssKb: process.resourceUsage().maxRSS }));
