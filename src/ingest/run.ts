// An ingest run: plan -> fetch -> build (validate, reconcile, aggregate) -> publish, one week at a
// time, with every outcome recorded. API pulls and file imports share everything after "fetch".
import type { Logger } from 'pino';
import { addDays, todayUtc } from '../domain/calendar.js';
import { DATASETS, FinraClient, IncompleteDataError, type Dataset, type Partition } from '../finra/client.js';
import type { Usage } from '../domain/usage.js';
import { UpstreamHttpError, UpstreamNetworkError } from '../finra/http.js';
import { RowValidationError, SUMMARY_TYPES } from '../finra/schema.js';
import { TIERS, type Tier } from '../domain/tiers.js';
import type { IngestLock } from '../store/lock.js';
import type { Publisher } from '../store/publish.js';
import { WEEK_OUTCOMES, type RunLog, type RunStatus, type WeekOutcome } from '../store/runs.js';
import type { WeekStatus } from '../store/status.js';
import { buildWeek, WeekRefusedError, type WeekRows } from './build-week.js';
import { FileFormatError, readFinraFile, type FileOptions } from './files.js';
import { runPipeline, SKIPPED, withLock } from './pipeline.js';
import { planWeeks } from './plan.js';

/** FINRA serves the week in neither dataset (any more): nothing to load, nothing wrong with the data. */
export class WeekUnavailableError extends Error {
  override name = 'WeekUnavailableError';
}

export interface IngestContext {
  publisher: Publisher;
  lock: IngestLock;
  runs: RunLog;
  weeks: WeekStatus;
  logger: Logger;
  now: () => Date;
  onProgress?: (event: WeekResult & { index: number; count: number }) => void;
}

export interface WeekResult {
  weekStart: string;
  tier: Tier;
  outcome: WeekOutcome;
  detail: string | null;
  rows: number;
  symbols: number;
  ms: number;
}

export interface RunSummary {
  runId: number;
  status: Exclude<RunStatus, 'running'>;
  weeks: WeekResult[];
  notes: string[];
  /** What the run asked of FINRA; null for file imports. */
  usage: Usage | null;
}

interface WorkItem {
  weekStart: string;
  tier: Tier;
  source: string;
  load: () => Promise<WeekRows & { source?: string }>;
}

export interface FinraIngestOptions {
  trigger: string;
  tiers?: readonly Tier[];
  weeks?: number;
  signal?: AbortSignal;
}

/** Pulls FINRA's newest published weeks into the store. */
export async function ingestFromFinra(ctx: IngestContext, client: FinraClient, options: FinraIngestOptions): Promise<RunSummary> {
  let changesKnown = false;
  const summary = await withLock(ctx, () =>
    processWeeks(
      ctx,
      options.trigger,
      async (notes) => {
        const planned = await planFromFinra(ctx, client, options, notes);
        changesKnown = planned.changesKnown;
        return planned.items;
      },
      () => client.usage(),
    ),
  );
  // FINRA's changes count as loaded only when every week of the run did: a refused revision is asked for again.
  if (changesKnown && summary.weeks.every((w) => w.outcome === 'published' || w.outcome === 'revised' || w.outcome === 'unchanged')) {
    ctx.weeks.markChangesLoaded(todayUtc(ctx.now()));
  }
  return summary;
}

