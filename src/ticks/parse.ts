// Streaming reader for tape trades: CSV with a header, or NDJSON, one trade per line. Memory stays
// flat in the file size: lines are parsed as they arrive and handed to a sink. A malformed row is
// counted and reported with its line number; with `strict`, the first one stops the read.

export interface Trade {
  symbol: string;
  timeMs: number;
  price: number;
  size: number;
  exchange: string;
  conditions: string;
  trfId: string;
  /** NaN when the feed gives no participant (execution) timestamp. */
  participantMs: number;
  tape: string;
}

export interface MalformedRow {
  line: number;
  reason: string;
}

export interface ParseSummary {
  format: 'csv' | 'ndjson' | 'empty';
  lines: number;
  trades: number;
  malformed: number;
  /** The first MAX_REPORTED malformed rows. */
  malformedRows: MalformedRow[];
}

export class MalformedRowError extends Error {
  override name = 'MalformedRowError';
  constructor(readonly row: MalformedRow) {
    super(`line ${row.line}: ${row.reason}`);
  }
}

export class TradeFormatError extends Error {
  override name = 'TradeFormatError';
}

export const MAX_REPORTED = 100;
const REQUIRED = ['symbol', 'timestamp', 'price', 'size', 'exchange'] as const;
const OPTIONAL = ['conditions', 'trf_id', 'participant_timestamp', 'tape'] as const;
type Column = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];

export interface ParseOptions {
  strict?: boolean;
  /** Called every `progressEvery` lines with the count so far. */
  onProgress?: (lines: number) => void;
  progressEvery?: number;
}

class BadRow extends Error {}

