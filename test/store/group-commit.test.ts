// Group commit on a real database file: batching, per-job savepoints, settling only after the WAL
// sync, staying out of kysely transactions, and checkpoints moved to the worker.
import { statSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { isTransientDbError } from '../../exporter/src/store/connection.js';
import { openDatabase, type DatabaseHandle } from '../../exporter/src/store/connection.js';
import { createGroupCommit, type GroupCommit, type GroupCommitOptions } from '../../exporter/src/store/group-commit.js';
import { tempDbPath } from '../helpers/tmp.js';

const open: Array<{ h: DatabaseHandle; gc: GroupCommit }> = [];
afterEach(async () => {
  for (const { h, gc } of open.splice(0)) {
    await gc.close();
    await h.close();
  }
});

function setup(opts: Partial<GroupCommitOptions> = {}) {
  const path = tempDbPath('crowdfund-group-commit-');
  const h = openDatabase(path);
  h.sqlite.exec('create table t (n integer primary key, note text)');
  const gc = createGroupCommit({ sqlite: h.sqlite, db: h.db, ...opts });
  open.push({ h, gc });
  const insert = h.sqlite.prepare('insert into t (n, note) values (?, ?)');
  const rows = () => (h.sqlite.prepare('select n from t order by n').all() as Array<{ n: number }>).map((r) => r.n);
  return { path, h, gc, insert, rows };
}

function deferred() {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('group commit', () => {
  it('commits jobs queued together in one transaction, each resolving with its own value', async () => {
    const { gc, insert, rows } = setup();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => gc.run(() => (insert.run(i, 'x'), i * 10))));
    expect(results).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(gc.stats()).toEqual({ batches: 1, jobs: 10 });
    expect(rows()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('undoes a job that throws alone; the others in its batch commit', async () => {
    const { gc, insert, rows } = setup();
    const a = gc.run(() => insert.run(1, 'a'));
    const b = gc.run(() => {
      insert.run(2, 'b');
      throw new Error('job b failed');
    });
    // A constraint violation is a statement error: it too is undone with its savepoint only.
    const c = gc.run(() => {
      insert.run(3, 'c');
      insert.run(1, 'duplicate key');
    });
    const d = gc.run(() => insert.run(4, 'd'));
    const settled = await Promise.allSettled([a, b, c, d]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('job b failed');
    expect(rows()).toEqual([1, 4]);
    expect(gc.stats().batches).toBe(1);
  });

  it('retries each job alone when one of them ends the whole transaction', async () => {
    const { h, gc, insert, rows } = setup();
    // Some errors (disk full, I/O) make SQLite roll back the whole transaction, not a savepoint.
    const a = gc.run(() => insert.run(1, 'a'));
    const b = gc.run(() => {
      insert.run(2, 'b');
      h.sqlite.exec('ROLLBACK');
      throw Object.assign(new Error('disk is full'), { code: 'SQLITE_FULL' });
    });
    const c = gc.run(() => insert.run(3, 'c'));
    const settled = await Promise.allSettled([a, b, c]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(rows()).toEqual([1, 3]);
    // One failed batch, then one transaction per job.
    expect(gc.stats()).toEqual({ batches: 4, jobs: 6 });
  });

  it('settles only after a WAL sync that started after the commit', async () => {
    const syncs: Array<ReturnType<typeof deferred>> = [];
    const { path, h, gc, insert } = setup({
      syncWal: () => {
        const d = deferred();
        syncs.push(d);
        return d.promise;
      },
    });
    const other = new BetterSqlite3(path, { readonly: true });
    try {
      const count = () => (other.prepare('select count(*) n from t').get() as { n: number }).n;
      let firstDone = false;
      const first = gc.run(() => insert.run(1, 'a')).then(() => (firstDone = true));
      await until(() => syncs.length === 1, 'the first sync');
      // Committed (another connection sees it) and the connection is back at FULL, but not settled.
      expect(count()).toBe(1);
      expect(h.sqlite.pragma('synchronous', { simple: true })).toBe(2);
      expect(firstDone).toBe(false);

      // Committed while the first sync runs: that sync may have started before this commit,
      // so the second job waits for the next one.
      let secondDone = false;
      const second = gc.run(() => insert.run(2, 'b')).then(() => (secondDone = true));
      await until(() => count() === 2, 'the second commit');
      syncs[0]!.resolve();
      await first;
      expect(firstDone).toBe(true);
      await until(() => syncs.length === 2, 'the second sync');
      expect(secondDone).toBe(false);
      syncs[1]!.resolve();
      await second;
      expect(syncs).toHaveLength(2);
    } finally {
      other.close();
    }
  });

  it('rejects the batch with a transient error when the WAL sync fails', async () => {
    const { gc, insert } = setup({ syncWal: () => Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' })) });
    const err = await gc.run(() => insert.run(1, 'a')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(isTransientDbError(err)).toBe(true); // 503: BTCPay retries
  });

  it('never lands inside a kysely transaction that is waiting between two awaits', async () => {
    const { h, gc, insert, rows } = setup();
    const hold = deferred();
    const kysely = h.db
      .transaction()
      .execute(async (trx) => {
        await sql`insert into t (n, note) values (100, 'kysely')`.execute(trx);
        await hold.promise;
        throw new Error('the kysely transaction fails');
      })
      .catch((e: Error) => e.message);
    let jobDone = false;
    const job = gc.run(() => insert.run(1, 'job')).then(() => (jobDone = true));
    // The batch was due on the next setImmediate; two turns later it is still waiting for the connection.
    for (let i = 0; i < 2; i++) await new Promise((r) => setImmediate(r));
    expect(gc.stats().batches).toBe(0);
    expect(jobDone).toBe(false);
    hold.resolve();
    expect(await kysely).toBe('the kysely transaction fails');
    await job;
    // The job committed on its own; the kysely transaction's row went with its rollback.
    expect(rows()).toEqual([1]);
  });

  it('moves checkpoints to a worker once there is work and gives the connection its own back on close', async () => {
    const { path, h, gc } = setup();
    // No worker before there is work.
    expect(h.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    const blob = h.sqlite.prepare('insert into t (note) values (?)');
    await gc.run(() => blob.run('first'));
    expect(h.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const before = statSync(path).size;
    // ~1,500 pages through the WAL; only a checkpoint copies them into the database file.
    for (let i = 0; i < 15; i++) await Promise.all(Array.from({ length: 100 }, () => gc.run(() => blob.run('y'.repeat(4000)))));
    await until(() => statSync(path).size > before + 4_000_000, 'a checkpoint by the worker');
    await gc.close();
    expect(h.sqlite.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });
});
