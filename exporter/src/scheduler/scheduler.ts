// Runs sync jobs: once at start-up, on the cron schedule, and on demand (POST /refresh).
// A job never overlaps itself; every run is recorded in the database.
import cron, { type ScheduledTask } from 'node-cron';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Logger } from '../log.js';
import type { SyncContext, SyncJob } from '../sources/sync-job.js';
import { finishRun, startRun } from '../store/sync-runs.js';
import { reasonOf } from '../sources/sync-error.js';

export interface SchedulerOptions {
  db: Kysely<Database>;
  log: Logger;
  schedule: string;
  now?: () => number;
}

export interface RunSummary {
  source: string;
  ok: boolean;
  skipped?: boolean;
  errorReason?: string;
  errorMessage?: string;
}

export class Scheduler {
  private readonly jobs: SyncJob[] = [];
  private readonly running = new Map<string, Promise<RunSummary>>();
  private task: ScheduledTask | undefined;
  private readonly abort = new AbortController();
  private readonly now: () => number;

  constructor(private readonly opts: SchedulerOptions) {
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  }

  add(job: SyncJob): void {
    this.jobs.push(job);
  }

  get sources(): string[] {
    return this.jobs.map((j) => j.source);
  }

  /** Runs every job once now, then on the schedule. */
  start(): void {
    void this.runAll('startup');
    this.task = cron.schedule(this.opts.schedule, () => void this.runAll('schedule'), { noOverlap: false });
  }

  /** Runs every job now; a job already running is not started twice (its run is awaited instead). */
  async runAll(trigger: string): Promise<RunSummary[]> {
    return Promise.all(this.jobs.map((job) => this.runJob(job, trigger)));
  }

  runJob(job: SyncJob, trigger: string): Promise<RunSummary> {
    const inFlight = this.running.get(job.source);
    if (inFlight) {
      this.opts.log.debug({ source: job.source, trigger }, 'sync already running, not starting another');
      return inFlight.then((s) => ({ ...s, skipped: true }));
    }
    const p = this.execute(job, trigger).finally(() => this.running.delete(job.source));
    this.running.set(job.source, p);
    return p;
  }

  private async execute(job: SyncJob, trigger: string): Promise<RunSummary> {
    const log = this.opts.log.child({ source: job.source });
    if (this.abort.signal.aborted) return { source: job.source, ok: false, skipped: true };
    const startedMs = performance.now();
    const runId = await startRun(this.opts.db, job.source, this.now());
    let fetched = 0;
    let written = 0;
    log.info({ trigger }, 'sync started');
    try {
      // stop() may have come while the run was being recorded.
      this.abort.signal.throwIfAborted();
      await job.run({
        signal: this.abort.signal,
        log,
        progress: (c) => {
          fetched += c.fetched ?? 0;
          written += c.written ?? 0;
        },
      });
      const durationSeconds = (performance.now() - startedMs) / 1000;
      await finishRun(this.opts.db, runId, job.source, {
        ok: true,
        finishedAt: this.now(),
        durationSeconds,
        itemsFetched: fetched,
        itemsWritten: written,
      });
      log.info({ durationSeconds: Number(durationSeconds.toFixed(3)), fetched, written }, 'sync finished');
      return { source: job.source, ok: true };
    } catch (err) {
      const durationSeconds = (performance.now() - startedMs) / 1000;
      const reason = reasonOf(err);
      const message = err instanceof Error ? err.message : String(err);
      try {
        await finishRun(this.opts.db, runId, job.source, {
          ok: false,
          finishedAt: this.now(),
          durationSeconds,
          itemsFetched: fetched,
          itemsWritten: written,
          errorReason: reason,
          errorMessage: message,
        });
      } catch (recordErr) {
        log.error({ err: recordErr }, 'could not record the failed sync run');
      }
      log.error({ reason, err: message, durationSeconds: Number(durationSeconds.toFixed(3)) }, 'sync failed');
      return { source: job.source, ok: false, errorReason: reason, errorMessage: message };
    }
  }

  /** Stops the schedule, aborts running jobs and waits for them to record their outcome. */
  async stop(): Promise<void> {
    await this.task?.stop();
    this.task = undefined;
    this.abort.abort();
    await Promise.allSettled([...this.running.values()]);
  }
}
