// Trades as Massive (formerly Polygon.io) ships them: the flat files' CSV
// (`ticker,conditions,correction,exchange,id,participant_timestamp,price,sequence_number,sip_timestamp,size,tape,trf_id,trf_timestamp`)
// and the trades API's objects. Its numeric ids become the SIP letters the rule sets read, by the
// vendor's own published tables, so one rule set classifies every layout the same way.
import { RepeatedText, scanDecimal, scanDigits, scanTimestamp, splitCsv } from './scan.js';
import { BadRow, parseTimestamp, SYMBOL, TradeFormatError, type Trade } from './trade.js';

/**
 * Massive's exchange ids (GET /v3/reference/exchanges?asset_class=stocks) -> the SIP participant
 * letter the same table gives as `participant_id`. Id 4 is every FINRA facility (the three TRFs and
 * the ADF, participant D): the row's `trf_id` says which. Nasdaq is T on the CTS tapes (A, B) and
 * Q on UTP (C). Id 22 (24X National Exchange) is G in the SIP specifications.
 */
export const MASSIVE_EXCHANGES: Record<number, { name: string; participant: string; utpParticipant?: string }> = {
  1: { name: 'NYSE American', participant: 'A' },
  2: { name: 'Nasdaq OMX BX', participant: 'B' },
  3: { name: 'NYSE National', participant: 'C' },
  4: { name: 'FINRA (TRF or ADF)', participant: 'D' },
  5: { name: 'Unlisted Trading Privileges (UTP SIP)', participant: 'E' },
  6: { name: 'International Securities Exchange', participant: 'I' },
  7: { name: 'Cboe EDGA', participant: 'J' },
  8: { name: 'Cboe EDGX', participant: 'K' },
  9: { name: 'NYSE Chicago (NYSE Texas)', participant: 'M' },
  10: { name: 'New York Stock Exchange', participant: 'N' },
  11: { name: 'NYSE Arca', participant: 'P' },
  12: { name: 'Nasdaq', participant: 'T', utpParticipant: 'Q' },
  13: { name: 'Consolidated Tape Association (CTA SIP)', participant: 'S' },
  14: { name: 'Long-Term Stock Exchange', participant: 'L' },
  15: { name: 'Investors Exchange', participant: 'V' },
  16: { name: 'Cboe Stock Exchange', participant: 'W' },
  17: { name: 'Nasdaq Philadelphia', participant: 'X' },
  18: { name: 'Cboe BYX', participant: 'Y' },
  19: { name: 'Cboe BZX', participant: 'Z' },
  20: { name: 'MIAX Pearl', participant: 'H' },
  21: { name: 'Members Exchange', participant: 'U' },
  22: { name: '24X National Exchange', participant: 'G' },
  // FINRA's facilities by their own ids (some exports put the facility in `exchange`), and the ORF,
  // where OTC equities print: all of them off the exchanges.
  62: { name: 'FINRA ORF (OTC equities)', participant: 'D' },
  201: { name: 'FINRA NYSE TRF', participant: 'D' },
  202: { name: 'FINRA Nasdaq TRF Carteret', participant: 'D' },
  203: { name: 'FINRA Nasdaq TRF Chicago', participant: 'D' },
};

/**
 * Massive's `trf_id` (the facility's exchange id: 201 FINY, 202 FINN, 203 FINC) -> the SIP's
 * facility letter, which differs by tape for Carteret (CTS "TRF ID" T, UTP "sub-market center" Q).
 */
const MASSIVE_TRF: Record<number, { cts: string; utp: string }> = {
  201: { cts: 'N', utp: 'N' }, // FINRA/NYSE TRF
  202: { cts: 'T', utp: 'Q' }, // FINRA/Nasdaq TRF Carteret
  203: { cts: 'B', utp: 'B' }, // FINRA/Nasdaq TRF Chicago
};

/**
 * Massive's trade condition ids (GET /v3/reference/conditions?asset_class=stocks&data_type=trade)
 * -> the SIP sale-condition letter its `sip_mapping` gives for each plan (CTA for tapes A and B,
 * UTP for tape C). An id a plan does not list takes the other plan's letter: the condition means
 * the same. Ids that are no sale condition map to '' (nothing for the rules): 41 is the Rule 611
 * trade-through-exempt indicator (CTA 1, UTP X, a separate field), 6 is the retired CAP election
 * (CTA's I before odd lots took the letter). Conditions 31 and 33 are sold last / sold out of
 * sequence with a stopped stock: their sale condition is L and Z.
 */
