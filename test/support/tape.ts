// The tape report as objects, straight from an input or a file: what most tape tests compare.
import { readTapeFile, type FileTapeOptions } from '../../src/ticks/file.js';
import { readTape, type TapeOptions } from '../../src/ticks/index.js';
import type { TapeReport } from '../../src/ticks/report.js';

export async function analyzeTape(
  input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  options: TapeOptions = {},
): Promise<TapeReport> {
  return (await readTape(input, options)).report();
}

export async function analyzeTapeFile(path: string, options: FileTapeOptions = {}): Promise<TapeReport> {
  return (await readTapeFile(path, options)).report();
}
