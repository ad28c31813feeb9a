// What the commands print: progress, the one summary line of a run, logs for people or for machines.
import type { DestinationStream } from 'pino';
import type { Usage } from '../domain/usage.js';
import type { DailyRunSummary } from '../ingest/daily.js';
import type { RunSummary } from '../ingest/run.js';

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Where the commands' pino logs go: JSON lines, or a line a person reads (see logSink). */
  logs?: DestinationStream;
  /** Standard error is a terminal (default: as Node sees it): progress with ETA, logs for people. */
  terminal?: boolean;
}

/**
 * JSON log lines for machines (a pipe, a file, --verbose); on a terminal, a warning or an error as
 * one line a person reads, its fields after it.
 */
export function logSink(json: boolean, io: Io): DestinationStream {
  if (json) return { write: (line: string) => io.stderr(line) };
  const names: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };
  const quiet = new Set(['level', 'time', 'pid', 'hostname', 'msg']);
  return {
    write(line: string) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      const fields = Object.entries(entry)
        .filter(([k]) => !quiet.has(k))
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
      io.stderr(`${names[entry.level as number] ?? 'log'}: ${String(entry.msg)}${fields.length ? ` (${fields.join(', ')})` : ''}\n`);
    },
  };
}

/**
 * `[ 3/22]` before each item's line; on a terminal also the share done and, from the pace so far,
 * the time left. A run's first item restarts the clock (the daily and weekly phases are two runs).
 */
export function progressCounter(terminal: boolean): (e: { index: number; count: number }) => string {
  let started = performance.now();
  return (e) => {
    if (e.index === 1) started = performance.now();
    const counter = `[${String(e.index).padStart(String(e.count).length)}/${e.count}]`;
    if (!terminal) return counter;
    const left = ((performance.now() - started) / e.index) * (e.count - e.index);
    return `${counter} ${String(Math.floor((e.index / e.count) * 100)).padStart(3)}% ${e.index < e.count ? `ETA ${formatDuration(left)}` : 'done'}`;
  };
}

/** 0:07, 12:30, 1:02:03. */
export function formatDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const [h, m, sec] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const two = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${two(m)}:${two(sec)}` : `${m}:${two(sec)}`;
}

/** Exit codes: 0 all fine, 2 some weeks or days refused or failed, 1 nothing loaded. */
const EXIT = { ok: 0, partial: 2, failed: 1 } as const;

function usageText(usage: Usage | null): string {
  return usage ? `; ${usage.requests.toLocaleString('en-US')} requests, ${formatBytes(usage.bytes)} from FINRA` : '';
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** The worse of two exit codes: failed (1), then partial (2), then ok (0). */
export function worse(...codes: number[]): number {
  return codes.includes(1) ? 1 : Math.max(...codes);
}

export function printSummary(summary: RunSummary, io: Io): number {
  for (const note of summary.notes) io.stderr(`note: ${note}\n`);
  return printRun(io, {
    title: `run ${summary.runId}`,
    status: summary.status,
    items: summary.weeks,
    unit: 'weeks',
    outcomes: [['published'], ['revised'], ['unchanged'], ['refused'], ['failed'], ['unavailable', 'unavailable from FINRA', true]],
    rows: 'ATS rows',
    usage: summary.usage,
  });
}

export function printDailySummary(summary: DailyRunSummary, io: Io): number {
  return printRun(io, {
    title: `daily run ${summary.runId}`,
    status: summary.status,
    items: summary.days,
    unit: 'days',
    outcomes: [['published'], ['revised'], ['unchanged'], ['not_published', 'not published yet'], ['missing'], ['refused'], ['failed']],
    rows: 'rows',
    usage: summary.usage,
  });
}

/**
 * A run's one line: its status, each outcome's count (an outcome marked `onlyIfAny` is named only when
 * it happened), the rows loaded and what was asked of FINRA; the exit code that goes with it.
 */
function printRun(
  io: Io,
  run: {
    title: string;
    status: keyof typeof EXIT;
    items: readonly { outcome: string; rows: number }[];
    unit: string;
    outcomes: readonly (readonly [outcome: string, words?: string, onlyIfAny?: boolean])[];
    rows: string;
    usage: Usage | null;
  },
): number {
  const count = (o: string) => run.items.filter((i) => i.outcome === o).length;
  const counts = run.outcomes.filter(([o, , onlyIfAny]) => !onlyIfAny || count(o) > 0).map(([o, words]) => `${count(o)} ${words ?? o}`);
  const rows = run.items.reduce((n, i) => n + i.rows, 0);
  io.stdout(
    `${run.title}: ${run.status}; ${run.items.length} ${run.unit}: ${counts.join(', ')}; ${rows.toLocaleString('en-US')} ${run.rows}${usageText(run.usage)}\n`,
  );
  return EXIT[run.status];
}
