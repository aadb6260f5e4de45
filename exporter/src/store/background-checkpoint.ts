// WAL checkpoints on a worker thread. SQLite's automatic checkpoint runs inside the COMMIT that
// crosses 1,000 WAL pages, on the committing thread: it copies the pages into the database and
// fsyncs both files, holding the event loop for 5–150 ms on a virtual disk (bench/RESULTS.md).
// While this runs, the connection's automatic checkpoint is off and a second connection in a
// worker runs PASSIVE checkpoints (they never block writers) on a short interval. If the worker
// fails, the automatic checkpoint comes back, so the WAL never grows without bound.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';

export interface BackgroundCheckpoint {
  /** Stops the worker and gives the connection its automatic checkpoint back. */
  stop(): Promise<void>;
}

export interface BackgroundCheckpointOptions {
  intervalMs?: number;
  /** Called once if the worker fails (the automatic checkpoint is back on by then). */
  onError?: (err: unknown) => void;
}

// Plain CommonJS, evaluated in the worker: no loader or build step is needed for it, whether
// the exporter runs from dist/, through tsx or under vitest.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
let timer;
const tick = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
    return;
  }
  timer = setTimeout(tick, workerData.intervalMs);
};
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
tick();
`;

export function startBackgroundCheckpoint(sqlite: BetterSqlite3.Database, o: BackgroundCheckpointOptions = {}): BackgroundCheckpoint {
  const previous = Number(sqlite.pragma('wal_autocheckpoint', { simple: true }));
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { path: resolve(sqlite.name), driver: createRequire(import.meta.url).resolve('better-sqlite3'), intervalMs: o.intervalMs ?? 100 },
  });
  worker.unref();
  sqlite.pragma('wal_autocheckpoint = 0');
  let stopping = false;
  let failed = false;
  const fail = (err: unknown) => {
    if (failed || stopping) return;
    failed = true;
    if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${previous}`);
    void worker.terminate();
    o.onError?.(err);
  };
  worker.on('message', (m: { error?: string }) => {
    if (m.error !== undefined) fail(new Error(`background checkpoint failed: ${m.error}`));
  });
  worker.on('error', fail);
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  worker.once('exit', (code) => fail(new Error(`background checkpoint worker exited (${code})`)));

  return {
    async stop() {
      if (stopping) return exited;
      stopping = true;
      if (sqlite.open && !failed) sqlite.pragma(`wal_autocheckpoint = ${previous}`);
      worker.postMessage('stop');
      // A worker stuck in a checkpoint is ended; SQLite checkpoints are safe to interrupt.
      const timeout = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}