async function planFromFinra(
  ctx: IngestContext,
  client: FinraClient,
  options: FinraIngestOptions,
  notes: string[],
): Promise<{ items: WorkItem[]; changesKnown: boolean }> {
  const failed = (what: string, err: unknown) => {
    if (options.signal?.aborted) throw err;
    const why = err instanceof Error ? err.message : String(err);
    ctx.logger.warn({ err: why }, `FINRA's ${what} failed`);
    return why;
  };
  const skippedNote = (what: string, skipped: Record<string, number>) => {
    const list = Object.entries(skipped)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([tier, n]) => `${tier} (${n} week${n === 1 ? '' : 's'})`);
    if (list.length) notes.push(`${what} under tiers not loaded, skipped: ${list.join(', ')}`);
  };
  let partitions: Partition[] | null = null;
  try {
    const listed = await client.partitions(options.signal);
    partitions = listed.partitions;
    skippedNote('FINRA partitions', listed.skipped);
  } catch (err) {
    notes.push(`partitions endpoint failed (${failed('partitions endpoint', err)}); weeks planned from FINRA's publication calendar`);
  }
  const tiers = options.tiers ?? TIERS;
  const since = options.weeks === undefined ? ctx.weeks.changesCheckedThrough() : null;
  let changed: Partition[] | null = null;
  if (since) {
    try {
      // GREATER than the day before: changes dated `since` itself are asked for again.
      const found = await client.changedSince(addDays(since, -1), options.signal);
      changed = found.partitions;
      skippedNote('changed weeks', found.skipped);
    } catch (err) {
      notes.push(`changed-weeks query failed (${failed('changed-weeks query', err)}); the newest weeks re-pulled instead`);
    }
  }
  const pick = (f: (t: Tier) => string | undefined) => Object.fromEntries(tiers.map((t) => [t, f(t)]).filter(([, w]) => w));
  const plan = planWeeks({
    partitions,
    changed,
    tiers,
    today: todayUtc(ctx.now()),
    newestStored: pick((t) => ctx.weeks.newestWeek(t)),
    oldestStored: pick((t) => ctx.weeks.oldestWeek(t)),
    weeks: options.weeks,
  });
  const changedCount = plan.filter((p) => p.reason === 'changed').length;
  if (changed)
    ctx.logger.info({ since, changedWeeks: changed.length, replanned: changedCount }, 'FINRA weeks changed since our newest update');
  const items = plan.map(({ weekStart, tier, dataset }) => ({
    weekStart,
    tier,
    source: sourceOf(dataset),
    load: () => loadWeek(client, weekStart, tier, dataset, options.signal),
  }));
  return { items, changesKnown: changed !== null };
}

const sourceOf = (dataset: Dataset) => (dataset === DATASETS.historic ? 'api:historic' : 'api');

/**
 * The four summary types of a week in one paged sequence (fewer requests than one each), from the
 * dataset the plan expects, else from the other one: FINRA's retention is documented (12 months live,
 * 4 years historic) but was seen longer, so neither list is taken as final. A week that neither
 * dataset serves is unavailable.
 */
async function loadWeek(client: FinraClient, weekStart: string, tier: Tier, dataset: Dataset, signal?: AbortSignal) {
  const summaryTypes = [SUMMARY_TYPES.atsFirm, SUMMARY_TYPES.atsSymbol, SUMMARY_TYPES.otcSymbol, SUMMARY_TYPES.otcFirm];
  let from = dataset;
  let rows = await client.weekRows({ weekStart, tier, summaryTypes, dataset: from }, signal);
  if (rows.length === 0) {
    from = from === DATASETS.current ? DATASETS.historic : DATASETS.current;
    rows = await client.weekRows({ weekStart, tier, summaryTypes, dataset: from }, signal);
  }
  if (rows.length === 0) throw new WeekUnavailableError(`FINRA serves no rows for the week in ${DATASETS.current} or ${DATASETS.historic}`);
  const of = (type: string) => rows.filter((r) => r.summaryTypeCode === type);
  return {
    weekStart,
    tier,
    firm: of(SUMMARY_TYPES.atsFirm),
    symbolTotals: of(SUMMARY_TYPES.atsSymbol),
    nonAts: of(SUMMARY_TYPES.otcSymbol),
    nonAtsFirm: of(SUMMARY_TYPES.otcFirm),
    source: sourceOf(from),
  };
}

/** Loads FINRA files (website exports, saved API JSON) through the same build and publish path. */
export function importFiles(ctx: IngestContext, paths: string[], options: FileOptions): Promise<RunSummary> {
  const dated = { today: todayUtc(ctx.now()), ...options };
  return withLock(ctx, () => processWeeks(ctx, 'import', (notes) => planFromFiles(paths, dated, notes)));
}

async function planFromFiles(paths: string[], options: FileOptions, notes: string[]): Promise<WorkItem[]> {
  const merged = new Map<string, { rows: WeekRows; files: string[] }>();
  for (const path of paths) {
    const parsed = await readFinraFile(path, options);
    notes.push(...parsed.notes.map((n) => `${parsed.file}: ${n}`));
    for (const week of parsed.weeks) {
      // Several files of one week (firm rows in one, totals in another) make one week.
      const key = `${week.weekStart} ${week.tier}`;
      const entry = merged.get(key);
      if (!entry) {
        merged.set(key, { rows: week, files: [parsed.file] });
        continue;
      }
      entry.files.push(parsed.file);
      entry.rows.firm.push(...week.firm);
      entry.rows.totalsOnly = entry.rows.totalsOnly && week.totalsOnly;
      if (week.symbolTotals) (entry.rows.symbolTotals ??= []).push(...week.symbolTotals);
      if (week.nonAts) (entry.rows.nonAts ??= []).push(...week.nonAts);
      if (week.nonAtsFirm) (entry.rows.nonAtsFirm ??= []).push(...week.nonAtsFirm);
    }
  }
  // Oldest first: each week is then published, and its estimates scored, as FINRA published them.
  const inOrder = [...merged.values()].sort(
    (a, b) => a.rows.weekStart.localeCompare(b.rows.weekStart) || a.rows.tier.localeCompare(b.rows.tier),
  );
  return inOrder.map(({ rows, files }) => ({
    weekStart: rows.weekStart,
    tier: rows.tier,
    source: `file:${files.join(',')}`,
    load: async () => rows,
  }));
}

