// Every symbol's newest weeks of history, serialized once per data revision and kept in memory.
// A 52-week history of a random ticker misses the answer cache (12,300 symbols at 36 KB each are more
// than it holds), and reading, building and encoding it cost about 260 us, seven times what a bare
// route answering the same bytes costs. Kept here, a 52-week answer is sent as it is kept, and
// another length is a few slices joined.
//
// The records are built by Reports.history itself and serialized with JSON.stringify, so an answer
// from here is byte for byte the one Reports gives (test/api/history-memory.test.ts checks every
// symbol). They are built in the background in short slices, recent symbols first, so that answers
// go on meanwhile; a symbol not built yet, or beyond the memory given, is read per request as before.
//
// Bytes, not strings: a string answer was flattened, measured and encoded again on every request
// (0.41x the bare route's server CPU against 0.51x in `npm run bench -- api`), and joining the
// slices of a 52-week answer for each request was a tenth of its CPU more. Holding them costs the
// server's other answers some CPU (bench/RESULTS.md measures how much); HISTORY_MEMORY_MB=0 turns
// this off.
import type { Logger } from 'pino';
import type { Queries } from './queries.js';
import type { Snapshot } from './snapshot.js';
import { DEFAULT_HISTORY_WEEKS, type Reports, type SourceWeek } from './weekly.js';

/** The weeks kept per symbol: the most a history without a range usually asks for. */
export const KEPT_WEEKS = 52;

/**
 * The longest the builder holds the event loop at a time. Each turn of the loop runs one slice, and
 * new clients' requests can come one a turn: with 8 ms slices, 100 requests on new connections
 * right after a start took up to 471 ms, against 137 ms without the builder; with 1 ms, 282 ms
 * (`npm run load` measures it). Building every history takes as long either way (2.7 s here).
 */
const SLICE_MS = 1;

interface KeptHistory {
  /**
   * The whole answer for KEPT_WEEKS, the usual ask, sent as it is; its records (newest first,
   * separated by commas) are the bytes from `recordsStart`.
   */
  answer: Buffer;
  recordsStart: number;
  /** The byte offset after each record, from `recordsStart`. */
  ends: number[];
  source: SourceWeeks;
}

/** The weeks of a history as `source.weeks` lists them, shared by every symbol with the same weeks. */
interface SourceWeeks {
  /** Each week's JSON, newest first. */
  weeks: string[];
  /** The answer's end from `],"source":` with every week: what most answers end with. */
  whole: Buffer;
}

export interface HistoryMemoryOptions {
  maxBytes: number;
  logger: Logger;
  /**
   * The dataset revision a request is answered for, as the answer cache reads it (at most once a
   * second): what is kept answers only while it is of that revision, and another process's publish
   * is seen as soon as the answer cache sees it, without a transaction per answer.
   */
  revision: () => number;
}

export class HistoryMemory {
  private kept = new Map<string, KeptHistory>();
  private bytes = 0;
  /** Moves whenever the data changes: a slice of an older generation stops. */
  private generation = 0;
  private symbols: string[] | null = null;
  /** The dataset revision of what is kept (-1 before the first slice of a fill). */
  private keptRevision = -1;
  private next = 0;
  /** `source` of this revision around its weeks: `{...,"weeks":[` and `],"freshness":...}`. */
  private sourceEnds: [string, string] | null = null;
  private readonly sourceLists = new Map<string, SourceWeeks>();
  private timer: NodeJS.Immediate | null = null;
  private running = false;
  private startedAt = 0;
  private waiting: (() => void)[] = [];

  constructor(
    private readonly reports: Reports,
    private readonly queries: Queries,
    private readonly snapshot: Snapshot,
    private readonly options: HistoryMemoryOptions,
  ) {
    snapshot.onChange(() => this.forget());
  }

  /** Starts filling (when the server is ready); a data change starts again. */
  start(): void {
    if (this.running || this.options.maxBytes <= 0) return;
    this.running = true;
    this.forget();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearImmediate(this.timer);
    this.timer = null;
    this.release();
  }

  /** Resolves once filling rests: every symbol of the current data kept, or the memory full, or stopped. */
  filled(): Promise<void> {
    return this.timer === null ? Promise.resolve() : new Promise((resolve) => this.waiting.push(resolve));
  }

  /**
   * The JSON of `Reports.history(ticker, weeks)` when it is kept, else null. `ticker` as the data spells
   * it: any other spelling goes the usual way, which resolves it.
   */
  json(ticker: string, weeks = DEFAULT_HISTORY_WEEKS): Buffer | null {
    if (weeks > KEPT_WEEKS || this.kept.size === 0 || this.keptRevision !== this.options.revision()) return null;
    // No read transaction: a publish in this process has emptied the memory already (forget), and
    // another process's moves the revision. The usual way then reads the store, which sees the
    // change and starts a new fill.
    const kept = this.kept.get(ticker);
    if (!kept || !this.sourceEnds) return null;
    if (weeks === KEPT_WEEKS) return kept.answer;
    const shown = Math.min(weeks, kept.ends.length);
    const recordsEnd = kept.recordsStart + (shown === 0 ? 0 : kept.ends[shown - 1]!);
    return Buffer.concat([
      Buffer.from(answerStart(ticker, weeks)),
      kept.answer.subarray(kept.recordsStart, recordsEnd),
      shown === kept.ends.length ? kept.source.whole : Buffer.from(this.answerEnd(kept.source.weeks.slice(0, shown))),
    ]);
  }