export const MASSIVE_CONDITIONS: Record<number, { name: string; cta?: string; utp?: string }> = {
  0: { name: 'Regular Sale', cta: '@', utp: '@' },
  1: { name: 'Acquisition', utp: 'A' },
  2: { name: 'Average Price Trade', cta: 'B', utp: 'W' },
  3: { name: 'Automatic Execution', cta: 'E' },
  4: { name: 'Bunched Trade', utp: 'B' },
  5: { name: 'Bunched Sold Trade', utp: 'G' },
  6: { name: 'CAP Election (retired)', cta: '', utp: '' },
  7: { name: 'Cash Sale', cta: 'C', utp: 'C' },
  8: { name: 'Closing Prints', utp: '6' },
  9: { name: 'Cross Trade', cta: 'X', utp: 'X' },
  10: { name: 'Derivatively Priced', cta: '4', utp: '4' },
  11: { name: 'Distribution', utp: 'D' },
  12: { name: 'Form T/Extended Hours', cta: 'T', utp: 'T' },
  13: { name: 'Extended Hours (Sold Out Of Sequence)', cta: 'U', utp: 'U' },
  14: { name: 'Intermarket Sweep', cta: 'F', utp: 'F' },
  15: { name: 'Market Center Official Close', cta: 'M', utp: 'M' },
  16: { name: 'Market Center Official Open', cta: 'Q', utp: 'Q' },
  17: { name: 'Market Center Opening Trade', cta: 'O' },
  18: { name: 'Market Center Reopening Trade', cta: '5' },
  19: { name: 'Market Center Closing Trade', cta: '6' },
  20: { name: 'Next Day', cta: 'N', utp: 'N' },
  21: { name: 'Price Variation Trade', cta: 'H', utp: 'H' },
  22: { name: 'Prior Reference Price', cta: 'P', utp: 'P' },
  23: { name: 'Rule 155 Trade (AMEX)', cta: 'K', utp: 'K' },
  24: { name: 'Rule 127 (NYSE only)', cta: 'K' },
  25: { name: 'Opening Prints', utp: 'O' },
  27: { name: 'Stopped Stock (Regular Trade)', utp: '1' },
  28: { name: 'Re-Opening Prints', utp: '5' },
  29: { name: 'Seller', cta: 'R', utp: 'R' },
  30: { name: 'Sold Last', cta: 'L', utp: 'L' },
  31: { name: 'Sold Last and Stopped Stock', cta: 'L', utp: 'L' },
  32: { name: 'Sold (Out Of Sequence)', cta: 'Z', utp: 'Z' },
  33: { name: 'Sold (Out of Sequence) and Stopped Stock', cta: 'Z', utp: 'Z' },
  34: { name: 'Split Trade', utp: 'S' },
  35: { name: 'Stock Option (retired; now the contingent trade V)', cta: 'V', utp: 'V' },
  36: { name: 'Yellow Flag Regular Trade', utp: 'Y' },
  37: { name: 'Odd Lot Trade', cta: 'I', utp: 'I' },
  38: { name: 'Corrected Consolidated Close (per listing market)', cta: '9', utp: '9' },
  41: { name: 'Trade Thru Exempt (an indicator, not a sale condition)', cta: '', utp: '' },
  52: { name: 'Contingent Trade', cta: 'V', utp: 'V' },
  53: { name: 'Qualified Contingent Trade', cta: '7', utp: '7' },
  // Listed with the trade conditions but no sale condition: details and indicators that change no rule.
  55: { name: 'Opening/Reopening Trade Detail', cta: '', utp: '' },
  57: { name: 'Short Sale Restriction Activated', cta: '', utp: '' },
  58: { name: 'Short Sale Restriction Continued', cta: '', utp: '' },
  59: { name: 'Short Sale Restriction Deactivated', cta: '', utp: '' },
  60: { name: 'Short Sale Restriction In Effect', cta: '', utp: '' },
};

