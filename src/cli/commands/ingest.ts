// `darkpool-radar ingest`: FINRA's daily files, then its weeks, into the store.
import type { Config } from '../../config.js';
import { createCdnClient, createDispatcher, createFinraClient } from '../../finra/index.js';
import { ingestDaily } from '../../ingest/daily.js';
import { ingestFromFinra } from '../../ingest/run.js';
import { parse, parseTiers, UsageError } from '../args.js';
import { printDailySummary, printSummary, worse, type Io } from '../output.js';
import { withStore } from '../store.js';

export async function ingestCommand(args: string[], config: Config, io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    weeks: { type: 'string' },
    tiers: { type: 'string' },
    only: { type: 'string' },
    quiet: { type: 'boolean' },
    trigger: { type: 'string' },
  });
  if (positionals.length) throw new UsageError(`ingest takes no arguments (got ${positionals.join(' ')})`);
  let weeks: number | undefined;
  if (values.weeks !== undefined) {
    weeks = Number(values.weeks);
    if (!Number.isInteger(weeks) || weeks < 1 || weeks > 260) throw new UsageError('--weeks must be an integer from 1 to 260');
  }
  if (values.only !== undefined && values.only !== 'weekly' && values.only !== 'daily')
    throw new UsageError('--only must be weekly or daily');
  const runDaily = values.only !== 'weekly' && config.DAILY_WINDOW_DAYS > 0;
  const runWeekly = values.only !== 'daily';
  const tiers = parseTiers(values.tiers);
  const trigger = values.trigger ?? 'cli';
  const quietIo: Io = values.quiet ? { stdout: () => {}, stderr: () => {} } : io;
  const dispatcher = createDispatcher();
  // SIGTERM (a stopping server) ends the run between requests; a week's or a day's transaction is never cut.
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted by a signal'));
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    return await withStore(config, quietIo, async (_store, ctx, dailyCtx) => {
      let code = 0;
      // Daily first: it is small, and the weekly publish scores estimates against the daily data.
      if (runDaily) {
        const cdn = createCdnClient(config, { dispatcher, logger: ctx.logger });
        quietIo.stderr(`daily files from ${config.FINRA_CDN_URL}, last ${config.DAILY_WINDOW_DAYS} days\n`);
        code = printDailySummary(
          await ingestDaily(dailyCtx, cdn, { trigger, windowDays: config.DAILY_WINDOW_DAYS, signal: abort.signal }),
          quietIo,
        );
      }
      if (runWeekly) {
        const client = createFinraClient(config, { dispatcher, logger: ctx.logger });
        quietIo.stderr(`ingesting from ${config.FINRA_API_URL} into ${config.DB_PATH}\n`);
        const summary = await ingestFromFinra(ctx, client, { trigger, tiers, weeks, signal: abort.signal });
        code = worse(code, printSummary(summary, quietIo));
      }
      return code;
    });
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await dispatcher.close();
  }
}
