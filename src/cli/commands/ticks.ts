// `darkpool-radar ticks FILE`: consolidated-tape analysis, cross-checked with the store when there is one.
import { existsSync } from 'node:fs';
import { csvChunks } from '../../api/csv.js';
import { DEFAULT_DB_PATH } from '../../package-info.js';
import { readTapeFile, ungzipped, type FileTapeOptions } from '../../ticks/file.js';
import { readTape } from '../../ticks/index.js';
import { isPrintClass, PRINT_CLASSES, type PrintClass } from '../../ticks/analyze.js';
import { INPUT_FORMATS, type InputFormat } from '../../ticks/parse.js';
import { CANDLE_CSV_COLUMNS, type CrossCheck } from '../../ticks/report.js';
import { SYMBOL } from '../../ticks/trade.js';
import { isRuleSetName } from '../../ticks/rules.js';
import { inputFile, parse, positiveNumber, UsageError } from '../args.js';
import { formatDuration, type Io } from '../output.js';

/** Each thread holds its part's candles: far more threads than cores gain nothing and cost memory. */
const MAX_THREADS = 64;

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
    prints: { type: 'string' },
    'exclude-late': { type: 'boolean' },
    'input-format': { type: 'string' },
    symbols: { type: 'string' },
    threads: { type: 'string' },
  });
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new UsageError('ticks needs exactly one FILE (or - for standard input)');
  if (file !== '-') inputFile(file);
  const rules = values.rules ?? 'sip';
  if (!isRuleSetName(rules)) throw new UsageError('--rules must be sip or letter-u-y');
  const format = values.format ?? 'json';
  if (format !== 'json' && format !== 'csv') throw new UsageError('--format must be json or csv');
  const prints = [...new Set((values.prints ?? 'all').split(',').map((p) => p.trim().toLowerCase()))];
  if (!prints.every(isPrintClass)) throw new UsageError(`--prints must be a comma-separated list of ${PRINT_CLASSES.join(', ')}`);
  const inputFormat = (values['input-format'] ?? 'auto').toLowerCase();
  if (!(INPUT_FORMATS as readonly string[]).includes(inputFormat)) {
    throw new UsageError(`--input-format must be ${INPUT_FORMATS.join(', ')}`);
  }
  const symbols = values.symbols?.split(',').map((t) => t.trim());
  if (symbols && !symbols.every((t) => SYMBOL.test(t))) throw new UsageError('--symbols must be tickers, comma-separated');
  const threads = values.threads === undefined || values.threads === 'auto' ? 'auto' : positiveNumber('threads', values.threads, 1, true);
  if (threads !== 'auto' && threads > MAX_THREADS) throw new UsageError(`--threads must be auto or 1 to ${MAX_THREADS}`);
  const started = performance.now();
  // A file's size is known: the share read so far, and the time left at the pace so far.
  const progress = io.terminal
    ? (lines: number, done: number) => {
        const elapsed = performance.now() - started;
        const eta = done > 0 && done < 1 ? `, ${Math.floor(done * 100)}%, ETA ${formatDuration((elapsed / done) * (1 - done))}` : '';
        io.stderr(`\r${lines.toLocaleString('en-US')} lines, ${Math.round(lines / (elapsed / 1000)).toLocaleString('en-US')}/s${eta}   `);
      }
    : undefined;
  const analyze = async (crossCheck: CrossCheck | null) => {
    const options: Omit<FileTapeOptions, 'threads'> = {
      intervalSeconds: positiveNumber('interval', values.interval, 60, true),
      rules,
      largeSize: positiveNumber('large-size', values['large-size'], 5_000),
      largeNotional: positiveNumber('large-notional', values['large-notional'], 200_000),
      delaySeconds: positiveNumber('delay-seconds', values['delay-seconds'], 10),
      strict: values.strict ?? false,
      prints: prints as PrintClass[],
      excludeLate: values['exclude-late'] ?? false,
      inputFormat: inputFormat as InputFormat,
      symbols,
      onProgress: progress,
      crossCheck,
    };
    // Gzip'd input (Massive's flat files are .csv.gz) is told by its first bytes, not its name.
    const tape =
      file === '-'
        ? await readTape(await ungzipped(process.stdin), { ...options, onProgress: progress && ((lines) => progress(lines, 0)) })
        : await readTapeFile(file, { ...options, threads });
    if (progress) io.stderr('\n');
    const input = tape.input;
    if (input.malformed)
      io.stderr(`${input.malformed} malformed rows (first at line ${input.malformedRows[0]?.line}); see input.malformed_rows\n`);
    if (input.superseded)
      io.stderr(`${input.superseded} rows marked cancelled, erroneous or corrected were left out; see input.superseded\n`);
    for (const chunk of format === 'csv' ? csvChunks(CANDLE_CSV_COLUMNS, tape.candleRows()) : tape.json(2)) io.stdout(chunk);
    if (format === 'json') io.stdout('\n');
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
