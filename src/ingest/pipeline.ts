// The one run loop of every ingest, weekly or daily, from FINRA or from files: the run log, the lock's
// heartbeat, the give-up rule, the status rule and progress. What an item is and how it is fetched,
// checked and published is the caller's (`run.ts` for weeks, `daily.ts` for days).
import type { Logger } from 'pino';
import type { Usage } from '../domain/usage.js';
import type { IngestLock } from '../store/lock.js';
import type { RunKind, RunLog, RunStatus } from '../store/runs.js';

/** After this many weeks (or days) in a row failed to reach FINRA, each after its retries, stop asking. */
export const GIVE_UP_AFTER_FAILURES = 2;

export const SKIPPED = 'skipped: FINRA unreachable in this run';

export interface PipelineContext {
  lock: IngestLock;
  runs: RunLog;
  logger: Logger;
  now: () => Date;
}

export interface ItemResult {
  outcome: string;
  detail: string | null;
}

export interface Pipeline<I, R extends ItemResult> {
  kind: RunKind;
  trigger: string;
  /** 'weeks' or 'days': the run summary's key and the word progress uses. */
  unit: 'weeks' | 'days';
  /** The items of the run, in order; notes for the run log may be added. */
  plan: (notes: string[]) => Promise<I[]>;
  /** Fetches, checks and publishes one item. Data and upstream faults are outcomes, not throws. */
  process: (item: I, index: number, items: readonly I[]) => Promise<R>;
  /** The result of an item not even tried once FINRA is given up on. */
  skipped: (item: I) => R;
  /** Writes one item's outcome to the run log. */
  record: (runId: number, item: I, result: R, at: string) => void;
  /** Outcomes that make a run partial (some) or failed (all). */
  bad: readonly string[];
  /** Every outcome, for the finishing log line's counts. */
  outcomes: readonly string[];
  onProgress?: (event: R & { index: number; count: number }) => void;
  /** The gateway's counters, when the run asks FINRA. */
  usage?: () => Usage;
}

export interface PipelineSummary<R> {
  runId: number;
  status: Exclude<RunStatus, 'running'>;
  results: R[];
  notes: string[];
  /** What the run asked of FINRA; null for file imports. */
  usage: Usage | null;
}

/** One recorded run: plan the work, then each item in turn. A failure anywhere is recorded, then thrown. */
export async function runPipeline<I, R extends ItemResult>(ctx: PipelineContext, p: Pipeline<I, R>): Promise<PipelineSummary<R>> {
  const used = usageMeter(p.usage);
  const stamp = () => ctx.now().toISOString();
  const runId = ctx.runs.start(p.trigger, stamp(), p.kind);
  ctx.lock.heartbeat(ctx.now(), runId);
  const notes: string[] = [];
  const results: R[] = [];
  let unreachable = 0;
  try {
    const items = await p.plan(notes);
    ctx.logger.info({ runId, trigger: p.trigger, [p.unit]: items.length }, `${p.kind} ingest run started`);
    for (const [index, item] of items.entries()) {
      let result: R;
      let progress: string | null | undefined;
      if (unreachable >= GIVE_UP_AFTER_FAILURES) {
        result = p.skipped(item);
        // Every skipped item is in the run log; progress says it once, for all of them.
        progress = unreachable++ === GIVE_UP_AFTER_FAILURES ? skippedWithRest(items.length - index - 1, p.unit) : undefined;
      } else {
        result = await p.process(item, index, items);
        unreachable = result.outcome === 'failed' ? unreachable + 1 : 0;
        progress = result.detail;
      }
      results.push(result);
      p.record(runId, item, result, stamp());
      ctx.lock.heartbeat(ctx.now());
      if (progress !== undefined) p.onProgress?.({ ...result, detail: progress, index: index + 1, count: items.length });
    }
  } catch (err) {
    ctx.runs.finish(runId, 'failed', { [p.unit]: results, notes, error: String(err) }, stamp(), used());
    throw err;
  }
  const bad = results.filter((r) => p.bad.includes(r.outcome)).length;
  const status = bad === 0 ? 'ok' : bad === results.length ? 'failed' : 'partial';
  const cost = used();
  ctx.runs.finish(runId, status, { [p.unit]: results, notes }, stamp(), cost);
  const counts = Object.fromEntries(p.outcomes.map((o) => [o, results.filter((r) => r.outcome === o).length]));
  ctx.logger.info({ runId, status, ...counts, ...cost }, `${p.kind} ingest run finished`);
  return { runId, status, results, notes, usage: cost };
}

/** The one progress line for every item skipped once FINRA is given up on. */
export function skippedWithRest(rest: number, what: 'weeks' | 'days'): string {
  return rest > 0 ? `${SKIPPED} (and the ${rest} ${what} after it)` : SKIPPED;
}

/** A run's cost so far: its gateway's counters now, less what they read when the meter started. */
function usageMeter(usage?: () => Usage): () => Usage | null {
  const before = usage?.();
  return () => {
    if (!usage || !before) return null;
    const now = usage();
    return { requests: now.requests - before.requests, bytes: now.bytes - before.bytes };
  };
}

/** The whole run, planning included, holds the ingest lock (IngestLockedError when another has it). */
export async function withLock<T>(ctx: Pick<PipelineContext, 'lock' | 'now'>, fn: () => Promise<T>): Promise<T> {
  ctx.lock.acquire(ctx.now());
  try {
    return await fn();
  } finally {
    ctx.lock.release();
  }
}
