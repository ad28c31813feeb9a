// Streaming reader for tape trades: CSV with a header, or NDJSON, one trade per line. Memory stays
// flat in the file size: lines are parsed as they arrive and handed to a sink. A malformed row is
// counted and reported with its line number; with `strict`, the first one stops the read.

import { isAscii } from 'node:buffer';
import { isMassiveHeader, massiveCsvParser, massiveTrade, SupersededRow } from './massive.js';
import { RepeatedText, scanDecimal, scanTimestamp, splitCsv } from './scan.js';
import { BadRow, parseTimestamp, SYMBOL, TradeFormatError, type Trade } from './trade.js';

export { parseTimestamp, TradeFormatError, type Trade } from './trade.js';

export interface MalformedRow {
  line: number;
  reason: string;
}

export interface ParseSummary {
  /** The container: CSV with a header, one JSON object per line, or one JSON document. */
  format: 'csv' | 'ndjson' | 'json' | 'empty';
  /** Whose layout the rows follow: ours (letters) or Massive's (numeric ids); null when empty. */
  layout: InputLayout | null;
  lines: number;
  trades: number;
  malformed: number;
  /** The first MAX_REPORTED malformed rows. */
  malformedRows: MalformedRow[];
  /** Rows the vendor marks cancelled, erroneous or replaced by a correction: not trades as they stand. */
  superseded: number;
  /** Trades of symbols not asked for (with `symbols`). */
  otherSymbols: number;
}

export class MalformedRowError extends Error {
  override name = 'MalformedRowError';
  constructor(readonly row: MalformedRow) {
    super(`line ${row.line}: ${row.reason}`);
  }
}

export const MAX_REPORTED = 100;
/**
 * The longest line, or JSON document, held in memory at once: far above a row, and above a page of
 * Massive's trades API (50,000 trades), while a body without line breaks cannot grow without bound.
 */
export const MAX_TEXT_CHARS = 64 * 2 ** 20;
const REQUIRED = ['symbol', 'timestamp', 'price', 'size', 'exchange'] as const;
const OPTIONAL = ['conditions', 'trf_id', 'participant_timestamp', 'tape'] as const;
type Column = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];

export const INPUT_LAYOUTS = ['radar', 'massive'] as const;
export type InputLayout = (typeof INPUT_LAYOUTS)[number];
export const INPUT_FORMATS = ['auto', ...INPUT_LAYOUTS] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export interface ParseOptions {
  strict?: boolean;
  /** Called every `progressEvery` lines with the count so far. */
  onProgress?: (lines: number) => void;
  progressEvery?: number;
  /** `auto` (the default) tells the layout from the CSV header or the JSON fields. */
  inputFormat?: InputFormat;
  /**
   * Only these symbols' trades (the others are counted, not analysed); one symbol is also the ticker
   * of rows that carry none (Massive's trades API leaves it to the URL).
   */
  symbols?: readonly string[];
}

/** The summary of an input before any line: every count at zero. */
export function emptySummary(): ParseSummary {
  return { format: 'empty', layout: null, lines: 0, trades: 0, malformed: 0, malformedRows: [], superseded: 0, otherSymbols: 0 };
}

/** Parses the line text[start, end); `quoted` says the chunk holds a double quote somewhere. */
type RowParser = (text: string, start: number, end: number, quoted: boolean) => Trade;

