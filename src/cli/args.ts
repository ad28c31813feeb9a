// Flags, files and values of the command line: every mistake is a UsageError, said in one sentence.
import { accessSync, constants, statSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { Config } from '../config.js';
import { isTier, TIERS, type Tier } from '../domain/tiers.js';

export class UsageError extends Error {}

/** An input file that can be read, or an error in one sentence naming it and the cause. */
export function inputFile(path: string): string {
  let stats;
  try {
    stats = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code ?? err)}`);
  }
  if (stats.isDirectory()) throw new Error(`${path}: is a folder, not a file`);
  try {
    accessSync(path, constants.R_OK);
  } catch {
    throw new Error(`${path}: permission denied`);
  }
  return path;
}

/**
 * Commands print their own progress; logs stay at warn unless LOG_LEVEL asks for more. The
 * configuration's schema is loaded only by the commands that need it (it costs 160 ms of start-up).
 */
export async function cliConfig(env: Record<string, string | undefined>): Promise<Config> {
  const { loadConfig } = await import('../config.js');
  return loadConfig({ ...env, LOG_LEVEL: env.LOG_LEVEL || 'warn' });
}

export function parse<const O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true as const });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function parseTiers(value: string | undefined): Tier[] {
  if (!value) return [...TIERS];
  const tiers = value.split(',').map((t) => t.trim().toUpperCase());
  const bad = tiers.filter((t) => !isTier(t));
  if (bad.length) throw new UsageError(`--tiers: unknown tier ${bad.join(', ')} (use T1, T2, OTCE)`);
  return tiers as Tier[];
}

export function positiveNumber(name: string, value: string | undefined, fallback: number, integer = false): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    throw new UsageError(`--${name} must be a positive ${integer ? 'integer' : 'number'}`);
  return n;
}

/** FINRA's name for a daily short-sale volume file, gzipped or not. */
export const isDailyFile = (path: string) => /^CNMSshvol\d{8}\.txt(\.gz)?$/.test(basename(path));
