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
    scheduler = new IngestScheduler({ cron: 'off', logger: logs.logger, hasData: () => false, command: slowIngest(400) });
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
    await eventually(async () => (logs.lines.some((l) => l.msg === 'ingest finished' && l.trigger === 'schedule') ? true : undefined), 5_000);
    expect(logs.lines.find((l) => l.msg === 'ingest scheduled (UTC)')).toMatchObject({ cron: '* * * * * *' });
  });

  it('on stop, ends a running ingest with SIGTERM, and starts no more', async () => {
    const logs = captureLogs();
    scheduler = new IngestScheduler({ cron: '* * * * * *', logger: logs.logger, hasData: () => false, command: slowIngest(60_000), stopGraceMs: 2_000 });
    scheduler.start();
    await scheduler.stop();
    expect(logs.lines.find((l) => l.msg === 'ingest did not finish cleanly; serving the data already loaded')).toMatchObject({ signal: 'SIGTERM' });
    expect(await scheduler.runNow('schedule')).toBeNull();
  });
});