/** Reads every line of `input` and passes each valid trade to `sink`. */
export async function readTrades(
  input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  sink: (trade: Trade) => void,
  options: ParseOptions = {},
): Promise<ParseSummary> {
  const summary = emptySummary();
  const decode = chunkDecoder();
  const every = options.progressEvery ?? 1_000_000;
  const forced = options.inputFormat ?? 'auto';
  const only = new Set((options.symbols ?? []).map((s) => s.trim().toUpperCase()).filter(Boolean));
  const symbol = only.size === 1 ? [...only][0] : undefined;
  let rest = '';
  let handleLine: ((text: string, start: number, end: number, quoted: boolean) => void) | null = null;
  // A JSON document spread over lines (an API page saved pretty-printed) is gathered, then read.
  let document: string[] | null = null as string[] | null;
  let documentChars = 0;

  const accept = (trade: Trade) => {
    if (only.size && !only.has(trade.symbol)) {
      summary.otherSymbols++;
      return;
    }
    summary.trades++;
    sink(trade);
  };
  const reject = (err: unknown, line: number, where = '') => {
    if (err instanceof SupersededRow) {
      summary.superseded++;
      return;
    }
    if (!(err instanceof BadRow)) throw err;
    const row = { line, reason: `${where}${err.message}` };
    if (options.strict) throw new MalformedRowError(row);
    summary.malformed++;
    if (summary.malformedRows.length < MAX_REPORTED) summary.malformedRows.push(row);
  };
  const take = (read: () => Trade, line: number, where = '') => {
    try {
      accept(read());
    } catch (err) {
      reject(err, line, where);
    }
  };
  // Massive's objects carry sip_timestamp, and numbers where ours carry letters (the exchange).
  const jsonLayout = (o: Record<string, unknown>): InputLayout =>
    forced !== 'auto' ? forced : 'sip_timestamp' in o || typeof o.exchange === 'number' ? 'massive' : 'radar';
  const asObject = (o: unknown) => {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new BadRow('not a JSON object');
    return o as Record<string, unknown>;
  };
  const jsonTrade = (record: Record<string, unknown>, layout: InputLayout): Trade => {
    summary.layout ??= layout;
    return layout === 'massive' ? massiveTrade((name) => record[name], symbol) : radarJsonTrade(record);
  };
  /** One JSON value: a trade, or a page of Massive's trades API (`results`), whose rows are numbered within it. */
  const takeJson = (value: unknown, line: number) => {
    const results = value !== null && typeof value === 'object' ? (value as { results?: unknown }).results : undefined;
    if (Array.isArray(results)) {
      // A page's rows are Massive's, unless a layout is forced.
      const layout = forced === 'auto' ? 'massive' : forced;
      results.forEach((o, i) => take(() => jsonTrade(asObject(o), layout), line, `results[${i}]: `));
    } else
      take(() => {
        const record = asObject(value);
        return jsonTrade(record, jsonLayout(record));
      }, line);
  };

  const takeJsonLine = (line: string) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      take(() => {
        throw new BadRow('not valid JSON');
      }, summary.lines);
      return;
    }
    takeJson(value, summary.lines);
  };

  // Lines are handled as offsets into the chunk: no substring per line on the fast path.
  const handle = (text: string, start: number, lineEnd: number, quoted: boolean) => {
    summary.lines++;
    if (summary.lines % every === 0) options.onProgress?.(summary.lines);
    const end = lineEnd > start && text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
    if (document) {
      documentChars += end - start;
      if (documentChars > MAX_TEXT_CHARS)
        throw new TradeFormatError(`a JSON document over ${MAX_TEXT_CHARS} characters: send one trade per line`);
      document.push(text.slice(start, end));
      return;
    }
    if (end === start || (text.charCodeAt(start) <= 32 && text.slice(start, end).trim() === '')) return;
    if (!handleLine) {
      // A byte-order mark (spreadsheets write one) is no part of the first column's name.
      const first = text.slice(text.charCodeAt(start) === 0xfeff ? start + 1 : start, end);
      if (first.trimStart().startsWith('{')) {
        try {
          JSON.parse(first);
        } catch {
          // Not one object per line: the first line of one document, read whole at the end.
          summary.format = 'json';
          document = [first];
          return;
        }
        summary.format = 'ndjson';
        handleLine = (t, s, e) => takeJsonLine(t.slice(s, e));
      } else {
        summary.format = 'csv';
        const parseRow = csvParser(first, forced, symbol, (layout) => (summary.layout = layout));
        // No closure per line: this is the path of every row of a large file.
        handleLine = (t, s, e, q) => {
          try {
            accept(parseRow(t, s, e, q));
          } catch (err) {
            reject(err, summary.lines);
          }
        };
        return; // the header
      }
    }
    handleLine(text, start, end, quoted);
  };

  for await (const chunk of input) {
    // The decoded chunk is a flat string; the line carried over from the previous chunk is
    // completed and handled on its own, so the big string is never concatenated.
    const text = typeof chunk === 'string' ? chunk : decode(chunk);
    const quoted = text.includes('"'); // once per chunk; only then is each line checked for quotes
    let start = 0;
    let nl = text.indexOf('\n');
    if (nl === -1) {
      rest += text;
      if (rest.length > MAX_TEXT_CHARS) throw new TradeFormatError(`a line over ${MAX_TEXT_CHARS} characters: one trade per line`);
      continue;
    }
    if (rest !== '') {
      const line = rest + text.slice(0, nl);
      handle(line, 0, line.length, line.includes('"'));
      rest = '';
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    for (; nl !== -1; nl = text.indexOf('\n', start)) {
      handle(text, start, nl, quoted);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += decode(null);
  if (rest !== '') handle(rest, 0, rest.length, rest.includes('"'));
  if (document) {
    let value: unknown;
    try {
      value = JSON.parse(document.join('\n'));
    } catch (err) {
      throw new TradeFormatError(`the body is neither one JSON object per line nor one JSON document: ${(err as Error).message}`);
    }
    takeJson(value, 1);
  }
  return summary;
}

/**
 * UTF-8 chunks to text, a character cut between chunks included. A chunk of ASCII alone (a tape
 * file's every chunk, as a rule) is read as Latin-1, the same characters at a fifth of the
 * decoder's cost, whenever the decoder holds no bytes of a character begun in the chunk before.
 * `null` ends the input.
 */
function chunkDecoder(): (chunk: Uint8Array | null) => string {
  const decoder = new TextDecoder('utf-8');
  let holds = false;
  return (chunk) => {
    if (chunk === null) return decoder.decode();
    if (!holds && isAscii(chunk)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    holds = !endsWithWholeCharacter(chunk);
    return decoder.decode(chunk, { stream: true });
  };
}

/**
 * False when the bytes may end inside a UTF-8 sequence, which a streaming decoder then holds for the
 * next chunk. When in doubt false: that only costs the next chunk the decoder's slower path.
 */
function endsWithWholeCharacter(bytes: Uint8Array): boolean {
  for (let back = 0; back < 4 && back < bytes.length; back++) {
    const byte = bytes[bytes.length - 1 - back]!;
    if (byte < 0x80) return true;
    // A lead byte: its sequence is whole when the continuation bytes after it are all there.
    if (byte >= 0xc0) return back + 1 >= (byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2);
  }
  // Four continuation bytes end any sequence; fewer may finish one begun in an earlier chunk.
  return bytes.length >= 4;
}

function csvParser(headerLine: string, forced: InputFormat, symbol: string | undefined, setLayout: (l: InputLayout) => void): RowParser {
  let names: string[];
  try {
    names = splitCsv(headerLine).map((h) => h.trim().toLowerCase());
  } catch (err) {
    throw new TradeFormatError(`the CSV header cannot be read: ${(err as Error).message}`);
  }
  if (forced === 'massive' || (forced === 'auto' && isMassiveHeader(names))) {
    setLayout('massive');
    return massiveCsvParser(names, symbol);
  }
  setLayout('radar');
  const index = new Map<Column, number>();
  names.forEach((n, i) => {
    if ((REQUIRED as readonly string[]).includes(n) || (OPTIONAL as readonly string[]).includes(n)) index.set(n as Column, i);
  });
  const missing = REQUIRED.filter((c) => !index.has(c));
  if (missing.length) {
    const hint = isMassiveHeader(names) ? "; it is Massive's layout (input format massive or auto)" : '; see README for the columns';
    throw new TradeFormatError(`the CSV header lacks ${missing.join(', ')} (found: ${names.join(', ')})${hint}`);
  }
  const at = (c: Column) => index.get(c) ?? -1;
  const [iSym, iTs, iPx, iSz, iEx, iCond, iTrf, iPts, iTape] = [
    at('symbol'),
    at('timestamp'),
    at('price'),
    at('size'),
    at('exchange'),
    at('conditions'),
    at('trf_id'),
    at('participant_timestamp'),
    at('tape'),
  ];
  const width = names.length;
  const slow = (line: string): Trade => {
    const f = splitCsv(line);
    if (f.length !== width) throw new BadRow(`${f.length} fields, the header has ${width}`);
    const get = (i: number) => (i >= 0 ? f[i]! : '');
    return makeTrade(get(iSym), get(iTs), get(iPx), get(iSz), get(iEx), get(iCond), get(iTrf), get(iPts), get(iTape));
  };

  // The fast path reads fields in place (no split, no substrings for numbers and times) into one
  // reused Trade: the sink must take what it needs before the next line. Anything unusual
  // (quotes, spaces, exponents) goes the slow path, which gives the same answer.
  const starts = new Int32Array(width + 1);
  const ends = new Int32Array(width + 1);
  const trade: Trade = { symbol: '', timeMs: 0, price: 0, size: 0, exchange: '', conditions: '', trfId: '', participantMs: NaN, tape: '' };
  // The symbol as the file spells it (compared in place) and as reported (upper case: ibm is IBM).
  const lastSymbol = new RepeatedText();
  let lastTicker = '';
  const field = (text: string, i: number) => (i >= 0 ? text.slice(starts[i]!, ends[i]!) : '');
  // Consecutive trades mostly repeat their conditions and TRF id: the same string while they do.
  const conditions = new RepeatedText();
  const trfId = new RepeatedText();
  const repeated = (text: string, i: number, last: RepeatedText) => (i < 0 ? '' : last.read(text, starts[i]!, ends[i]!));
  return (text, lineStart, lineEnd, quoted) => {
    if (quoted) {
      const line = text.slice(lineStart, lineEnd);
      if (line.includes('"')) return slow(line);
    }
    // Field bounds by one pass over the characters (fields are short: cheaper than indexOf calls).
    let count = 0;
    starts[0] = lineStart;
    for (let i = lineStart; i < lineEnd; i++) {
      if (text.charCodeAt(i) === 44) {
        ends[count] = i;
        if (++count >= width) break;
        starts[count] = i + 1;
      }
    }
    if (count < width) ends[count++] = lineEnd;
    else count++; // a comma beyond the last field: too many
    if (count !== width) throw new BadRow(`${count > width ? 'more' : count} fields, the header has ${width}`);

    if (!lastSymbol.holds(text, starts[iSym]!, ends[iSym]!)) {
      const symbol = field(text, iSym);
      if (symbol !== symbol.trim() || !SYMBOL.test(symbol)) return slow(text.slice(lineStart, lineEnd));
      lastTicker = lastSymbol.remember(symbol).toUpperCase();
    }
    const timeMs = scanTimestamp(text, starts[iTs]!, ends[iTs]!);
    const price = scanDecimal(text, starts[iPx]!, ends[iPx]!);
    const size = scanDecimal(text, starts[iSz]!, ends[iSz]!);
    if (Number.isNaN(timeMs) || !(price > 0) || !(size > 0) || ends[iEx]! - starts[iEx]! !== 1) return slow(text.slice(lineStart, lineEnd));
    let participantMs = NaN;
    if (iPts >= 0 && ends[iPts]! > starts[iPts]!) {
      participantMs = scanTimestamp(text, starts[iPts]!, ends[iPts]!);
      if (Number.isNaN(participantMs)) return slow(text.slice(lineStart, lineEnd));
    }
    const exchange = text[starts[iEx]!]!;
    if (exchange.charCodeAt(0) > 127 || exchange === ' ') return slow(text.slice(lineStart, lineEnd));
    trade.symbol = lastTicker;
    trade.timeMs = timeMs;
    trade.price = price;
    trade.size = size;
    trade.exchange = exchange;
    trade.conditions = repeated(text, iCond, conditions);
    trade.trfId = repeated(text, iTrf, trfId);
    trade.participantMs = participantMs;
    trade.tape =
      iTape >= 0 && ends[iTape]! - starts[iTape]! === 1 ? upperLetter(text, starts[iTape]!) : field(text, iTape).trim().toUpperCase();
    return trade;
  };
}

/**
 * The character at i in upper case. One character comes from V8's table of single-character
 * strings, where toUpperCase() would make a new string for every line.
 */
function upperLetter(text: string, i: number): string {
  const code = text.charCodeAt(i);
  return code >= 97 && code <= 122 ? String.fromCharCode(code - 32) : text[i]!;
}

/** A trade object in our layout (the CSV's column names as fields). */
function radarJsonTrade(o: Record<string, unknown>): Trade {
  const text = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' || typeof v === 'number' ? String(v) : '\u0000');
  const conditions = Array.isArray(o.conditions) ? o.conditions.map(String).join('') : text(o.conditions);
  return makeTrade(
    text(o.symbol),
    text(o.timestamp),
    text(o.price),
    text(o.size),
    text(o.exchange),
    conditions,
    text(o.trf_id),
    text(o.participant_timestamp),
    text(o.tape),
  );
}

function makeTrade(
  symbolText: string,
  ts: string,
  px: string,
  sz: string,
  ex: string,
  conditions: string,
  trf: string,
  pts: string,
  tape: string,
): Trade {
  const symbol = symbolText.trim().toUpperCase();
  if (!SYMBOL.test(symbol)) throw new BadRow(`symbol "${symbol.slice(0, 30)}" is not a ticker`);
  const timeMs = parseTimestamp(ts.trim());
  if (Number.isNaN(timeMs)) throw new BadRow(`timestamp "${ts.slice(0, 40)}" is neither epoch ns/us/ms/s nor ISO-8601 with a zone`);
  const price = Number(px);
  if (!(price > 0) || !Number.isFinite(price) || px.trim() === '') throw new BadRow(`price "${px.slice(0, 20)}" is not a positive number`);
  const size = Number(sz);
  if (!(size > 0) || !Number.isFinite(size) || sz.trim() === '') throw new BadRow(`size "${sz.slice(0, 20)}" is not a positive number`);
  const exchange = ex.trim();
  if (exchange.length !== 1 || exchange.charCodeAt(0) > 127)
    throw new BadRow(`exchange "${ex.slice(0, 10)}" is not one participant letter`);
  let participantMs = NaN;
  if (pts.trim() !== '') {
    participantMs = parseTimestamp(pts.trim());
    if (Number.isNaN(participantMs)) throw new BadRow(`participant_timestamp "${pts.slice(0, 40)}" is not a timestamp`);
  }
  // A TRF id of one space is meaningful (the ADF): only an empty field means "not given".
  const trfId = trf === '' || trf === ' ' ? trf : trf.trim();
  return { symbol, timeMs, price, size, exchange, conditions, trfId, participantMs, tape: tape.trim().toUpperCase() };
}
