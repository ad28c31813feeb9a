// `darkpool-radar backtest`: the estimate replayed on stored history.
import type { Config } from '../../config.js';
import { dottedSpelling } from '../../domain/symbols.js';
import { backtest, formatBacktest } from '../../estimate/backtest.js';
import { FileTruth, StoreDailyVolumes, StoreTruth } from '../../estimate/sources.js';
import { inputFile, parse, parseTiers, positiveNumber, UsageError } from '../args.js';
import type { Io } from '../output.js';
import { withReadOnlyDb } from '../store.js';

export async function backtestCommand(args: string[], config: Config, io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    tiers: { type: 'string' },
    weeks: { type: 'string' },
    symbols: { type: 'string' },
    'weekly-totals': { type: 'string' },
    format: { type: 'string' },
  });
  if (positionals.length) throw new UsageError(`backtest takes no arguments (got ${positionals.join(' ')})`);
  const format = values.format ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError('--format must be table or json');
  const tiers = parseTiers(values.tiers ?? 'T1,T2');
  const weeks = positiveNumber('weeks', values.weeks, 13, true);
  const symbols = values.symbols
    ? new Set(
        values.symbols
          .split(',')
          .map((t) => dottedSpelling(t.trim()).toUpperCase())
          .filter(Boolean),
      )
    : undefined;
  return withReadOnlyDb(config.DB_PATH, async (db) => {
    // FINRA's per-symbol totals from a file stand in for stored weeks when the store lacks them.
    const truth = values['weekly-totals'] ? await FileTruth.read(inputFile(values['weekly-totals'])) : new StoreTruth(db);
    const result = backtest(truth, new StoreDailyVolumes(db), { tiers, weeks, symbols });
    io.stdout(format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : formatBacktest(result));
    return result.scores.length ? 0 : 1;
  });
}
