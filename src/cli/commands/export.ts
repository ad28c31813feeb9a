// `darkpool-radar export --week W [--tier T] --format csv|ndjson|parquet FILE`: the whole week in one
// file, the records of GET /darkpool/weeks/{week}/symbols. CSV and NDJSON are the API's bytes; Parquet
// is written in row groups of ROW_GROUP records, so memory stays flat in the number of symbols.
import { createWriteStream, existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileWriter, ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import type { Config } from '../../config.js';
import { isIsoDate } from '../../domain/calendar.js';
import { isTier, type Tier } from '../../domain/tiers.js';
import { PACKAGE_VERSION } from '../../package-info.js';
import { WeekFiles, type WeekFile } from '../../read/week-file.js';
import type { SymbolWeek } from '../../read/weekly.js';
import { weekFileText } from '../../api/week-file-body.js';
import { parse, UsageError } from '../args.js';
import type { Io } from '../output.js';

const FORMATS = ['csv', 'ndjson', 'parquet'] as const;
type ExportFormat = (typeof FORMATS)[number];
const ROW_GROUP = 10_000;

export async function exportCommand(args: string[], config: Config, io: Io): Promise<number> {
  const { values, positionals } = parse(args, {
    week: { type: 'string' },
    tier: { type: 'string' },
    format: { type: 'string' },
    force: { type: 'boolean' },
  });
  const [file] = positionals;
  if (!file || positionals.length > 1) throw new UsageError('export needs exactly one FILE');
  if (!values.week || !isIsoDate(values.week)) throw new UsageError('export needs --week YYYY-MM-DD (any day of the week)');
  const tier = values.tier?.toUpperCase();
  if (tier !== undefined && !isTier(tier)) throw new UsageError('--tier must be T1, T2 or OTCE');
  const format = (values.format ?? file.split('.').at(-1)) as ExportFormat;
  if (!FORMATS.includes(format)) throw new UsageError('--format must be csv, ndjson or parquet (or FILE ends in one of them)');
  if (existsSync(file) && !values.force) throw new UsageError(`${file} exists; give --force to overwrite it`);

  const week = openWeek(config.DB_PATH, values.week, tier as Tier | undefined);
  try {
    const started = performance.now();
    if (format === 'parquet') await writeParquet(week, file);
    else await pipeline(Readable.from(weekFileText(week, format)), createWriteStream(file));
    const { head } = week;
    io.stdout(
      `wrote ${head.symbols.toLocaleString('en-US')} symbols of ${head.tiers.join(', ')} week ${head.week_start} to ${head.week_ending} ` +
        `to ${file} (${format}), ${((performance.now() - started) / 1000).toFixed(1)}s\n`,
    );
    return 0;
  } finally {
    week.close();
  }
}

function openWeek(path: string, week: string, tier: Tier | undefined): WeekFile {
  try {
    return new WeekFiles(path).open(week, tier);
  } catch (err) {
    // The read model's "not loaded" says which week and where to look: a usage matter here.
    if (err instanceof Error && err.name === 'WeekNotFoundError') throw new UsageError(err.message.replace('/darkpool/weeks', '`status`'));
    throw err;
  }
}

/** Parquet types of the weekly record's fields: dates as DATE, counts as integers, nullable where the API says null. */
const PARQUET_TYPES: Record<keyof SymbolWeek, SchemaElement> = {
  ticker: { name: 'ticker', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  issue_name: { name: 'issue_name', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  tier: { name: 'tier', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  week_start: { name: 'week_start', type: 'INT32', converted_type: 'DATE', repetition_type: 'REQUIRED' },
  week_ending: { name: 'week_ending', type: 'INT32', converted_type: 'DATE', repetition_type: 'REQUIRED' },
  sector: { name: 'sector', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  sector_source: { name: 'sector_source', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  dark_pool_shares: { name: 'dark_pool_shares', type: 'DOUBLE', repetition_type: 'REQUIRED' },
  dark_pool_volume_usd: { name: 'dark_pool_volume_usd', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  dark_pool_trades: { name: 'dark_pool_trades', type: 'INT64', repetition_type: 'REQUIRED' },
  avg_trade_size: { name: 'avg_trade_size', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  ats_venues: { name: 'ats_venues', type: 'INT32', repetition_type: 'OPTIONAL' },
  coverage: { name: 'coverage', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  trend: { name: 'trend', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  change_pct: { name: 'change_pct', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  trend_basis: { name: 'trend_basis', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  trading_days: { name: 'trading_days', type: 'INT32', repetition_type: 'REQUIRED' },
  trend_per_day: { name: 'trend_per_day', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  change_pct_per_day: { name: 'change_pct_per_day', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
};
const COLUMNS = Object.keys(PARQUET_TYPES) as (keyof SymbolWeek)[];

function parquetValue(column: keyof SymbolWeek, value: unknown): unknown {
  if (value === null) return null;
  if (PARQUET_TYPES[column].converted_type === 'DATE') return new Date(`${String(value)}T00:00:00Z`);
  if (PARQUET_TYPES[column].type === 'INT64') return BigInt(value as number);
  return value;
}

async function writeParquet(week: WeekFile, file: string): Promise<void> {
  const writer = new ParquetWriter({
    writer: fileWriter(file),
    schema: [{ name: 'root', num_children: COLUMNS.length }, ...COLUMNS.map((c) => PARQUET_TYPES[c])],
    kvMetadata: [
      { key: 'source', value: 'FINRA OTC Transparency data (https://otctransparency.finra.org/); FINRA is the owner of this data' },
      { key: 'week_start', value: week.head.week_start },
      { key: 'tiers', value: week.head.tiers.join(',') },
    ],
    createdBy: `darkpool-radar ${PACKAGE_VERSION}`,
  });
  let batch: SymbolWeek[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const columnData = COLUMNS.map((c) => ({ name: c, data: batch.map((r) => parquetValue(c, r[c])) }));
    batch = [];
    await writer.write({ columnData, rowGroupSize: ROW_GROUP });
  };
  for (const record of week.records) {
    batch.push(record);
    if (batch.length === ROW_GROUP) await flush();
  }
  await flush();
  await writer.finish();
}