/**
 * The SIP's trade correction indicator, which Massive passes on in `correction` (NYSE Daily TAQ and
 * CTS specifications): 0 a regular trade, 1 an original trade later corrected (the row holds the
 * corrected data); 7 and 8 an original trade later marked erroneous or cancelled, 10 and 11 the
 * cancel and error records, 12 a correction record (it carries the original, incorrect data). Only
 * 0 and 1 are trades as they stand; the others are counted and left out.
 */
const KEPT_CORRECTIONS = new Set([0, 1]);

const MASSIVE_CSV_COLUMNS = ['ticker', 'conditions', 'exchange', 'price', 'sip_timestamp', 'size'] as const;

/** True when a CSV header names Massive's columns (its flat files and its API's field names). */
export function isMassiveHeader(names: readonly string[]): boolean {
  return names.includes('sip_timestamp') && names.includes('exchange') && !names.includes('timestamp');
}

/** A Massive row: each field as text (CSV) or value (JSON). */
type MassiveFields = (name: string) => unknown;

/** Thrown for a row whose correction indicator says it is not a trade as it stands. */
export class SupersededRow extends Error {
  constructor(readonly correction: number) {
    super(`correction indicator ${correction}`);
  }
}

const TAPES: Record<string, string> = { '1': 'A', '2': 'B', '3': 'C', A: 'A', B: 'B', C: 'C' };

const integer = (v: unknown): number | null => {
  const text = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  return /^\d{1,9}$/.test(text) ? Number(text) : null;
};
const present = (v: unknown) => v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');