/** Reads every line of `input` and passes each valid trade to `sink`. */
export async function readTrades(
  input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  sink: (trade: Trade) => void,
  options: ParseOptions = {},
): Promise<ParseSummary> {
  const summary: ParseSummary = { format: 'empty', lines: 0, trades: 0, malformed: 0, malformedRows: [] };
  const decoder = new TextDecoder('utf-8');
  const every = options.progressEvery ?? 1_000_000;
  let rest = '';
  let parseLine: ((line: string) => Trade) | null = null;

  const handle = (raw: string) => {
    summary.lines++;
    if (summary.lines % every === 0) options.onProgress?.(summary.lines);
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    if (!parseLine) {
      if (line.trimStart().startsWith('{')) {
        summary.format = 'ndjson';
        parseLine = parseJsonLine;
      } else {
        summary.format = 'csv';
        parseLine = csvParser(line);
        return; // the header
      }
    }
    try {
      const trade = parseLine(line);
      summary.trades++;
      sink(trade);
    } catch (err) {
      if (!(err instanceof BadRow)) throw err;
      const row = { line: summary.lines, reason: err.message };
      if (options.strict) throw new MalformedRowError(row);
      summary.malformed++;
      if (summary.malformedRows.length < MAX_REPORTED) summary.malformedRows.push(row);
    }
  };

  for await (const chunk of input) {
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      handle(text.slice(start, nl));
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.decode();
  if (rest !== '') handle(rest);
  return summary;
}

function csvParser(headerLine: string): (line: string) => Trade {
  const names = splitCsv(headerLine).map((h) => h.trim().toLowerCase());
  const index = new Map<Column, number>();
  names.forEach((n, i) => {
    if ((REQUIRED as readonly string[]).includes(n) || (OPTIONAL as readonly string[]).includes(n)) index.set(n as Column, i);
  });
  const missing = REQUIRED.filter((c) => !index.has(c));
  if (missing.length) {
    throw new TradeFormatError(`the CSV header lacks ${missing.join(', ')} (found: ${names.join(', ')}); see README for the columns`);
  }
  const at = (c: Column) => index.get(c) ?? -1;
  const [iSym, iTs, iPx, iSz, iEx, iCond, iTrf, iPts, iTape] = [
    at('symbol'), at('timestamp'), at('price'), at('size'), at('exchange'), at('conditions'), at('trf_id'), at('participant_timestamp'), at('tape'),
  ];
  const width = names.length;
  return (line) => {
    const f = line.includes('"') ? splitCsv(line) : line.split(',');
    if (f.length !== width) throw new BadRow(`${f.length} fields, the header has ${width}`);
    return makeTrade(
      f[iSym]!,
      f[iTs]!,
      f[iPx]!,
      f[iSz]!,
      f[iEx]!,
      iCond >= 0 ? f[iCond]! : '',
      iTrf >= 0 ? f[iTrf]! : '',
      iPts >= 0 ? f[iPts]! : '',
      iTape >= 0 ? f[iTape]! : '',
    );
  };
}

function parseJsonLine(line: string): Trade {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new BadRow('not valid JSON');
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new BadRow('not a JSON object');
  const text = (v: unknown) => (v === undefined || v === null ? '' : typeof v === 'string' || typeof v === 'number' ? String(v) : '\u0000');
  const conditions = Array.isArray(o.conditions) ? o.conditions.map(String).join('') : text(o.conditions);
  return makeTrade(text(o.symbol), text(o.timestamp), text(o.price), text(o.size), text(o.exchange), conditions, text(o.trf_id), text(o.participant_timestamp), text(o.tape));
}

const SYMBOL = /^[A-Za-z0-9.\-/^ ]{1,20}$/;

function makeTrade(symbolText: string, ts: string, px: string, sz: string, ex: string, conditions: string, trf: string, pts: string, tape: string): Trade {
  const symbol = symbolText.trim();
  if (!SYMBOL.test(symbol)) throw new BadRow(`symbol "${symbol.slice(0, 30)}" is not a ticker`);
  const timeMs = parseTimestamp(ts.trim());
  if (Number.isNaN(timeMs)) throw new BadRow(`timestamp "${ts.slice(0, 40)}" is neither epoch ns/us/ms/s nor ISO-8601 with a zone`);
  const price = Number(px);
  if (!(price > 0) || !Number.isFinite(price) || px.trim() === '') throw new BadRow(`price "${px.slice(0, 20)}" is not a positive number`);
  const size = Number(sz);
  if (!(size > 0) || !Number.isFinite(size) || sz.trim() === '') throw new BadRow(`size "${sz.slice(0, 20)}" is not a positive number`);
  const exchange = ex.trim();
  if (exchange.length !== 1 || exchange.charCodeAt(0) > 127) throw new BadRow(`exchange "${ex.slice(0, 10)}" is not one participant letter`);
  let participantMs = NaN;
  if (pts.trim() !== '') {
    participantMs = parseTimestamp(pts.trim());
    if (Number.isNaN(participantMs)) throw new BadRow(`participant_timestamp "${pts.slice(0, 40)}" is not a timestamp`);
  }
  // A TRF id of one space is meaningful (the ADF): only an empty field means "not given".
  const trfId = trf === '' || trf === ' ' ? trf : trf.trim();
  return { symbol, timeMs, price, size, exchange, conditions, trfId, participantMs, tape: tape.trim().toUpperCase() };
}

/**
 * Epoch seconds, milliseconds, microseconds or nanoseconds (told apart by their digits), or
 * ISO-8601 with Z or an offset. Nanoseconds exceed a double's precision, so they are split.
 */
export function parseTimestamp(text: string): number {
  const c = text.charCodeAt(0);
  if (c >= 48 && c <= 57 && text.length <= 20 && /^\d+(\.\d+)?$/.test(text)) {
    const dot = text.indexOf('.');
    const digits = dot === -1 ? text.length : dot;
    if (digits <= 11) return Number(text) * 1000;
    if (digits <= 14) return Number(text);
    if (digits <= 17) return Number(text) / 1000;
    const whole = text.slice(0, digits);
    return Number(whole.slice(0, -6)) + Number(whole.slice(-6)) / 1e6;
  }
  return parseIso(text);
}

// ISO dates repeat their day and zone on every line of a file: parse that part once.
let isoDayKey = '';
let isoDayMs = NaN;
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;

function parseIso(text: string): number {
  const m = ISO.exec(text);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as string[];
  const key = `${y}-${mo}-${d}${zone}`;
  if (key !== isoDayKey) {
    const zoneMs = zone === 'Z' ? 0 : (zone!.startsWith('-') ? -1 : 1) * (Number(zone!.slice(1, 3)) * 60 + Number(zone!.slice(-2))) * 60_000;
    const day = Date.UTC(Number(y), Number(mo) - 1, Number(d));
    const check = new Date(day);
    if (check.getUTCDate() !== Number(d) || check.getUTCMonth() !== Number(mo) - 1) return NaN;
    isoDayKey = key;
    isoDayMs = day - zoneMs;
  }
  const hh = Number(h);
  const mm = Number(mi);
  const ss = Number(s);
  if (hh > 23 || mm > 59 || ss > 60) return NaN;
  const fraction = frac ? Number(`0.${frac}`) * 1000 : 0;
  return isoDayMs + ((hh * 60 + mm) * 60 + ss) * 1000 + fraction;
}

/** RFC 4180 fields: quotes around a field, doubled quotes inside it. */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q === -1) throw new BadRow('unterminated quoted field');
        value += line.slice(i, q);
        if (line[q + 1] === '"') {
          value += '"';
          i = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      out.push(value);
      if (i >= line.length) return out;
      if (line[i] !== ',') throw new BadRow('text after a quoted field');
      i++;
    } else {
      const comma = line.indexOf(',', i);
      if (comma === -1) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}
