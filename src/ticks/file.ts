// Tape analysis of a file. A plain CSV file (ours or Massive's) is cut at line ends into parts, one
// per thread; each part is read with the file's header, and the parts' tapes are merged in file
// order, so the report is the one a single pass gives. Anything that cannot be cut (gzip, JSON,
// standard input) is read as one stream.
import { closeSync, createReadStream, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { createGunzip } from 'node:zlib';
import type { CandleBook, SymbolTape } from './analyze.js';
import { CANDLE_NUMBERS } from './bar.js';
import { AnalyzedTape, newAnalyzer, readTape, type TapeOptions } from './index.js';
import {
  emptySummary,
  MalformedRowError,
  MAX_REPORTED,
  readTrades,
  TradeFormatError,
  type MalformedRow,
  type ParseSummary,
} from './parse.js';

/** With `threads: 'auto'`, a file below this is read on one thread: starting a worker costs more than it saves. */
const AUTO_MIN_BYTES = 32 * 2 ** 20;
const MAX_AUTO_THREADS = 8;
const PROBE_BYTES = 64 * 1024;
/**
 * What the first part holds more than the others: what this thread reads while a worker starts
 * (30 to 60 ms here) and while the worker's code is still cold. With 2 MB the worker finished
 * 55 ms after this thread on 881,720 trades; 6 MB was measured 5% faster end to end there, and
 * 2% faster on 4 million trades.
 */
const WORKER_START_BYTES = 6 * 2 ** 20;
/**
 * Each chunk read becomes one string. Above 128 KB V8 keeps a string in its large-object space,
 * freed only by a full collection: with 1 MB chunks tens of them waited there, and the peak memory
 * grew with the file (141 MB on 4 million trades, 104 MB on 1 million); at 64 KB it is 80 MB for
 * either, and the analysis 1% slower (`npm run bench -- ticks`).
 */
export const READ_CHUNK_BYTES = 64 * 1024;

export interface FileTapeOptions extends Omit<TapeOptions, 'onProgress'> {
  /** Threads to read the file on: a number, or `auto` (the cores, for files large enough). */
  threads?: number | 'auto';
  /** Called now and then with the lines read so far and the share of the file read. */
  onProgress?: (lines: number, shareRead: number) => void;
}

/** Bytes [start, end) of the file: whole lines. */
export interface FilePart {
  start: number;
  end: number;
}

export interface FilePlan {
  /** The header line, line end included: every part after the first is read after a copy of it. */
  header: Uint8Array;
  parts: FilePart[];
}

/** A part to analyse, as plain data (it goes to a worker thread). */
export interface PartJob {
  path: string;
  part: FilePart;
  header: Uint8Array | null;
  options: Omit<TapeOptions, 'onProgress' | 'crossCheck'>;
}

export interface PartResult {
  /** Counted with the part's copy of the header as its line 1. */
  summary: ParseSummary | null;
  tapes: SymbolTape[];
  /** With `strict`: the row that stopped the part, numbered within it. */
  stoppedAt: MalformedRow | null;
}

type PartRunner = (job: PartJob, onProgress: (lines: number, bytesRead: number) => void) => Promise<PartResult>;

export async function readTapeFile(path: string, options: FileTapeOptions = {}): Promise<AnalyzedTape> {
  const { threads = 'auto', onProgress, crossCheck = null, ...tapeOptions } = options;
  const auto = threads === 'auto';
  const count = auto ? Math.min(availableParallelism(), MAX_AUTO_THREADS) : threads;
  const size = statSync(path).size;
  const plan = count > 1 && (!auto || size >= AUTO_MIN_BYTES) ? planParts(path, count) : null;
  if (!plan) {
    const source = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
    return readTape(await ungzipped(source), {
      ...tapeOptions,
      crossCheck,
      onProgress: onProgress && ((lines) => onProgress(lines, size ? source.bytesRead / size : 0)),
    });
  }

  const progress = plan.parts.map(() => ({ lines: 0, bytes: 0 }));
  const report = (i: number) => (lines: number, bytes: number) => {
    progress[i] = { lines, bytes };
    onProgress?.(
      progress.reduce((n, p) => n + p.lines, 0),
      progress.reduce((n, p) => n + p.bytes, 0) / size,
    );
  };
  // One part per thread: finer parts, handed out as threads came free, measured slower on the bench's files.
  const runPart = partRunner();
  const settled = await Promise.allSettled(
    plan.parts.map((part, i) => {
      const job: PartJob = { path, part, header: i === 0 ? null : plan.header, options: tapeOptions };
      // The first part is read on this thread while the workers start.
      return i === 0 ? analyzePart(job, report(i)) : runPart(job, report(i));
    }),
  );
  const failed = settled.find((outcome) => outcome.status === 'rejected');
  if (failed) throw failed.reason;
  const results = settled.map((outcome) => (outcome as PromiseFulfilledResult<PartResult>).value);
  const { analyzer, summary } = mergeParts(results, tapeOptions);
  return new AnalyzedTape(analyzer, summary, crossCheck);
}

/**
 * Where to cut the file into up to `parts` parts of about the same size, each starting at a line
 * start; null when it cannot be cut (gzip, JSON, no line end in the first 64 KB, no rows).
 */
export function planParts(path: string, parts: number): FilePlan | null {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = readAt(fd, 0, PROBE_BYTES);
    if (head[0] === 0x1f && head[1] === 0x8b) return null;
    const headerEnd = head.indexOf(0x0a) + 1;
    if (headerEnd === 0) return null;
    const first = head
      .subarray(0, headerEnd)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trim();
    if (first === '' || first.startsWith('{') || first.startsWith('[')) return null;
    const count = Math.min(parts, size - headerEnd);
    if (count < 2) return null;
    // The first part is read on this thread at once, the others once their worker has started.
    const lead = Math.min(WORKER_START_BYTES, Math.floor((size - headerEnd) / count / 2));
    const cuts = [0];
    for (let i = 1; i < count; i++) {
      const cut = lineStartFrom(fd, headerEnd + lead + Math.round((i * (size - headerEnd - lead)) / count), size);
      if (cut > cuts.at(-1)! && cut < size) cuts.push(cut);
    }
    if (cuts.length < 2) return null;
    cuts.push(size);
    return { header: head.subarray(0, headerEnd), parts: cuts.slice(1).map((end, i) => ({ start: cuts[i]!, end })) };
  } finally {
    closeSync(fd);
  }
}

