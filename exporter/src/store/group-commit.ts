// Group commit: write jobs that arrive together share one transaction, and so one WAL sync,
// while each keeps its own savepoint: a job that throws is undone alone and the others commit.
// Jobs are synchronous (better-sqlite3 prepared statements). A job's promise settles only after
// its batch committed AND the WAL holding the commit was synced to disk, so whoever answers
// after it never acknowledges a write a power cut could take back.
//
// Why the sync is done here: with synchronous=FULL, SQLite fsyncs the WAL inside COMMIT, which
// blocks the event loop for the length of an fsync (0.2 ms to tens of ms on a virtual disk).
// FULL in WAL mode is exactly "NORMAL plus a sync of the WAL after each commit" (sqlite.org/
// pragma.html#pragma_synchronous). So a batch commits with NORMAL and the same sync runs as
// fdatasync on libuv's thread pool, while the event loop reads the next requests; the promise
// settles after it. Every other writer on the connection keeps the connection's own level.
// For the same reason WAL checkpoints move to a worker once a group commit has work
// (background-checkpoint.ts).
import { close as closeFd, fdatasync, fsync, open as openFd } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { startBackgroundCheckpoint, type BackgroundCheckpoint } from './background-checkpoint.js';
import type { Database } from './schema.js';

export interface GroupCommitOptions {
  sqlite: BetterSqlite3.Database;
  /**
   * The kysely instance on the same connection, if there is one. A batch runs while holding its
   * connection lock, so it never lands inside a kysely transaction that is waiting between two
   * awaits (it would become a savepoint of that transaction and share its fate). A connection of
   * its own (the webhook writer's worker) needs none.
   */
  db?: Kysely<Database>;
  /** Jobs per transaction at most; bounds how long one commit holds the event loop. */
  maxBatch?: number;
  /** Replaces the WAL fdatasync (tests observe that nothing settles before it finishes). */
  syncWal?: () => Promise<void>;
  /**
   * Further attempts of a whole batch that found the database locked by another connection for
   * longer than its busy_timeout (default 2). Nothing of the batch ran, so trying again is safe;
   * after the last attempt its jobs reject with SQLITE_BUSY (a 503 for webhooks: BTCPay retries).
   */
  busyRetries?: number;
  log?: WarnLog;
  /** Writes a batch defers to its end (store/webhook-deliveries.ts sums per-delivery counters this way). */
  hooks?: BatchHooks;
}

/**
 * Called inside a batch's transaction, so what `end` writes commits (or rolls back) with the
 * batch. A batch retried or split runs `begin` again: anything staged before is forgotten.
 */
export interface BatchHooks {
  begin(): void;
  /** After a job's savepoint: released (true) or rolled back (false). */
  jobEnded(released: boolean): void;
  /** After the last job, before COMMIT; a throw rolls the whole batch back. */
  end(): void;
}

/** The one thing group commit logs; a pino Logger is one, and a worker passes its own. */
export interface WarnLog {
  warn(obj: { err: unknown; [key: string]: unknown }, msg: string): void;
}

export interface GroupCommit {
  /** Runs `job` in a savepoint of the next batch; resolves with its result once committed and synced. */
  run<T>(job: () => T): Promise<T>;
  /** Transactions committed or attempted so far, and the jobs they carried (diagnostics, tests). */
  stats(): { batches: number; jobs: number };
  /** Waits for queued jobs, then closes the WAL file descriptor. */
  close(): Promise<void>;
}

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Pending {
  job: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** An fsync failure, shaped like SQLite's own so callers treat it as transient (503, BTCPay retries). */
function syncError(cause: unknown): Error {
  return Object.assign(new Error(`syncing the write-ahead log failed: ${(cause as Error).message}`), { code: 'SQLITE_IOERR_FSYNC', cause });
}

/** The database is locked by another connection (a writer on the main thread, or this one's peer). */
const isBusy = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
};

const nodeCb = <T>(fn: (cb: (err: Error | null, value?: T) => void) => void) =>
  new Promise<T>((res, rej) => fn((err, value) => (err ? rej(err) : res(value as T))));

/**
 * fdatasync of the WAL, coalesced: a caller gets a sync that started after it asked (so it
 * covers every commit made before the ask); callers arriving while one runs share the next.
 */
function walSyncer(walPath: string, override?: () => Promise<void>) {
  let fd: Promise<number> | undefined;
  let running = false;
  let next: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;

  const openWal = () =>
    (fd ??= (async () => {
      const f = await nodeCb<number>((cb) => openFd(walPath, 'r', cb));
      // Once: make the WAL's directory entry durable too (SQLite does this on its first sync).
      const dir = await nodeCb<number>((cb) => openFd(dirname(walPath), 'r', cb));
      try {
        await nodeCb<void>((cb) => fsync(dir, cb));
      } finally {
        closeFd(dir, () => undefined);
      }
      return f;
    })());
  const syncOnce =
    override ??
    (async () => {
      const f = await openWal();
      await nodeCb<void>((cb) => fdatasync(f, cb));
    });

  function start(): Promise<void> {
    running = true;
    const p = syncOnce().catch((err: unknown) => {
      fd = undefined; // reopen next time, in case the file was replaced
      throw syncError(err);
    });
    const after = () => {
      running = false;
      const waiting = next;
      next = undefined;
      if (waiting) start().then(waiting.resolve, waiting.reject);
    };
    p.then(after, after);
    return p;
  }

  return {
    after(): Promise<void> {
      if (!running) return start();
      if (!next) {
        let resolve!: () => void;
        let reject!: (e: unknown) => void;
        const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
        next = { promise, resolve, reject };
      }
      return next.promise;
    },
    async close(): Promise<void> {
      const f = fd;
      fd = undefined;
      if (f) await f.then((n) => nodeCb<void>((cb) => closeFd(n, cb))).catch(() => undefined);
    },
  };
}

