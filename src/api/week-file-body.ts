// The week file's bytes in each format, made as the records are read: CSV (the weekly record's
// columns), NDJSON (one weekly record per line) or one JSON document whose `data` comes last, so that
// its head can be written before the first record is read. Chunks of about 64 KiB: few writes, flat memory.
import type { WeekFile } from '../read/week-file.js';
import { csvLine, type Format } from './csv.js';
import { symbolWeekSchema } from './schemas.js';

export const WEEK_FILE_COLUMNS = Object.keys(symbolWeekSchema.shape);
const CHUNK = 64 * 1024;

export const WEEK_FILE_TYPES: Record<Format, { type: string; extension: string }> = {
  json: { type: 'application/json; charset=utf-8', extension: 'json' },
  csv: { type: 'text/csv; charset=utf-8', extension: 'csv' },
  ndjson: { type: 'application/x-ndjson; charset=utf-8', extension: 'ndjson' },
};

export function* weekFileText(file: WeekFile, format: Format): Generator<string, void, undefined> {
  let chunk =
    format === 'csv' ? `${WEEK_FILE_COLUMNS.join(',')}\r\n` : format === 'json' ? `${JSON.stringify(file.head).slice(0, -1)},"data":[` : '';
  let first = true;
  for (const record of file.records) {
    if (format === 'csv') chunk += `${csvLine(WEEK_FILE_COLUMNS, record as unknown as Record<string, unknown>)}\r\n`;
    else if (format === 'ndjson') chunk += `${JSON.stringify(record)}\n`;
    else chunk += `${first ? '' : ','}${JSON.stringify(record)}`;
    first = false;
    if (chunk.length >= CHUNK) {
      yield chunk;
      chunk = '';
    }
  }
  if (format === 'json') chunk += ']}';
  if (chunk) yield chunk;
}

/** The file name a download is saved under: darkpool_2025-11-23_T1-T2.csv */
export function weekFileName(file: WeekFile, format: Format): string {
  return `darkpool_${file.head.week_ending}_${file.head.tiers.join('-')}.${WEEK_FILE_TYPES[format].extension}`;
}
