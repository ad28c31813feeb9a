// `darkpool-radar import FILE...`: FINRA's files through the same checks as the ingest.
import type { Config } from '../../config.js';
import { isIsoDate } from '../../domain/calendar.js';
import { isTier } from '../../domain/tiers.js';
import { importDailyFiles } from '../../ingest/daily.js';
import { importFiles } from '../../ingest/run.js';
import { inputFile, isDailyFile, parse, UsageError } from '../args.js';
import { printDailySummary, printSummary, worse, type Io } from '../output.js';
import { withStore } from '../store.js';

export async function importCommand(args: string[], config: Config, io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    week: { type: 'string' },
    tier: { type: 'string' },
    'published-through': { type: 'string' },
    force: { type: 'boolean' },
  });
  if (!positionals.length) throw new UsageError('import needs at least one FILE');
  const week = values.week;
  if (week !== undefined && !isIsoDate(week)) throw new UsageError('--week must be a date, YYYY-MM-DD');
  const publishedThrough = values['published-through'];
  if (publishedThrough !== undefined && !isIsoDate(publishedThrough))
    throw new UsageError('--published-through must be a date, YYYY-MM-DD');
  const tierArg = values.tier?.toUpperCase();
  if (tierArg !== undefined && !isTier(tierArg)) throw new UsageError('--tier must be T1, T2 or OTCE');
  positionals.forEach(inputFile);
  const dailyFiles = positionals.filter(isDailyFile);
  const weeklyFiles = positionals.filter((p) => !isDailyFile(p));
  return withStore(config, io, async (_store, ctx, dailyCtx) => {
    let code = 0;
    if (dailyFiles.length) code = printDailySummary(await importDailyFiles(dailyCtx, dailyFiles), io);
    if (weeklyFiles.length)
      code = worse(
        code,
        printSummary(await importFiles(ctx, weeklyFiles, { week, tier: tierArg, publishedThrough, force: values.force }), io),
      );
    return code;
  });
}