/** Reads one part of the file (after its copy of the header) into an analyzer of its own. */
export async function analyzePart(job: PartJob, onProgress?: (lines: number, bytesRead: number) => void): Promise<PartResult> {
  const stream = createReadStream(job.path, { start: job.part.start, end: job.part.end - 1, highWaterMark: READ_CHUNK_BYTES });
  const input = job.header ? afterHeader(job.header, stream) : stream;
  const analyzer = newAnalyzer(job.options);
  try {
    const summary = await readTrades(input, (t) => analyzer.add(t), {
      ...job.options,
      onProgress: onProgress && ((lines) => onProgress(lines, stream.bytesRead)),
    });
    return { summary, tapes: [...analyzer.symbols.values()], stoppedAt: null };
  } catch (err) {
    if (err instanceof MalformedRowError) return { summary: null, tapes: [], stoppedAt: err.row };
    throw err;
  } finally {
    stream.destroy();
  }
}

/** The parts in file order: their counts added, their rows renumbered in the file, their tapes merged. */
function mergeParts(parts: PartResult[], options: PartJob['options']) {
  const analyzer = newAnalyzer(options);
  const summary = emptySummary();
  for (const [i, part] of parts.entries()) {
    // A later part's line 1 is its copy of the header; its line 2 follows the lines before it.
    const offset = i === 0 ? 0 : summary.lines - 1;
    if (part.stoppedAt) throw new MalformedRowError({ ...part.stoppedAt, line: part.stoppedAt.line + offset });
    const s = part.summary!;
    summary.format = s.format;
    summary.layout ??= s.layout;
    summary.lines += i === 0 ? s.lines : s.lines - 1;
    summary.trades += s.trades;
    summary.malformed += s.malformed;
    summary.superseded += s.superseded;
    summary.otherSymbols += s.otherSymbols;
    for (const row of s.malformedRows) {
      if (summary.malformedRows.length < MAX_REPORTED) summary.malformedRows.push({ ...row, line: row.line + offset });
    }
    analyzer.absorb(part.tapes);
  }
  return { analyzer, summary };
}