/** One recorded run of weeks: the shared run loop, each week fetched while the one before is published. */
async function processWeeks(
  ctx: IngestContext,
  trigger: string,
  plan: (notes: string[]) => Promise<WorkItem[]>,
  usage?: () => Usage,
): Promise<RunSummary> {
  // The next week is fetched while this one is built and published (one week fetched at a time):
  // FINRA's answers, not our CPU, set the pace.
  let next: Loading | null = null;
  const summary = await runPipeline<WorkItem, WeekResult>(ctx, {
    kind: 'weekly',
    trigger,
    unit: 'weeks',
    plan,
    process: (item, index, items) => {
      const loading = next ?? prefetch(item);
      next = null;
      const following = items[index + 1];
      return processWeek(ctx, item, loading, () => {
        if (following) next = prefetch(following);
      });
    },
    skipped: (item) => ({ weekStart: item.weekStart, tier: item.tier, outcome: 'failed', detail: SKIPPED, rows: 0, symbols: 0, ms: 0 }),
    record: (runId, item, result, at) => ctx.runs.week(runId, item.weekStart, item.tier, result.outcome, result.detail, at),
    bad: ['refused', 'failed', 'unavailable'],
    outcomes: WEEK_OUTCOMES,
    onProgress: ctx.onProgress,
    usage,
  });
  return { runId: summary.runId, status: summary.status, weeks: summary.results, notes: summary.notes, usage: summary.usage };
}

interface Loading {
  rows: Promise<WeekRows & { source?: string }>;
  started: number;
}

function prefetch(item: WorkItem): Loading {
  const rows = item.load();
  rows.catch(() => {}); // awaited (and its error handled) when the week's turn comes
  return { rows, started: performance.now() };
}

async function processWeek(ctx: IngestContext, item: WorkItem, loading: Loading, loaded: () => void): Promise<WeekResult> {
  const started = loading.started;
  const base = { weekStart: item.weekStart, tier: item.tier };
  const done = (outcome: WeekOutcome, detail: string | null, rows = 0, symbols = 0): WeekResult => ({
    ...base,
    outcome,
    detail,
    rows,
    symbols,
    ms: Math.round(performance.now() - started),
  });
  try {
    const rows = await loading.rows;
    loaded(); // only after a successful fetch: a failing FINRA is not asked for more at once
    const built = buildWeek(rows);
    const published = ctx.publisher.publish(built, { source: rows.source ?? item.source, now: ctx.now().toISOString() });
    // What was loaded but attributed to no symbol is said, never dropped silently.
    if (built.keptAside.length) ctx.logger.warn({ ...base, keptAside: built.keptAside }, 'week loaded with volume attributed to no symbol');
    const coverage =
      built.coverage === 'symbol_totals' ? `FINRA's per-symbol totals only (${built.symbols.length} symbols), no venues` : null;
    const detail = [coverage, published.detail, ...built.keptAside].filter(Boolean).join('; ') || null;
    ctx.logger.info(
      { ...base, outcome: published.outcome, detail, rows: built.rows.length, symbols: built.symbols.length },
      'week processed',
    );
    return done(published.outcome, detail, built.rows.length, built.symbols.length);
  } catch (err) {
    if (err instanceof WeekUnavailableError) {
      ctx.logger.warn({ ...base, err: err.message }, 'week unavailable from FINRA, nothing loaded');
      return done('unavailable', err.message);
    }
    if (isDataProblem(err)) {
      // The week is not published; whatever the store held for it stays exactly as it was.
      ctx.logger.error({ ...base, err: err.message }, 'week refused, previous data kept');
      return done('refused', err.message);
    }
    if (err instanceof UpstreamHttpError || err instanceof UpstreamNetworkError) {
      ctx.logger.error({ ...base, err: err.message }, 'week not fetched, previous data kept');
      return done('failed', err.message);
    }
    throw err;
  }
}

function isDataProblem(err: unknown): err is Error {
  return (
    err instanceof WeekRefusedError ||
    err instanceof IncompleteDataError ||
    err instanceof RowValidationError ||
    err instanceof FileFormatError
  );
}
