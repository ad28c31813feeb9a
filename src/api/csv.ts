// CSV for the list endpoints: the same columns as the JSON records, RFC 4180 quoting, nulls empty.
export function toCsv(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const lines = [columns.join(',')];
  for (const row of rows) lines.push(columns.map((c) => cell(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  // A leading = + - @ would be a formula in a spreadsheet; numbers are exempt, text gets a quote.
  const safe = typeof value === 'string' && /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export type Format = 'json' | 'csv';

/**
 * `?format=` wins; otherwise the Accept header decides between JSON (preferred on a tie) and CSV.
 * null when the client accepts neither.
 */
export function negotiate(formatParam: Format | undefined, accept: string | undefined, csvOffered: boolean): Format | null {
  if (formatParam) return formatParam === 'csv' && !csvOffered ? null : formatParam;
  if (!accept) return 'json';
  let json = 0;
  let csv = 0;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    const q = Number(
      params
        .map((p) => p.trim())
        .find((p) => p.startsWith('q='))
        ?.slice(2) ?? 1,
    );
    const weight = Number.isFinite(q) ? q : 0;
    const t = type.trim();
    if (t === 'application/json' || t === 'application/*' || t === 'application/problem+json') json = Math.max(json, weight);
    if (t === 'text/csv' || t === 'text/*') csv = Math.max(csv, weight);
    if (t === '*/*') {
      json = Math.max(json, weight);
      csv = Math.max(csv, weight * 0.999); // */* alone means JSON
    }
  }
  if (!csvOffered) csv = 0;
  if (json === 0 && csv === 0) return null;
  return csv > json ? 'csv' : 'json';
}