  /** What is kept now. */
  status(): { symbols: number; bytes: number } {
    return { symbols: this.kept.size, bytes: this.bytes };
  }

  private forget(): void {
    this.generation++;
    this.kept = new Map();
    this.bytes = 0;
    this.symbols = null;
    this.keptRevision = -1;
    this.next = 0;
    this.sourceEnds = null;
    this.sourceLists.clear();
    if (!this.running) return;
    if (this.timer) clearImmediate(this.timer);
    const generation = this.generation;
    this.startedAt = performance.now();
    this.timer = setImmediate(() => this.fill(generation));
  }

  private fill(generation: number): void {
    this.timer = null;
    if (!this.running || generation !== this.generation) return;
    const deadline = performance.now() + SLICE_MS;
    let done = false;
    // One read per slice: the slice sees one snapshot, and a change between slices starts again (forget).
    this.snapshot.read(() => {
      if (generation !== this.generation) return;
      if (this.symbols === null) {
        this.symbols = this.queries.symbolsRecentFirst();
        this.keptRevision = this.queries.datasetRevision().revision;
      }
      const symbols = this.symbols;
      while (this.next < symbols.length && performance.now() < deadline) {
        if (this.bytes >= this.options.maxBytes) break;
        this.keep(symbols[this.next++]!);
      }
      done = this.next >= symbols.length || this.bytes >= this.options.maxBytes;
    });
    if (generation !== this.generation) return; // forget() has scheduled the new generation
    if (!done) {
      this.timer = setImmediate(() => this.fill(generation));
      return;
    }
    const total = this.symbols?.length ?? 0;
    const { symbols, bytes } = this.status();
    const fields = { symbols, of: total, mb: Math.round(bytes / 1e5) / 10 };
    const ms = Math.round(performance.now() - this.startedAt);
    if (symbols < total) {
      this.options.logger.warn(
        { ...fields, ms },
        `histories kept in memory for ${symbols} of ${total} symbols: HISTORY_MEMORY_MB is full, the others are read per request`,
      );
    } else this.options.logger.info({ ...fields, ms }, 'histories kept in memory');
    this.release();
  }

  private keep(symbol: string): void {
    let history: ReturnType<Reports['history']>;
    try {
      history = this.reports.history(symbol, KEPT_WEEKS);
    } catch {
      return; // answered the usual way, with its error
    }
    // `source` is the same around its weeks for every history of a revision: its two ends, once.
    this.sourceEnds ??= splitAt(JSON.stringify({ ...history.source, weeks: [] }), '"weeks":[]');
    const records: string[] = [];
    const ends: number[] = [];
    let offset = 0;
    for (const record of history.data) {
      const json = JSON.stringify(record);
      offset += Buffer.byteLength(json) + (records.length > 0 ? 1 : 0);
      records.push(json);
      ends.push(offset);
    }
    // One tier per symbol: source.weeks is newest first, as the records are.
    if (history.source.weeks.length !== records.length) return;
    const source = this.sourceOf(history.source.weeks);
    const start = answerStart(symbol, KEPT_WEEKS);
    const answer = Buffer.concat([Buffer.from(start), Buffer.from(records.join(',')), source.whole]);
    this.kept.set(symbol, { answer, recordsStart: Buffer.byteLength(start), ends, source });
    this.bytes += answer.byteLength + 16 * ends.length + symbol.length;
  }

  /** The shared SourceWeeks of these weeks. */
  private sourceOf(weeks: SourceWeek[]): SourceWeeks {
    const key = weeks.map((w) => `${w.tier} ${w.week_start}`).join();
    let list = this.sourceLists.get(key);
    if (!list) {
      const json = weeks.map((w) => JSON.stringify(w));
      list = { weeks: json, whole: Buffer.from(this.answerEnd(json)) };
      this.sourceLists.set(key, list);
      this.bytes += list.whole.byteLength;
    }
    return list;
  }

  /** The answer from the end of its records: `],"source":{...,"weeks":[these],...}}`. */
  private answerEnd(weeks: string[]): string {
    const [head, tail] = this.sourceEnds!;
    return `],"source":${head}${weeks.join(',')}${tail}}`;
  }

  private release(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}

/** The answer up to its first record. */
const answerStart = (ticker: string, weeks: number) => `{"ticker":${JSON.stringify(ticker)},"weeks":${weeks},"data":[`;

/** `text` cut inside `marker` before its last character: `{..."weeks":[` and `],...}`. */
function splitAt(text: string, marker: string): [string, string] {
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`${marker} not found`);
  return [text.slice(0, at + marker.length - 1), text.slice(at + marker.length - 1)];
}
