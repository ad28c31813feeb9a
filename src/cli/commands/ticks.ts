// `darkpool-radar ticks FILE`: consolidated-tape analysis, cross-checked with the store when there is one.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { toCsv } from '../../api/csv.js';
import { DEFAULT_DB_PATH } from '../../package-info.js';
import { analyzeTape } from '../../ticks/index.js';
import { CANDLE_CSV_COLUMNS, type CrossCheck } from '../../ticks/report.js';
import { isRuleSetName } from '../../ticks/rules.js';
import { inputFile, parse, positiveNumber, UsageError } from '../args.js';
import { formatDuration, type Io } from '../output.js';

/** Reads DB_PATH alone from the environment: the analysis needs no other setting, and starts at once. */
export async function ticksCommand(args: string[], env: Record<string, string | undefined>, io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    interval: { type: 'string' },
    rules: { type: 'string' },
    format: { type: 'string' },
    strict: { type: 'boolean' },
    'large-size': { type: 'string' },
    'large-notional': { type: 'string' },
    'delay-seconds': { type: 'string' },
  });
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new UsageError('ticks needs exactly one FILE (or - for standard input)');
  if (file !== '-') inputFile(file);
  const rules = values.rules ?? 'sip';
  if (!isRuleSetName(rules)) throw new UsageError('--rules must be sip or letter-u-y');
  const format = values.format ?? 'json';
  if (format !== 'json' && format !== 'csv') throw new UsageError('--format must be json or csv');
  const started = performance.now();
  const input = file === '-' ? process.stdin : createReadStream(file, { highWaterMark: 1 << 20 });
  // A file's size is known: the share read so far, and the time left at the pace so far.
  const size = file === '-' ? 0 : statSync(file).size;
  const progress = io.terminal
    ? (lines: number) => {
        const elapsed = performance.now() - started;
        const done = size && 'bytesRead' in input ? input.bytesRead / size : 0;
        const eta = done > 0 && done < 1 ? `, ${Math.floor(done * 100)}%, ETA ${formatDuration((elapsed / done) * (1 - done))}` : '';
        io.stderr(`\r${lines.toLocaleString('en-US')} lines, ${Math.round(lines / (elapsed / 1000)).toLocaleString('en-US')}/s${eta}   `);
      }
    : undefined;
  const analyze = async (crossCheck: CrossCheck | null) => {
    const report = await analyzeTape(input, {
      intervalSeconds: positiveNumber('interval', values.interval, 60, true),
      rules,
      largeSize: positiveNumber('large-size', values['large-size'], 5_000),
      largeNotional: positiveNumber('large-notional', values['large-notional'], 200_000),
      delaySeconds: positiveNumber('delay-seconds', values['delay-seconds'], 10),
      strict: values.strict ?? false,
      onProgress: progress,
      crossCheck,
    });
    if (progress) io.stderr('\n');
    if (report.input.malformed)
      io.stderr(
        `${report.input.malformed} malformed rows (first at line ${report.input.malformed_rows[0]?.line}); see input.malformed_rows\n`,
      );
    if (format === 'csv') {
      const rows = report.symbols.flatMap((s) => s.candles.map((c) => ({ symbol: s.symbol, ...c })));
      io.stdout(toCsv(CANDLE_CSV_COLUMNS, rows));
    } else {
      io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    }
    return 0;
  };
  // The FINRA cross-check reads the store when there is one; the analysis never needs it (nor its modules).
  const dbPath = env.DB_PATH || DEFAULT_DB_PATH;
  if (!existsSync(dbPath)) return analyze(null);
  const [{ withReadOnlyDb }, { Queries }, { finraCrossCheck }] = await Promise.all([
    import('../store.js'),
    import('../../read/queries.js'),
    import('../../ticks/finra-check.js'),
  ]);
  return withReadOnlyDb(dbPath, (db) => analyze(finraCrossCheck(new Queries(db))));
}