/** Condition ids as the flat files write them ("12,37", quoted) or the API does ([12, 37]); quotes around an id are noise. */
function conditionIds(v: unknown): number[] {
  if (!present(v)) return [];
  const parts = Array.isArray(v)
    ? v
    : String(v)
        .replace(/[[\]{}"]/g, '')
        .split(/[,;\s]+/)
        .filter(Boolean);
  return parts.map((p) => {
    const id = integer(p);
    if (id === null) throw new BadRow(`condition "${String(p).slice(0, 10)}" is not a Massive condition id`);
    return id;
  });
}

/** The SIP letters of known condition ids, for the row's plan; no condition is a regular sale, which the SIP writes @. */
function conditionLetters(ids: number[], utp: boolean): string {
  if (ids.length === 0) return '@';
  let letters = '';
  for (const id of ids) {
    const condition = MASSIVE_CONDITIONS[id]!;
    letters += (utp ? (condition.utp ?? condition.cta) : (condition.cta ?? condition.utp)) ?? '';
  }
  return letters;
}

/** One Massive trade; `symbol` stands in for the ticker the API leaves out of its rows. */
export function massiveTrade(get: MassiveFields, symbol: string | undefined): Trade {
  const correction = present(get('correction')) ? integer(get('correction')) : 0;
  if (correction === null) throw new BadRow(`correction "${String(get('correction')).slice(0, 10)}" is not an indicator`);
  if (!KEPT_CORRECTIONS.has(correction)) throw new SupersededRow(correction);

  const ticker = present(get('ticker')) ? String(get('ticker')).trim().toUpperCase() : symbol;
  if (ticker === undefined) throw new BadRow('the row has no ticker: name it with one symbol (--symbols, symbols=)');
  if (!SYMBOL.test(ticker)) throw new BadRow(`ticker "${ticker.slice(0, 30)}" is not a ticker`);

  const tapeText = present(get('tape')) ? String(get('tape')).trim() : '';
  const tape = tapeText === '' ? '' : TAPES[tapeText.toUpperCase()];
  if (tape === undefined) throw new BadRow(`tape "${tapeText.slice(0, 10)}" is not 1, 2 or 3`);
  const utp = tape === 'C';

  const exchangeId = integer(get('exchange'));
  const exchange = exchangeId === null ? undefined : MASSIVE_EXCHANGES[exchangeId];
  if (!exchange) throw new BadRow(`exchange "${String(get('exchange')).slice(0, 10)}" is not in Massive's exchange table`);

  const ids = conditionIds(get('conditions'));
  const unknown = ids.find((id) => !MASSIVE_CONDITIONS[id]);
  if (unknown !== undefined) throw new BadRow(`condition ${unknown} is not in Massive's condition table`);
  const letters = conditionLetters(ids, utp);

  let trfId = '';
  // 0 is written by some exports for "no facility": the same as an empty field.
  if (present(get('trf_id')) && integer(get('trf_id')) !== 0) {
    const id = integer(get('trf_id'));
    const facility = id === null ? undefined : MASSIVE_TRF[id];
    if (!facility) throw new BadRow(`trf_id "${String(get('trf_id')).slice(0, 10)}" is not a FINRA facility (201, 202, 203)`);
    trfId = utp ? facility.utp : facility.cts;
  } else if (MASSIVE_TRF[exchangeId!]) {
    trfId = utp ? MASSIVE_TRF[exchangeId!]!.utp : MASSIVE_TRF[exchangeId!]!.cts;
  }

  // A time of 0 is how some exports write "none" (the SIP gave no participant time): absent, not 1970.
  const time = (name: string) => {
    const v = get(name);
    if (!present(v) || String(v).trim() === '0') return NaN;
    const ms = parseTimestamp(String(v).trim());
    if (Number.isNaN(ms)) throw new BadRow(`${name} "${String(v).slice(0, 30)}" is not a timestamp`);
    return ms;
  };
  const timeMs = time('sip_timestamp');
  if (Number.isNaN(timeMs)) throw new BadRow('sip_timestamp is missing');
  const number = (name: string) => {
    const v = get(name);
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!(n > 0) || !Number.isFinite(n)) throw new BadRow(`${name} "${String(v).slice(0, 20)}" is not a positive number`);
    return n;
  };
  return {
    symbol: ticker,
    timeMs,
    price: number('price'),
    size: number('size'),
    exchange: utp && exchange.utpParticipant ? exchange.utpParticipant : exchange.participant,
    conditions: letters,
    trfId,
    participantMs: time('participant_timestamp'),
    tape,
  };
}

/** Letters per exchange id (an array for the hot path): [CTS tapes, UTP tape]. */
const EXCHANGE_LETTERS: [string, string][] = [];
for (const [id, e] of Object.entries(MASSIVE_EXCHANGES)) EXCHANGE_LETTERS[Number(id)] = [e.participant, e.utpParticipant ?? e.participant];

/**
 * Massive's flat-file CSV, read by column name. The fast path finds the fields in place and reads
 * numbers and nanosecond times without substrings, reusing one Trade (the sink takes what it needs
 * before the next line); anything it does not expect (a quote inside a field, a correction, a value
 * out of the ordinary) takes the plain path, which splits the line and gives the same answer or the
 * row's error.
 */
export function massiveCsvParser(
  names: string[],
  symbol: string | undefined,
): (text: string, start: number, end: number, quoted: boolean) => Trade {
  const required = MASSIVE_CSV_COLUMNS.filter((c) => !(c === 'ticker' && symbol));
  const missing = required.filter((c) => !names.includes(c));
  if (missing.length) throw new TradeFormatError(`Massive's CSV header lacks ${missing.join(', ')} (found: ${names.join(', ')})`);
  const index = new Map(names.map((n, i) => [n, i]));
  const width = names.length;
  const plain = (line: string): Trade => {
    const fields = splitCsv(line);
    if (fields.length !== width) throw new BadRow(`${fields.length} fields, the header has ${width}`);
    return massiveTrade((name) => {
      const i = index.get(name);
      return i === undefined ? undefined : fields[i];
    }, symbol);
  };

  const at = (name: string) => index.get(name) ?? -1;
  const [iTicker, iConditions, iCorrection, iExchange, iPts, iPrice, iSip, iSize, iTape, iTrf] = [
    'ticker',
    'conditions',
    'correction',
    'exchange',
    'participant_timestamp',
    'price',
    'sip_timestamp',
    'size',
    'tape',
    'trf_id',
  ].map(at) as [number, number, number, number, number, number, number, number, number, number];
  const starts = new Int32Array(width);
  const ends = new Int32Array(width);
  const trade: Trade = { symbol: '', timeMs: 0, price: 0, size: 0, exchange: '', conditions: '', trfId: '', participantMs: NaN, tape: '' };
  const rawTicker = new RepeatedText();
  let lastTicker = symbol ?? '';
  // Condition lists repeat: their letters are worked out once per tape family and list.
  const letters = [new Map<string, string>(), new Map<string, string>()];
  const empty = (i: number) => i < 0 || ends[i] === starts[i];

  return (text, start, end) => {
    let count = 0;
    let i = start;
    while (count < width) {
      if (text.charCodeAt(i) === 34) {
        const close = text.indexOf('"', i + 1);
        if (close === -1 || close >= end || text.charCodeAt(close + 1) === 34) return plain(text.slice(start, end));
        starts[count] = i + 1;
        ends[count++] = close;
        i = close + 1;
        if (i >= end) break;
        if (text.charCodeAt(i) !== 44) return plain(text.slice(start, end));
        i++;
      } else {
        let comma = text.indexOf(',', i);
        if (comma === -1 || comma > end) comma = end;
        starts[count] = i;
        ends[count++] = comma;
        i = comma + 1;
        if (comma === end) break;
      }
    }
    if (count !== width || i < end) return plain(text.slice(start, end));
    // A correction other than 0 is rare: the plain path decides it.
    if (!empty(iCorrection) && !(ends[iCorrection]! - starts[iCorrection]! === 1 && text.charCodeAt(starts[iCorrection]!) === 48))
      return plain(text.slice(start, end));

    let tape = '';
    if (!empty(iTape)) {
      const t = text.charCodeAt(starts[iTape]!) - 48;
      if (ends[iTape]! - starts[iTape]! !== 1 || t < 1 || t > 3) return plain(text.slice(start, end));
      tape = t === 1 ? 'A' : t === 2 ? 'B' : 'C';
    }
    const utp = tape === 'C' ? 1 : 0;
    const exchangeId = iExchange < 0 ? NaN : scanDigits(text, starts[iExchange]!, ends[iExchange]!);
    const exchange = EXCHANGE_LETTERS[exchangeId];
    const sip = scanTimestamp(text, starts[iSip]!, ends[iSip]!);
    const price = scanDecimal(text, starts[iPrice]!, ends[iPrice]!);
    const size = scanDecimal(text, starts[iSize]!, ends[iSize]!);
    const noPts = empty(iPts) || (ends[iPts]! - starts[iPts]! === 1 && text.charCodeAt(starts[iPts]!) === 48);
    const pts = noPts ? NaN : scanTimestamp(text, starts[iPts]!, ends[iPts]!);
    if (!exchange || Number.isNaN(sip) || !(price > 0) || !(size > 0) || (!noPts && Number.isNaN(pts)))
      return plain(text.slice(start, end));

    let trfId = '';
    if (!empty(iTrf)) {
      const id = scanDigits(text, starts[iTrf]!, ends[iTrf]!);
      const facility = MASSIVE_TRF[id];
      if (facility) trfId = utp ? facility.utp : facility.cts;
      else if (id !== 0) return plain(text.slice(start, end));
    }
    if (trfId === '' && MASSIVE_TRF[exchangeId]) return plain(text.slice(start, end)); // the facility as the exchange: rare

    const rawConditions = iConditions < 0 ? '' : text.slice(starts[iConditions]!, ends[iConditions]!);
    let conditions = letters[utp]!.get(rawConditions);
    if (conditions === undefined) {
      let ids: number[];
      try {
        ids = conditionIds(rawConditions);
      } catch {
        return plain(text.slice(start, end));
      }
      if (ids.some((id) => !MASSIVE_CONDITIONS[id])) return plain(text.slice(start, end));
      conditions = conditionLetters(ids, utp === 1);
      if (letters[utp]!.size < 10_000) letters[utp]!.set(rawConditions, conditions);
    }

    if (iTicker >= 0 && !empty(iTicker)) {
      if (!rawTicker.holds(text, starts[iTicker]!, ends[iTicker]!)) {
        const raw = text.slice(starts[iTicker]!, ends[iTicker]!);
        const ticker = raw.toUpperCase();
        if (!SYMBOL.test(ticker) || ticker !== ticker.trim()) return plain(text.slice(start, end));
        rawTicker.remember(raw);
        lastTicker = ticker;
      }
    } else if (symbol === undefined) return plain(text.slice(start, end));
    else lastTicker = symbol;

    trade.symbol = lastTicker;
    trade.timeMs = sip;
    trade.price = price;
    trade.size = size;
    trade.exchange = exchange[utp]!;
    trade.conditions = conditions;
    trade.trfId = trfId;
    trade.participantMs = pts;
    trade.tape = tape;
    return trade;
  };
}
