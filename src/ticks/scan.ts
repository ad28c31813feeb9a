// Reading numbers, times and CSV fields in place, without a substring per value: the readers' fast paths.
import { BadRow } from './trade.js';

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * A plain decimal (digits, at most one point, 15 significant digits) read in place. Integer over a
 * power of ten is exactly what Number() gives: both operands are exact, division rounds correctly.
 * NaN for anything else, which then takes the slow path.
 */
export function scanDecimal(line: string, start: number, end: number): number {
  let int = 0;
  let digits = 0;
  let decimals = -1;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      int = int * 10 + (c - 48);
      digits++;
      if (decimals >= 0) decimals++;
    } else if (c === 46 && decimals < 0) {
      decimals = 0;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || digits > 15) return NaN;
  return decimals > 0 ? int / POW10[decimals]! : int;
}

/** Two decimal digits at i, or -1 when either is not a digit. */
function two(line: string, i: number): number {
  const a = line.charCodeAt(i) - 48;
  const b = line.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** Digits only, at most 15 (exact in a double); NaN otherwise. */
export function scanDigits(line: string, start: number, end: number): number {
  if (end <= start || end - start > 15) return NaN;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return n;
}
// The date and zone of an ISO time repeat on every line of a file: read as numbers, compared with
// the previous line's, and only a new day is checked and turned into a time.
let scanDateKey = -1;
let scanZoneMinutes = 0;
let scanDayMs = 0;

/** Epoch digits or the common ISO layout, in place; NaN sends the value to parseTimestamp. */
export function scanTimestamp(line: string, start: number, end: number): number {
  const first = line.charCodeAt(start);
  if (first < 48 || first > 57) return NaN;
  if (line.charCodeAt(start + 4) !== 45) {
    // Epoch: digits only; 16 or more are micro- or nanoseconds, read in two parts.
    const n = end - start;
    if (n > 19) return NaN;
    const split = n > 15 ? end - 6 : end;
    const high = scanDigits(line, start, split);
    const low = split < end ? scanDigits(line, split, end) : 0;
    if (Number.isNaN(high) || Number.isNaN(low)) return NaN; // decimals and oddities: the slow path
    if (n <= 11) return high * 1000;
    if (n <= 14) return high;
    if (n <= 17) return split < end ? (high * 1e6 + low) / 1000 : high / 1000;
    return high + low / 1e6;
  }
  // YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)
  if (end - start < 20 || line.charCodeAt(start + 7) !== 45 || line.charCodeAt(start + 13) !== 58 || line.charCodeAt(start + 16) !== 58)
    return NaN;
  const t = line.charCodeAt(start + 10);
  if (t !== 84 && t !== 32) return NaN;
  let i = start + 19;
  let fraction = 0;
  if (line.charCodeAt(i) === 46) {
    let scale = 100;
    for (i++; i < end; i++) {
      const c = line.charCodeAt(i);
      if (c < 48 || c > 57) break;
      fraction += (c - 48) * scale;
      scale /= 10;
    }
  }
  let zoneMinutes: number;
  const z = line.charCodeAt(i);
  if (z === 90 && i + 1 === end) zoneMinutes = 0;
  else if ((z === 43 || z === 45) && i + 6 === end && line.charCodeAt(i + 3) === 58 && two(line, i + 1) >= 0 && two(line, i + 4) >= 0) {
    zoneMinutes = (z === 45 ? -1 : 1) * (two(line, i + 1) * 60 + two(line, i + 4));
  } else return NaN;
  const century = two(line, start);
  const yy = two(line, start + 2);
  const month = two(line, start + 5);
  const day = two(line, start + 8);
  if (century < 0 || yy < 0 || month < 1 || day < 1) return NaN;
  const dateKey = ((century * 100 + yy) * 100 + month) * 100 + day;
  if (dateKey !== scanDateKey || zoneMinutes !== scanZoneMinutes) {
    const utc = Date.UTC(century * 100 + yy, month - 1, day);
    const check = new Date(utc);
    if (Number.isNaN(utc) || check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return NaN;
    scanDateKey = dateKey;
    scanZoneMinutes = zoneMinutes;
    scanDayMs = utc - zoneMinutes * 60_000;
  }
  const hh = two(line, start + 11);
  const mm = two(line, start + 14);
  const ss = two(line, start + 17);
  if (!(hh >= 0 && hh <= 23 && mm >= 0 && mm <= 59 && ss >= 0 && ss <= 60)) return NaN;
  return scanDayMs + ((hh * 60 + mm) * 60 + ss) * 1000 + fraction;
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

/**
 * A number naming ASCII text [start, end) of up to 7 characters (7 bits each: exact in a double),
 * or -1 for anything else. Equal keys, equal text (no character is 0, so no two lengths share a key).
 */
function asciiKey(text: string, start: number, end: number): number {
  if (end - start > 7) return -1;
  let key = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0 || c > 127) return -1;
    key = key * 128 + c;
  }
  return key;
}

/**
 * A field's text that mostly repeats from one line to the next (a symbol, a condition list): the
 * same string while it repeats, found without a substring. Short ASCII text is compared as a number,
 * cheaper than a builtin call per line; longer text with startsWith.
 */
export class RepeatedText {
  private value = '';
  private key = 0;

  /** Whether text[start, end) is the value held. */
  holds(text: string, start: number, end: number): boolean {
    const key = asciiKey(text, start, end);
    return key >= 0 ? key === this.key : end - start === this.value.length && text.startsWith(this.value, start);
  }

  remember(value: string): string {
    this.value = value;
    this.key = asciiKey(value, 0, value.length);
    return value;
  }

  /** text[start, end), as the string held when it repeats. */
  read(text: string, start: number, end: number): string {
    return this.holds(text, start, end) ? this.value : this.remember(text.slice(start, end));
  }
}