/** Parts after the first run on worker threads; from the TypeScript sources (the tests) there is no compiled worker, and they share this thread. */
function partRunner(): PartRunner {
  const script = new URL('./file-worker.js', import.meta.url);
  if (existsSync(script)) return (job, onProgress) => runOnWorker(script, job, onProgress);
  // As a worker's result would arrive: moved, then cloned as a message is.
  return async (job, onProgress) => {
    const { result, transfer } = moving(await analyzePart(job, onProgress));
    return structuredClone(result, { transfer });
  };
}

/** A part on a worker thread of its own; its errors come back as what they were (the input's, or the worker's). */
function runOnWorker(script: URL, job: PartJob, onProgress: (lines: number, bytesRead: number) => void): Promise<PartResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: job });
    let result: PartResult | null = null;
    worker.on('message', (message: WorkerMessage) => {
      if ('progress' in message) onProgress(message.progress.lines, message.progress.bytesRead);
      else if ('result' in message) result = message.result;
      else
        reject(message.error.name === 'TradeFormatError' ? new TradeFormatError(message.error.message) : new Error(message.error.message));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => (result ? resolve(result) : reject(new Error(`the tape worker stopped (exit code ${code})`))));
  });
}

export type WorkerMessage =
  { progress: { lines: number; bytesRead: number } } | { result: PartResult } | { error: { name: string; message: string } };

/**
 * A part's result ready to cross threads, and the memory that moves with it: every bar's numbers
 * in one Float64Array (each book's values a view of it), moved without a copy. Copied as arrays,
 * the bars of 2,000 symbols took longer to cross than to read.
 */
export function moving(result: PartResult): { result: PartResult; transfer: ArrayBuffer[] } {
  const used = (book: CandleBook) => book.slots.size * CANDLE_NUMBERS;
  const numbers = new Float64Array(result.tapes.reduce((n, tape) => n + tape.candles.reduce((m, book) => m + used(book), 0), 0));
  let at = 0;
  const tapes = result.tapes.map((tape) => ({
    ...tape,
    candles: tape.candles.map((book) => {
      const start = at;
      for (let i = 0; i < used(book); i++) numbers[at++] = book.values[i]!;
      return { slots: book.slots, values: numbers.subarray(start, at) };
    }),
  }));
  return { result: { ...result, tapes }, transfer: [numbers.buffer] };
}

/** The stream as is, or decompressed when it starts with gzip's magic bytes (1f 8b). */
export async function ungzipped(source: Readable): Promise<AsyncIterable<Buffer>> {
  const chunks = source[Symbol.asyncIterator]();
  const first = await chunks.next();
  if (first.done) return Readable.from([]);
  const head = first.value as Buffer;
  async function* whole() {
    yield head;
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value as Buffer;
  }
  if (!(head[0] === 0x1f && head[1] === 0x8b)) return whole();
  return Readable.from(whole()).pipe(createGunzip());
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  return buffer.subarray(0, readSync(fd, buffer, 0, length, position));
}

/** The first line start at or after `position` (the end of the file if none). */
function lineStartFrom(fd: number, position: number, size: number): number {
  for (let at = position - 1; at < size; at += PROBE_BYTES) {
    const newline = readAt(fd, at, PROBE_BYTES).indexOf(0x0a);
    if (newline !== -1) return at + newline + 1;
  }
  return size;
}

async function* afterHeader(header: Uint8Array, rest: AsyncIterable<Buffer>) {
  yield Buffer.from(header);
  yield* rest;
}
