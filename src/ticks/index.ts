// Tape analysis end to end: stream in, classify, fold into candles and statistics, report.
import { DEFAULT_ANALYZE_OPTIONS, TapeAnalyzer, type AnalyzeOptions } from './analyze.js';
import type { JsonSpace } from './json-text.js';
import { readTrades, TradeFormatError, type ParseOptions, type ParseSummary } from './parse.js';
import { buildReport, candleRows, reportJson, type CrossCheck, type TapeReport } from './report.js';
import { RULE_SETS, type RuleSetName } from './rules.js';

export interface TapeOptions extends Partial<Omit<AnalyzeOptions, 'rules'>>, ParseOptions {
  rules?: RuleSetName;
  crossCheck?: CrossCheck | null;
}

/** Every trade of an input folded in: its report, as objects or written as JSON text. */
export class AnalyzedTape {
  constructor(
    private readonly analyzer: TapeAnalyzer,
    /** What reading the input found: its format, rows, malformed and superseded rows. */
    readonly input: ParseSummary,
    private readonly crossCheck: CrossCheck | null,
  ) {
    if (input.layout === 'massive' && analyzer.options.rules.name !== 'sip') {
      // Massive's condition ids are read as the SIP's letters: a convention for other letters does not apply.
      throw new TradeFormatError(`the ${analyzer.options.rules.name} rules read letter conditions; Massive's trades take the sip rules`);
    }
  }

  report(): TapeReport {
    return buildReport(this.analyzer, this.input, this.crossCheck);
  }

  /** `JSON.stringify(report(), null, space)` in chunks under 128 KB: for a large tape, a fraction of the memory. */
  json(space: JsonSpace): Generator<string> {
    return reportJson(this.analyzer, this.input, this.crossCheck, space);
  }

  /** The candles of every symbol as CSV rows (CANDLE_CSV_COLUMNS), each made as it is read. */
  candleRows() {
    return candleRows(this.analyzer);
  }
}

export async function readTape(
  input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  options: TapeOptions = {},
): Promise<AnalyzedTape> {
  const analyzer = newAnalyzer(options);
  const summary = await readTrades(input, (t) => analyzer.add(t), options);
  return new AnalyzedTape(analyzer, summary, options.crossCheck ?? null);
}

/** An analyzer with the options given and the defaults for the rest. */
export function newAnalyzer(options: TapeOptions): TapeAnalyzer {
  return new TapeAnalyzer({
    ...DEFAULT_ANALYZE_OPTIONS,
    ...Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== undefined && k in DEFAULT_ANALYZE_OPTIONS)),
    rules: RULE_SETS[options.rules ?? 'sip'],
  });
}