export function createGroupCommit(o: GroupCommitOptions): GroupCommit {
  const maxBatch = o.maxBatch ?? 256;
  const queue: Pending[] = [];
  let scheduled = false;
  let active = false;
  let idle: (() => void) | undefined;
  let inFlight = 0;
  let batches = 0;
  let jobs = 0;

  // Only a file database in WAL mode at FULL (or EXTRA) gets the off-loop sync; anything else
  // commits at the connection's own level, as any other writer would.
  const level = Number(o.sqlite.pragma('synchronous', { simple: true }));
  const wal = !o.sqlite.memory && String(o.sqlite.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal' && level >= 2;
  const relax = wal ? o.sqlite.prepare('PRAGMA synchronous = NORMAL') : undefined;
  const restore = wal ? o.sqlite.prepare(`PRAGMA synchronous = ${level}`) : undefined;
  const syncer = wal ? walSyncer(`${resolve(o.sqlite.name)}-wal`, o.syncWal) : undefined;
  // Started with the first batch, so an exporter that never receives a webhook pays nothing for
  // it (a worker costs ~12 MB and some start-up time).
  let checkpoints: BackgroundCheckpoint | undefined;
  const startCheckpoints = () =>
    (checkpoints ??= startBackgroundCheckpoint(o.sqlite, {
      onError: (err) => o.log?.warn({ err }, 'background WAL checkpoints stopped; SQLite checkpoints automatically again'),
    }));

  // Nested better-sqlite3 transaction functions run as SAVEPOINT / ROLLBACK TO / RELEASE.
  const inSavepoint = o.sqlite.transaction((job: () => unknown) => job());
  const hooks = o.hooks;
  const all = o.sqlite.transaction((batch: Pending[], out: Settled[]) => {
    hooks?.begin();
    batch.forEach((p, i) => {
      try {
        out[i] = { ok: true, value: inSavepoint(p.job) };
      } catch (error) {
        hooks?.jobEnded(false);
        // Most errors undo only the savepoint; a few (disk full, I/O error) end the whole
        // transaction, and then nothing of this batch can commit.
        if (!o.sqlite.inTransaction) throw error;
        out[i] = { ok: false, error };
        return;
      }
      hooks?.jobEnded(true);
    });
    hooks?.end();
  });

  const busyRetries = o.busyRetries ?? 2;

  function commit(batch: Pending[]): Settled[] {
    batches += 1;
    jobs += batch.length;
    const out = new Array<Settled>(batch.length);
    try {
      if (o.sqlite.inTransaction) throw new Error('group commit found a transaction open on the connection');
      relax?.run();
      try {
        for (let attempt = 0; ; attempt++) {
          try {
            all.immediate(batch, out);
            break;
          } catch (error) {
            // Locked by another connection past busy_timeout: the transaction was rolled back
            // (or never began), so the whole batch can run again; never split it for that.
            if (!isBusy(error) || attempt >= busyRetries) throw error;
            o.log?.warn({ err: error, attempt: attempt + 1 }, 'database locked by another connection; retrying the batch');
          }
        }
      } finally {
        restore?.run();
      }
      return out;
    } catch (error) {
      if (batch.length === 1 || isBusy(error)) return batch.map(() => ({ ok: false, error }));
      // Nothing of the batch committed: give each job its own transaction, so one job that
      // ends a transaction cannot fail the others.
      return batch.map((p) => commit([p])[0]!);
    }
  }

  function settle(batch: Pending[], out: Settled[]): void {
    batch.forEach((p, i) => {
      const r = out[i]!;
      if (r.ok) p.resolve(r.value);
      else p.reject(r.error);
    });
  }

  async function drain(): Promise<void> {
    active = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        if (wal) startCheckpoints();
        let out: Settled[];
        try {
          out = o.db ? await o.db.connection().execute(async () => commit(batch)) : commit(batch);
        } catch (error) {
          out = batch.map(() => ({ ok: false, error }));
        }
        if (!syncer || out.every((r) => !r.ok)) {
          settle(batch, out);
          continue;
        }
        // Not awaited: the next batch commits while this one's sync runs.
        inFlight += 1;
        syncer.after().then(
          () => settle(batch, out),
          (error: unknown) => settle(batch, out.map((r) => (r.ok ? { ok: false, error } : r))),
        ).finally(() => {
          inFlight -= 1;
          if (inFlight === 0 && queue.length === 0 && !active) idle?.();
        });
      }
    } finally {
      active = false;
      if (inFlight === 0) idle?.();
    }
  }

  return {
    run<T>(job: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ job, resolve: resolve as (v: unknown) => void, reject });
        // setImmediate runs after the I/O callbacks of this loop turn, so every request that
        // arrived together joins the batch; while a batch commits, the next one gathers.
        if (!active && !scheduled) {
          scheduled = true;
          setImmediate(() => {
            scheduled = false;
            void drain();
          });
        }
      });
    },
    stats: () => ({ batches, jobs }),
    async close() {
      if (queue.length > 0 || active || inFlight > 0 || scheduled) await new Promise<void>((r) => (idle = r));
      await syncer?.close();
      await checkpoints?.stop();
    },
  };
}
