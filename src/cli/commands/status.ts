// `darkpool-radar status`: what the store holds, its last runs and this month's download.
import { existsSync } from 'node:fs';
import type { Config } from '../../config.js';
import { weekEndingOf } from '../../domain/calendar.js';
import { TIERS } from '../../domain/tiers.js';
import { parse } from '../args.js';
import { formatBytes, type Io } from '../output.js';
import { withStore } from '../store.js';

export async function statusCommand(args: string[], config: Config, io: Io): Promise<number> {
  parse(args, {});
  // A read-only look: a mistyped DB_PATH must not leave a new store (and its folders) behind.
  if (!existsSync(config.DB_PATH)) {
    io.stderr(
      `darkpool-radar status: no store at ${config.DB_PATH} (DB_PATH): run \`darkpool-radar ingest\` or \`darkpool-radar import FILE\` first\n`,
    );
    return 1;
  }
  return withStore(config, io, async (store) => {
    const weeks = store.weeks.loadedWeeks();
    io.stdout(`store: ${config.DB_PATH}\n`);
    if (!weeks.length) io.stdout('no weeks loaded: run `darkpool-radar ingest` or `darkpool-radar import FILE`\n');
    for (const tier of TIERS) {
      const ofTier = weeks.filter((w) => w.tier === tier);
      if (!ofTier.length) continue;
      const rows = ofTier.reduce((n, w) => n + w.firm_rows, 0);
      io.stdout(`\n${tier}: ${ofTier.length} weeks, ${rows.toLocaleString('en-US')} ATS rows\n`);
      io.stdout('  week_start  week_ending  ats_rows  symbols  reconciled  revisions  source         loaded_at\n');
      for (const w of ofTier) {
        io.stdout(
          `  ${w.week_start}  ${weekEndingOf(w.week_start)}  ${String(w.firm_rows).padStart(8)}  ${String(w.symbols).padStart(7)}  ` +
            `${(w.reconciled ? 'yes' : 'no').padEnd(10)}  ${String(w.revisions).padStart(9)}  ${w.source.slice(0, 13).padEnd(13)}  ${w.loaded_at}\n`,
        );
      }
    }
    const holder = store.lock.holder();
    if (holder) io.stdout(`\ningest running: pid ${holder.holder_pid} on ${holder.holder_host} since ${holder.acquired_at}\n`);
    const days = store.daily.days();
    if (days.length) {
      const rows = days.reduce((n, d) => n + d.rows, 0);
      io.stdout(
        `\ndaily files: ${days.length} trading days, ${days.at(-1)!.trade_date} to ${days[0]!.trade_date}, ${rows.toLocaleString('en-US')} rows\n`,
      );
    }
    for (const kind of ['weekly', 'daily'] as const) {
      const run = store.runs.last(kind);
      if (!run) continue;
      const cost = run.requests === null ? '' : `, ${run.requests} requests, ${formatBytes(run.bytes ?? 0)}`;
      io.stdout(
        `\nlast ${kind} run: #${run.id} (${run.trigger}) started ${run.started_at}, ${run.status}` +
          (run.finished_at ? `, finished ${run.finished_at}` : '') +
          `${cost}\n`,
      );
    }
    const deliveries = store.outbox.counts();
    if (deliveries.pending + deliveries.delivered + deliveries.dead > 0) {
      io.stdout(`\nwebhooks: ${deliveries.delivered} delivered, ${deliveries.pending} pending, ${deliveries.dead} dead letters\n`);
      for (const d of store.outbox.deadLetters()) {
        io.stdout(`  dead: ${d.event_id} to ${d.url} after ${d.attempts} attempts: ${d.last_error ?? 'no answer'}\n`);
      }
    }
    // A free FINRA credential is switched off for the rest of the month past 10 GB.
    const monthStart = `${new Date().toISOString().slice(0, 7)}-01`;
    const month = store.runs.usageSince(monthStart);
    io.stdout(
      `\ndownloaded from FINRA since ${monthStart}: ${formatBytes(month.bytes)} in ${month.requests.toLocaleString('en-US')} requests (a free FINRA credential stops at 10 GB a month)\n`,
    );
    return 0;
  });
}
