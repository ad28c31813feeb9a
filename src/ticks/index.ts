// Tape analysis end to end: stream in, classify, fold into candles and statistics, report.
import { DEFAULT_ANALYZE_OPTIONS, TapeAnalyzer, type AnalyzeOptions } from './analyze.js';
import { readTrades, TradeFormatError, type ParseOptions, type ParseSummary } from './parse.js';
import { buildReport, type CrossCheck, type TapeReport } from './report.js';
import { RULE_SETS, type RuleSetName } from './rules.js';

export interface TapeOptions extends Partial<Omit<AnalyzeOptions, 'rules'>>, ParseOptions {
  rules?: RuleSetName;
  crossCheck?: CrossCheck | null;
}

export async function analyzeTape(
  input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  options: TapeOptions = {},
): Promise<TapeReport> {
  const analyzer = newAnalyzer(options);
  const summary = await readTrades(input, (t) => analyzer.add(t), options);
  return finishReport(analyzer, summary, options.crossCheck ?? null);
}

/** An analyzer with the options given and the defaults for the rest. */
export function newAnalyzer(options: TapeOptions): TapeAnalyzer {
  return new TapeAnalyzer({
    ...DEFAULT_ANALYZE_OPTIONS,
    ...Object.fromEntries(Object.entries(options).filter(([k, v]) => v !== undefined && k in DEFAULT_ANALYZE_OPTIONS)),
    rules: RULE_SETS[options.rules ?? 'sip'],
  });
}

/** The report of a whole input, once every trade is in the analyzer. */
export function finishReport(analyzer: TapeAnalyzer, summary: ParseSummary, crossCheck: CrossCheck | null): TapeReport {
  if (summary.layout === 'massive' && analyzer.options.rules.name !== 'sip') {
    // Massive's condition ids are read as the SIP's letters: a convention for other letters does not apply.
    throw new TradeFormatError(`the ${analyzer.options.rules.name} rules read letter conditions; Massive's trades take the sip rules`);
  }
  return buildReport(analyzer, summary, crossCheck);
}
