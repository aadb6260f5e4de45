// The webhook writer's thread: its own connection to the database file, a group commit over it,
// and the plain-data jobs of store/webhook-deliveries.ts. A job's result goes back only once its batch is
// committed and the WAL synced (group-commit.ts), so the main thread's 2xx means "on disk".
// Started by store/write-thread.ts; not imported by anything else.
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { configureConnection } from './connection.js';
import { createGroupCommit } from './group-commit.js';
import { createWebhookJobRunner, type WebhookWriteJob, type WebhookWriteResult } from './webhook-deliveries.js';

export interface WriterWorkerData {
  path: string;
}

/** Enough of an error to rebuild it on the other side (structured cloning drops `code`). */
export interface ErrorInfo {
  message: string;
  code?: string;
}

export type ToWriter = { type: 'run'; jobs: Array<[id: number, job: WebhookWriteJob]> } | { type: 'close' };

export type Outcome = [id: number, ok: true, value: WebhookWriteResult] | [id: number, ok: false, error: ErrorInfo];

export type FromWriter =
  | { type: 'done'; outcomes: Outcome[] }
  | { type: 'warn'; msg: string; err: ErrorInfo }
  | { type: 'closed' };

export function errorInfo(err: unknown): ErrorInfo {
  const e = err as { message?: unknown; code?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' ? { message, code: e.code } : { message };
}

function main(port: NonNullable<typeof parentPort>, data: WriterWorkerData): void {
  const sqlite = new BetterSqlite3(data.path, { fileMustExist: true });
  configureConnection(sqlite);
  const send = (m: FromWriter) => port.postMessage(m);
  const runner = createWebhookJobRunner(sqlite);
  const commits = createGroupCommit({
    sqlite,
    log: { warn: (obj, msg) => send({ type: 'warn', msg, err: errorInfo(obj.err) }) },
    hooks: runner.hooks,
  });

  // Results of one batch settle together; one message carries them all.
  let outbox: Outcome[] = [];
  const flush = () => {
    const outcomes = outbox;
    outbox = [];
    if (outcomes.length > 0) send({ type: 'done', outcomes });
  };
  const settled = (o: Outcome) => {
    if (outbox.push(o) === 1) setImmediate(flush);
  };

  port.on('message', (m: ToWriter) => {
    if (m.type === 'run') {
      for (const [id, job] of m.jobs) {
        commits.run(() => runner.run(job)).then(
          (value) => settled([id, true, value]),
          (err: unknown) => settled([id, false, errorInfo(err)]),
        );
      }
      return;
    }
    void commits.close().then(() => {
      flush();
      sqlite.close();
      send({ type: 'closed' });
      port.close();
    });
  });
}

if (parentPort) main(parentPort, workerData as WriterWorkerData);
