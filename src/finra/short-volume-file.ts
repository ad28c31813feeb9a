// FINRA's daily short-sale volume file, consolidated NMS (CNMSshvol{YYYYMMDD}.txt): one line per symbol
// with that day's off-exchange volume reported through FINRA's facilities (TotalVolume), its short and
// short-exempt parts, and a last line that counts the rows. Pure: text in, a whole day or a refusal out.
import { createHash } from 'node:crypto';
import { weeklySpellingOfDaily } from '../domain/symbols.js';
import { collect, RefusedError } from '../domain/refusal.js';
import type { DailyFile, DailyRow } from '../domain/daily-file.js';

export const DAILY_COLUMNS = ['Date', 'Symbol', 'ShortVolume', 'ShortExemptVolume', 'TotalVolume', 'Market'] as const;

export type DailyRefusal = 'empty' | 'header' | 'no_trailer' | 'trailer_count' | 'bad_row' | 'duplicate_symbol';

export class DailyFileRefusedError extends RefusedError<DailyRefusal> {
  override name = 'DailyFileRefusedError';
}

export function dailyFileName(tradeDate: string): string {
  return `CNMSshvol${tradeDate.replaceAll('-', '')}.txt`;
}

/** The trade date a file name carries (CNMSshvol20211231.txt -> 2021-12-31), or null. */
export function tradeDateOfFileName(name: string): string | null {
  const m = /CNMSshvol(\d{4})(\d{2})(\d{2})\.txt(?:\.gz)?$/.exec(name);
  return m ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

// Since March 2026 FINRA writes fractional shares ("1234.5"); before, integers only.
const VOLUME = /^\d+(?:\.\d+)?$/;
const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9./^-]{0,19}$/;
const MARKETS = /^(?:[A-Z](?:,[A-Z])*)?$/;

export function parseShortVolumeFile(text: string, tradeDate: string, file = dailyFileName(tradeDate)): DailyFile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw new DailyFileRefusedError('empty', [`${file} is empty`]);

  const header = lines[0]!.split('|').map((c) => c.trim());
  if (header.join('|') !== DAILY_COLUMNS.join('|')) {
    throw new DailyFileRefusedError('header', [`${file} starts with "${lines[0]!.slice(0, 80)}", not ${DAILY_COLUMNS.join('|')}`]);
  }
  // The last line counts the rows; without it the file was cut short somewhere.
  const trailer = lines.length > 1 ? lines[lines.length - 1]!.trim() : '';
  if (!/^\d+$/.test(trailer)) {
    throw new DailyFileRefusedError('no_trailer', [
      `${file} does not end with FINRA's row count (last line "${trailer.slice(0, 80)}"): truncated?`,
    ]);
  }
  const body = lines.slice(1, -1);
  if (Number(trailer) !== body.length) {
    throw new DailyFileRefusedError('trailer_count', [`${file} says ${trailer} rows but holds ${body.length}`]);
  }

  const day = tradeDate.replaceAll('-', '');
  const problems: string[] = [];
  const duplicates: string[] = [];
  const note = (message: string, list = problems) => collect(list, message);
  const seen = new Map<string, string>();
  const rows: DailyRow[] = [];
  body.forEach((line, i) => {
    const lineNo = i + 2;
    const f = line.split('|').map((x) => x.trim());
    if (f.length !== DAILY_COLUMNS.length) return note(`line ${lineNo}: ${f.length} fields, not ${DAILY_COLUMNS.length}`);
    const [date, fileSymbol, short, exempt, total, markets] = f as [string, string, string, string, string, string];
    if (date !== day) return note(`line ${lineNo}: date ${date}, not ${day}`);
    if (!SYMBOL.test(fileSymbol)) return note(`line ${lineNo}: symbol "${fileSymbol.slice(0, 30)}"`);
    if (!VOLUME.test(short) || !VOLUME.test(exempt) || !VOLUME.test(total))
      return note(`line ${lineNo}: volumes "${short}|${exempt}|${total}"`);
    if (!MARKETS.test(markets)) return note(`line ${lineNo}: market "${markets.slice(0, 30)}"`);
    const symbol = weeklySpellingOfDaily(fileSymbol);
    const earlier = seen.get(symbol);
    if (earlier !== undefined) return note(`line ${lineNo}: ${fileSymbol} is ${symbol} again (first as ${earlier})`, duplicates);
    seen.set(symbol, fileSymbol);
    rows.push({ symbol, fileSymbol, shortVolume: Number(short), shortExemptVolume: Number(exempt), totalVolume: Number(total), markets });
  });
  if (problems.length) throw new DailyFileRefusedError('bad_row', problems);
  if (duplicates.length) throw new DailyFileRefusedError('duplicate_symbol', duplicates);

  const hash = createHash('sha256');
  for (const r of rows) hash.update(`${r.fileSymbol}|${r.shortVolume}|${r.shortExemptVolume}|${r.totalVolume}|${r.markets}\n`);
  return { tradeDate, file, rows, checksum: hash.digest('hex') };
}
