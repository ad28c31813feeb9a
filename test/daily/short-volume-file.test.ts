import { describe, expect, it } from 'vitest';
import { DailyFileRefusedError, parseShortVolumeFile, tradeDateOfFileName } from '../../src/finra/short-volume-file.js';

const HEADER = 'Date|Symbol|ShortVolume|ShortExemptVolume|TotalVolume|Market';

function file(rows: string[], trailer: string | null = String(rows.length), eol = '\r\n'): string {
  return [HEADER, ...rows, ...(trailer === null ? [] : [trailer])].join(eol) + eol;
}

function refusal(text: string, date = '2021-12-01'): DailyFileRefusedError {
  try {
    parseShortVolumeFile(text, date);
  } catch (err) {
    if (err instanceof DailyFileRefusedError) return err;
    throw err;
  }
  throw new Error('the file was not refused');
}

describe("FINRA's daily short-sale volume file", () => {
  it('reads rows with CRLF or LF line ends alike, and the same rows give the same checksum', () => {
    const rows = ['20211201|AAPL|38173560|208632|65101577|B,Q,N', '20211201|BRK/B|456507|2203|1156509|B,Q,N'];
    const crlf = parseShortVolumeFile(file(rows), '2021-12-01');
    const lf = parseShortVolumeFile(file(rows, '2', '\n'), '2021-12-01');
    expect(crlf.rows).toEqual(lf.rows);
    expect(crlf.checksum).toBe(lf.checksum);
    expect(crlf.file).toBe('CNMSshvol20211201.txt');
    expect(crlf.rows[0]).toEqual({
      symbol: 'AAPL',
      fileSymbol: 'AAPL',
      shortVolume: 38173560,
      shortExemptVolume: 208632,
      totalVolume: 65101577,
      markets: 'B,Q,N',
    });
  });

  it("writes class shares in the weekly data's spelling: BRK/B becomes BRK.B, the file's own kept beside it", () => {
    const [row] = parseShortVolumeFile(file(['20211201|BRK/B|456507|2203|1156509|B,Q,N']), '2021-12-01').rows;
    expect(row).toMatchObject({ symbol: 'BRK.B', fileSymbol: 'BRK/B' });
  });

  it('reads the fractional volumes FINRA writes since March 2026', () => {
    const [row] = parseShortVolumeFile(file(['20260302|AAPL|1234.5678|0.25|98765.4321|B,Q,N']), '2026-03-02').rows;
    expect(row).toMatchObject({ shortVolume: 1234.5678, shortExemptVolume: 0.25, totalVolume: 98765.4321 });
  });

  it('refuses a file cut short: no count line at the end', () => {
    const text = file(['20211201|AAPL|1|0|2|Q', '20211201|AMD|1|0|2|Q'], null);
    expect(refusal(text).reason).toBe('no_trailer');
  });

  it('refuses a file whose count line disagrees with its rows', () => {
    const e = refusal(file(['20211201|AAPL|1|0|2|Q'], '2'));
    expect(e.reason).toBe('trailer_count');
    expect(e.message).toMatch(/says 2 rows but holds 1/);
  });

  it('refuses rows of another day, malformed volumes and a symbol twice, with their line numbers', () => {
    expect(refusal(file(['20211202|AAPL|1|0|2|Q'])).message).toMatch(/line 2: date 20211202, not 20211201/);
    expect(refusal(file(['20211201|AAPL|1e3|0|2|Q'])).message).toMatch(/line 2: volumes/);
    expect(refusal(file(['20211201|AAPL|-1|0|2|Q'])).reason).toBe('bad_row');
    expect(refusal(file(['20211201|AAPL|1|0|2|Q|extra'])).message).toMatch(/7 fields/);
    const twice = refusal(file(['20211201|BRK/B|1|0|2|Q', '20211201|BRK.B|1|0|2|Q']));
    expect(twice.reason).toBe('duplicate_symbol');
    expect(twice.message).toMatch(/line 3: BRK.B is BRK.B again \(first as BRK\/B\)/);
  });

  it('refuses an empty answer and a file that is not this format', () => {
    expect(refusal('').reason).toBe('empty');
    expect(refusal('<html>Access Denied</html>\r\n').reason).toBe('header');
  });

  it('reads the trade date from the file name', () => {
    expect(tradeDateOfFileName('/x/CNMSshvol20211231.txt')).toBe('2021-12-31');
    expect(tradeDateOfFileName('FNSQshvol20211231.txt')).toBeNull();
  });
});
