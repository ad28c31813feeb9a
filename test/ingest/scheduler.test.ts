import { afterEach, describe, expect, it } from 'vitest';
import { IngestScheduler } from '../../src/ingest/scheduler.js';
import { captureLogs } from '../support/harness.js';
import { eventually } from '../support/processes.js';

/** A stand-in for `darkpool-radar ingest`: a process that runs for a while and exits 0. */
const slowIngest = (ms: number) => ({ file: process.execPath, args: ['-e', `setTimeout(() => {}, ${ms})`, '--'] });

let scheduler: IngestScheduler | undefined;
afterEach(async () => {
  await scheduler?.stop();
  scheduler = undefined;
});

describe('the ingest scheduler', () => {
  it('starts an ingest at once when the store is empty, and never two at a time', async () => {
    const logs = captureLogs();
    scheduler = new IngestScheduler({
      cron: '0 0 1 1 *',
      logger: logs.logger,
      hasData: () => false,
      command: slowIngest(400),
      startupRetryMs: [],
    });
    scheduler.start();
    const overlapping = await scheduler.runNow('schedule');
    expect(overlapping).toBe(0); // it waited for the running one instead of starting another
    const started = logs.lines.filter((l) => l.msg === 'ingest started');
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ trigger: 'startup' });
    expect(logs.lines.some((l) => l.msg === 'an ingest is still running; this one is skipped')).toBe(true);
  });

  it('fires on its cron schedule (UTC)', async () => {
    const logs = captureLogs();
    scheduler = new IngestScheduler({ cron: '* * * * * *', logger: logs.logger, hasData: () => true, command: slowIngest(10) });
    scheduler.start();
    await eventually(
      async () => (logs.lines.some((l) => l.msg === 'ingest finished' && l.trigger === 'schedule') ? true : undefined),
      5_000,
    );
    expect(logs.lines.find((l) => l.msg === 'ingest scheduled (UTC)')).toMatchObject({ cron: '* * * * * *' });
  });

  it('with INGEST_CRON=off makes no request at all, even on an empty store (the air-gapped mode)', async () => {
    const logs = captureLogs();
    scheduler = new IngestScheduler({ cron: 'off', logger: logs.logger, hasData: () => false, command: slowIngest(10) });
    scheduler.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(logs.lines.some((l) => l.msg === 'ingest started')).toBe(false);
    expect(logs.lines.find((l) => String(l.msg).startsWith('ingest is off'))).toMatchObject({ empty: true });
  });

  it('tries the first ingest again, with growing waits, while it loads nothing; then leaves it to the schedule', async () => {
    const logs = captureLogs();
    const failing = { file: process.execPath, args: ['-e', 'process.exit(1)', '--'] };
    scheduler = new IngestScheduler({
      cron: '0 0 1 1 *',
      logger: logs.logger,
      hasData: () => false,
      command: failing,
      startupRetryMs: [50, 100],
    });
    scheduler.start();
    await eventually(
      async () =>
        logs.lines.some((l) => String(l.msg).startsWith('nothing is loaded yet and the first ingests failed')) ? true : undefined,
      5_000,
    );
    expect(logs.lines.filter((l) => l.msg === 'ingest started').map((l) => l.trigger)).toEqual([
      'startup',
      'startup-retry',
      'startup-retry',
    ]);
    const retries = logs.lines.filter((l) => String(l.msg).startsWith('nothing is loaded yet: the first ingest loaded no week'));
    expect(retries.map((l) => l.attempt)).toEqual([1, 2]);
    expect(retries.every((l) => typeof l.next === 'string')).toBe(true);
    expect(logs.lines.filter((l) => l.msg === 'ingest did not finish cleanly; nothing is loaded yet')).toHaveLength(3);
  });

  it('on stop, ends a running ingest with SIGTERM, and starts no more', async () => {
    const logs = captureLogs();
    scheduler = new IngestScheduler({
      cron: '* * * * * *',
      logger: logs.logger,
      hasData: () => false,
      command: slowIngest(60_000),
      stopGraceMs: 2_000,
      startupRetryMs: [],
    });
    scheduler.start();
    await scheduler.stop();
    expect(logs.lines.find((l) => l.msg === 'ingest did not finish cleanly; nothing is loaded yet')).toMatchObject({ signal: 'SIGTERM' });
    expect(await scheduler.runNow('schedule')).toBeNull();
  });
});
