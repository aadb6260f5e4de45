// Runs sync jobs: once at start-up, on the cron schedule, and on demand (POST /refresh).
// A job never overlaps itself; every run is recorded in the database. A request that arrives while
// its job runs (start-up, schedule, refresh, discovery alike) is not folded into that run, which
// may already have read what the request is about: it marks the job dirty, and exactly one more
// run starts when the current one ends. Requests during that run coalesce into the next, and so on.
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

/** A job's run in progress, and the one run requested while it runs (started when it ends). */
interface JobState {
  current: Promise<RunSummary>;
  next?: { trigger: string; promise: Promise<RunSummary>; resolve: (run: Promise<RunSummary>) => void };
}

export class Scheduler {
  private readonly jobs: SyncJob[] = [];
  private readonly running = new Map<string, JobState>();
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

  /** Runs every job now, or once more right after its current run; resolves with the runs that cover this request. */
  async runAll(trigger: string): Promise<RunSummary[]> {
    return Promise.all(this.jobs.map((job) => this.runJob(job, trigger)));
  }

  /**
   * Starts the job now when it is idle. While it runs, the request marks it dirty instead: one
   * more run starts when the current one ends, and every request made meanwhile resolves with
   * that run's summary (ten refreshes during a run cause one more run, not ten).
   */
  runJob(job: SyncJob, trigger: string): Promise<RunSummary> {
    const state = this.running.get(job.source);
    if (!state) {
      const fresh: JobState = { current: Promise.resolve({ source: job.source, ok: true }) };
      this.running.set(job.source, fresh);
      return this.launch(job, trigger, fresh);
    }
    if (state.next) {
      this.opts.log.debug({ source: job.source, trigger }, 'sync running, one more run already queued');
      return state.next.promise;
    }
    let resolve!: (run: Promise<RunSummary>) => void;
    const promise = new Promise<RunSummary>((r) => (resolve = r));
    state.next = { trigger, promise, resolve };
    this.opts.log.debug({ source: job.source, trigger }, 'sync running, one more run when it ends');
    return promise;
  }

  /** Resolves once no job is running and none is queued (tests, shutdown). */
  async whenIdle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()].map((s) => s.current));
  }

  private launch(job: SyncJob, trigger: string, state: JobState): Promise<RunSummary> {
    const run = this.execute(job, trigger);
    state.current = run;
    const after = () => {
      const next = state.next;
      if (!next) {
        this.running.delete(job.source);
        return;
      }
      state.next = undefined;
      next.resolve(this.launch(job, next.trigger, state));
    };
    // Registered before anyone else can wait on `run`, so the state is settled when they wake.
    run.then(after, after);
    return run;
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

  /** Stops the schedule, aborts running jobs and waits for them to record their outcome (queued runs end as skipped). */
  async stop(): Promise<void> {
    await this.task?.stop();
    this.task = undefined;
    this.abort.abort();
    await this.whenIdle();
  }
}
