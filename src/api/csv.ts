// CSV for the list endpoints: the same columns as the JSON records, RFC 4180 quoting, nulls empty.
export function toCsv(columns: readonly string[], rows: Iterable<Record<string, unknown>>): string {
  return [...csvChunks(columns, rows)].join('');
}

/** toCsv's text in chunks of 64 KB or so (see ticks/json-text.ts): a whole market's candles are more than one string holds. */
export function* csvChunks(columns: readonly string[], rows: Iterable<Record<string, unknown>>): Generator<string> {
  let chunk = `${columns.join(',')}\r\n`;
  for (const row of rows) {
    chunk += `${csvLine(columns, row)}\r\n`;
    if (chunk.length >= 1 << 16) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** One record's line, without its line break. */
export function csvLine(columns: readonly string[], row: Record<string, unknown>): string {
  return columns.map((c) => cell(row[c])).join(',');
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  // A leading = + - @ would be a formula in a spreadsheet; numbers are exempt, text gets a quote.
  const safe = typeof value === 'string' && /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export type Format = 'json' | 'csv' | 'ndjson';
export const FORMATS: readonly Format[] = ['json', 'csv', 'ndjson'];

/**
 * `?format=` wins; otherwise the Accept header decides among the formats offered (JSON, always offered,
 * is preferred on a tie). null when the client accepts none of them.
 */
export function negotiate(formatParam: Format | undefined, accept: string | undefined, offered: ReadonlySet<Format>): Format | null {
  if (formatParam) return offered.has(formatParam) ? formatParam : null;
  if (!accept) return 'json';
  const weight: Record<Format, number> = { json: 0, csv: 0, ndjson: 0 };
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    const q = Number(
      params
        .map((p) => p.trim())
        .find((p) => p.startsWith('q='))
        ?.slice(2) ?? 1,
    );
    const w = Number.isFinite(q) ? q : 0;
    const t = type.trim();
    if (t === 'application/json' || t === 'application/*' || t === 'application/problem+json') weight.json = Math.max(weight.json, w);
    if (t === 'text/csv' || t === 'text/*') weight.csv = Math.max(weight.csv, w);
    if (t === 'application/x-ndjson' || t === 'application/ndjson') weight.ndjson = Math.max(weight.ndjson, w);
    if (t === '*/*') {
      weight.json = Math.max(weight.json, w);
      weight.csv = Math.max(weight.csv, w * 0.999); // */* alone means JSON
    }
  }
  let best: Format | null = null;
  for (const f of FORMATS) if (offered.has(f) && weight[f] > 0 && (best === null || weight[f] > weight[best])) best = f;
  return best;
}
