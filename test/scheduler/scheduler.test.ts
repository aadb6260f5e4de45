import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { openDatabase, type DatabaseHandle } from '../../exporter/src/store/connection.js';
import { migrateToLatest } from '../../exporter/src/store/migrator.js';
import { Scheduler } from '../../exporter/src/scheduler/scheduler.js';
import type { SyncJob } from '../../exporter/src/sources/sync-job.js';
import { SyncError } from '../../exporter/src/sources/sync-error.js';
import { closeInterruptedRuns, startRun } from '../../exporter/src/store/sync-runs.js';
import { buildMetrics } from '../../exporter/src/metrics/build.js';
import { tempDbPath } from '../helpers/tmp.js';

let h: DatabaseHandle;
let scheduler: Scheduler;
beforeEach(async () => {
  h = openDatabase(tempDbPath());
  await migrateToLatest(h.db);
  scheduler = new Scheduler({ db: h.db, log: pino({ level: 'silent' }), schedule: '0 0 1 1 *' });
});
afterEach(async () => {
  await scheduler.stop();
  await h.close();
});

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Scheduler', () => {
  it('never runs a job twice at once and records each run', async () => {
    const gate = deferred();
    let starts = 0;
    let active = 0;
    const job: SyncJob = {
      source: 'btcpay:S1',
      async run(ctx) {
        starts += 1;
        active += 1;
        expect(active).toBe(1);
        ctx.progress({ fetched: 10, written: 4 });
        await gate.promise;
        active -= 1;
      },
    };
    scheduler.add(job);
    const a = scheduler.runAll('test');
    const b = scheduler.runAll('test');
    gate.resolve();
    const [ra, rb] = await Promise.all([a, b]);
    // The second request came during the first run: it gets a run of its own, after the first.
    expect(starts).toBe(2);
    expect(ra[0]).toMatchObject({ ok: true });
    expect(rb[0]).toMatchObject({ ok: true });
    expect(rb[0]!.skipped).toBeUndefined();
    const runs = await h.db.selectFrom('sync_runs').selectAll().orderBy('id').execute();
    expect(runs).toHaveLength(2);
    expect(runs[0]).toMatchObject({ source: 'btcpay:S1', outcome: 'success', items_fetched: 10, items_written: 4 });
  });

  it('a request during a run gets exactly one more run, however many arrive; requests during that one get another', async () => {
    const gates: Array<ReturnType<typeof deferred>> = [];
    const started: Array<ReturnType<typeof deferred>> = [deferred(), deferred(), deferred(), deferred()];
    const job: SyncJob = {
      source: 'angor',
      async run() {
        const n = gates.length;
        const gate = deferred();
        gates.push(gate);
        started[n]!.resolve();
        await gate.promise;
      },
    };
    scheduler.add(job);
    const log: string[] = [];
    const first = scheduler.runJob(job, 'startup').then((r) => (log.push('first'), r));
    await started[0]!.promise;
    // Ten refreshes and a scheduled tick while the start-up run is held: all join one trailing run.
    const during = [...Array.from({ length: 10 }, () => scheduler.runJob(job, 'refresh')), scheduler.runJob(job, 'schedule')];
    const duringDone = Promise.all(during).then((r) => (log.push('during'), r));
    gates[0]!.resolve();
    await first;
    await started[1]!.promise;
    expect(gates).toHaveLength(2);
    expect(log).toEqual(['first']); // the trailing run's callers wait for the trailing run
    // A request during the trailing run queues one more, again.
    const later = scheduler.runJob(job, 'refresh');
    const later2 = scheduler.runJob(job, 'refresh');
    gates[1]!.resolve();
    const results = await duringDone;
    expect(results.every((r) => r.ok && !r.skipped)).toBe(true);
    await started[2]!.promise;
    gates[2]!.resolve();
    expect((await later).ok).toBe(true);
    expect(await later2).toEqual(await later);
    await scheduler.whenIdle();
    expect(gates).toHaveLength(3);
    const runs = await h.db.selectFrom('sync_runs').selectAll().orderBy('id').execute();
    expect(runs.map((r) => r.outcome)).toEqual(['success', 'success', 'success']);
  });

  it('a request after a run has ended starts a new run at once (no run is queued for nothing)', async () => {
    let starts = 0;
    const job: SyncJob = { source: 'angor', run: async () => void (starts += 1) };
    scheduler.add(job);
    await scheduler.runJob(job, 'startup');
    await scheduler.whenIdle();
    expect(starts).toBe(1);
    await scheduler.runJob(job, 'refresh');
    await scheduler.whenIdle();
    expect(starts).toBe(2);
  });

  it('stop() during a run: the queued run does not start, its callers see it skipped', async () => {
    const started = deferred();
    let starts = 0;
    const job: SyncJob = {
      source: 'angor',
      run: (ctx) =>
        new Promise<void>((_resolve, reject) => {
          starts += 1;
          started.resolve();
          ctx.signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
        }),
    };
    scheduler.add(job);
    const first = scheduler.runJob(job, 'startup');
    await started.promise;
    const queued = scheduler.runJob(job, 'refresh');
    await scheduler.stop();
    expect(await first).toMatchObject({ ok: false, errorReason: 'aborted' });
    expect(await queued).toMatchObject({ ok: false, skipped: true });
    expect(starts).toBe(1);
    expect(await h.db.selectFrom('sync_runs').selectAll().execute()).toHaveLength(1);
  });

  it('records failures with their reason and exports them as metrics', async () => {
    let fail = true;
    scheduler.add({
      source: 'angor',
      async run() {
        if (fail) throw new SyncError('unauthenticated', 'BTCPay rejected the API key');
      },
    });
    await scheduler.runAll('test');
    const metrics = buildMetrics({ db: h.db, mode: 'live', sources: () => scheduler.sources, defaultMetrics: false });
    let text = (await metrics.render(false)).body;
    expect(text).toMatch(/^crowdfund_sync_up\{source="angor"\} 0$/m);
    expect(text).toMatch(/^crowdfund_sync_errors_total\{source="angor",reason="unauthenticated"\} 1$/m);
    expect(text).toMatch(/^crowdfund_sync_errors_total\{source="angor",reason="timeout"\} 0$/m);
    expect(text).toMatch(/^crowdfund_sync_last_success_timestamp_seconds\{source="angor"\} 0$/m);

    fail = false;
    await scheduler.runAll('test');
    text = (await metrics.render(false)).body;
    expect(text).toMatch(/^crowdfund_sync_up\{source="angor"\} 1$/m);
    expect(text).toMatch(/^crowdfund_sync_errors_total\{source="angor",reason="unauthenticated"\} 1$/m);
    expect(text).toMatch(/^crowdfund_sync_last_success_timestamp_seconds\{source="angor"\} [1-9]\d{9}$/m);
    const failed = await h.db.selectFrom('sync_runs').selectAll().where('outcome', '=', 'error').execute();
    expect(failed[0]).toMatchObject({ error_reason: 'unauthenticated', error_message: 'BTCPay rejected the API key' });
  });

  it('exports a configured source before its first run as down', async () => {
    scheduler.add({ source: 'btcpay:S9', run: async () => undefined });
    const metrics = buildMetrics({ db: h.db, mode: 'live', sources: () => scheduler.sources, defaultMetrics: false });
    expect((await metrics.render(false)).body).toMatch(/^crowdfund_sync_up\{source="btcpay:S9"\} 0$/m);
  });

  it('stop() aborts a running job and waits for it to be recorded', async () => {
    scheduler.add({
      source: 'angor',
      run: (ctx) =>
        new Promise<void>((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
        }),
    });
    const run = scheduler.runAll('test');
    await scheduler.stop();
    expect((await run)[0]).toMatchObject({ ok: false, errorReason: 'aborted' });
    const row = await h.db.selectFrom('sync_runs').selectAll().executeTakeFirstOrThrow();
    expect(row.outcome).toBe('error');
  });

  it('closes runs a crash left open', async () => {
    await startRun(h.db, 'angor', 100);
    expect(await closeInterruptedRuns(h.db, 200)).toBe(1);
    const row = await h.db.selectFrom('sync_runs').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ outcome: 'error', error_reason: 'aborted', finished_at: 200 });
  });
});
