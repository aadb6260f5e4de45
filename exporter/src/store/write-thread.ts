// Where the webhook receiver's writes run. For a database file: on a worker thread with its own
// connection (store/write-thread-entry.ts), so the main thread spends its time on HTTP, signatures
// and parsing while SQLite works in parallel; the thread starts with the first job, so an exporter
// that never receives a webhook pays nothing for it. For an in-memory database (one connection
// only): a group commit on the main connection. Either way a job resolves only once committed
// and synced (synchronous=FULL semantics), each in its own savepoint of a batch.
//
// Two writers now share the file: this one and the main connection (sync pages, crowdfund,
// angor, retention). SQLite lets one write at a time; both wait for the other with busy_timeout
// (the main connection's transactions BEGIN IMMEDIATE, store/connection.ts), and a batch that still
// finds the file locked is retried whole, then rejected with SQLITE_BUSY (503): never a 2xx.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { createGroupCommit } from './group-commit.js';
import type { Database } from './schema.js';
import type { Logger } from '../log.js';
import type { ErrorInfo, FromWriter, ToWriter, WriterWorkerData } from './write-thread-entry.js';
import { createWebhookJobRunner, type WebhookWriteJob, type WebhookWriteResult } from './webhook-deliveries.js';

export interface WebhookWriter {
  /** Runs the job in the next batch; resolves once the batch is committed and synced. */
  run(job: WebhookWriteJob): Promise<WebhookWriteResult>;
  /** Waits for every job handed in, then stops the thread (if started). Call before closing the database. */
  close(): Promise<void>;
  /** True while the worker thread runs (tests, diagnostics). */
  threadRunning(): boolean;
}

export interface WebhookWriterOptions {
  sqlite: BetterSqlite3.Database;
  db: Kysely<Database>;
  log: Logger;
  /** false: write on the main connection even for a file (default: a worker for any file database). */
  worker?: boolean;
}

export function createWebhookWriter(o: WebhookWriterOptions): WebhookWriter {
  return o.worker === false || o.sqlite.memory ? inlineWriter(o) : workerWriter(o);
}

function inlineWriter(o: WebhookWriterOptions): WebhookWriter {
  const runner = createWebhookJobRunner(o.sqlite);
  const commits = createGroupCommit({ sqlite: o.sqlite, db: o.db, log: o.log, hooks: runner.hooks });
  return { run: (job) => commits.run(() => runner.run(job)), close: () => commits.close(), threadRunning: () => false };
}

/** Rebuilds an error from the worker with its SQLite code, so transient faults still answer 503. */
function toError(info: ErrorInfo): Error {
  return info.code === undefined ? new Error(info.message) : Object.assign(new Error(info.message), { code: info.code });
}

/**
 * The worker's entry, from dist/ a .js file next to this one. From the TypeScript sources (tsx,
 * vitest) a worker does not inherit the parent's loader, so a one-line bootstrap imports the .ts
 * entry through tsx's API.
 */
function spawn(workerData: WriterWorkerData): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./write-thread-entry.js', here), { workerData });
  const tsxDir = createRequire(here).resolve('tsx/package.json').replace(/package\.json$/, '');
  const api = pathToFileURL(`${tsxDir}dist/esm/api/index.mjs`).href;
  const entry = new URL('./write-thread-entry.ts', here).href;
  const bootstrap = `import(${JSON.stringify(api)}).then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
  return new Worker(bootstrap, { eval: true, workerData });
}

function workerWriter(o: WebhookWriterOptions): WebhookWriter {
  const log = o.log.child({ component: 'webhook-writer' });
  const path = resolve(o.sqlite.name);
  const pending = new Map<number, { resolve: (v: WebhookWriteResult) => void; reject: (e: unknown) => void }>();
  let nextId = 1;
  let outbox: Array<[number, WebhookWriteJob]> = [];
  let scheduled = false;
  let worker: Worker | undefined;
  let exited: Promise<void> = Promise.resolve();
  let closing = false;

  function start(): Worker {
    const w = spawn({ path });
    exited = new Promise<void>((r) => w.once('exit', () => r()));
    w.on('message', (m: FromWriter) => {
      if (m.type === 'done') {
        for (const [id, ok, value] of m.outcomes) {
          const p = pending.get(id);
          pending.delete(id);
          if (ok) p?.resolve(value);
          else p?.reject(toError(value));
        }
        // Idle: let the process exit without it; a job in flight keeps it alive.
        if (pending.size === 0 && outbox.length === 0) w.unref();
      } else if (m.type === 'warn') {
        log.warn({ err: toError(m.err) }, m.msg);
      }
    });
    const fail = (reason: string) => {
      if (worker !== w) return;
      worker = undefined;
      // Whether these committed is unknown: a 5xx makes BTCPay retry, and a retry of a committed
      // delivery is recorded as a duplicate, never applied twice.
      const err = new Error(`the webhook writer thread stopped (${reason}); the delivery may not be stored`);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    };
    w.on('error', (err) => {
      log.error({ err }, 'webhook writer thread failed; it restarts with the next delivery');
      fail(err.message);
    });
    w.once('exit', (code) => fail(`exit code ${code}`));
    return w;
  }

  function flush(): void {
    scheduled = false;
    if (outbox.length === 0) return;
    const w = (worker ??= start());
    w.ref();
    const m: ToWriter = { type: 'run', jobs: outbox };
    outbox = [];
    w.postMessage(m);
  }

  return {
    run(job) {
      if (closing) return Promise.reject(new Error('the webhook writer is closed'));
      return new Promise<WebhookWriteResult>((res, rej) => {
        const id = nextId++;
        pending.set(id, { resolve: res, reject: rej });
        outbox.push([id, job]);
        // Everything that arrives in this turn of the event loop goes in one message.
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    async close() {
      if (closing) return exited;
      closing = true;
      flush();
      const w = worker;
      if (!w) return;
      w.ref();
      const m: ToWriter = { type: 'close' };
      w.postMessage(m);
      // The worker finishes its queue first; one stuck for this long is ended.
      const timeout = setTimeout(() => void w.terminate(), 30_000);
      await exited;
      clearTimeout(timeout);
    },
    threadRunning: () => worker !== undefined,
  };
}
