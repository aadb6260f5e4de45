// Two connections write the database file (the main one and the webhook writer's): the main
// connection's transactions take the write lock at BEGIN, and a group commit that finds the file
// locked past busy_timeout retries the whole batch, then rejects it as transient, never as success.
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { isTransientDbError } from '../../exporter/src/store/connection.js';
import { openDatabase, type DatabaseHandle } from '../../exporter/src/store/connection.js';
import { createGroupCommit } from '../../exporter/src/store/group-commit.js';
import { tempDbPath } from '../helpers/tmp.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function setup(): { h: DatabaseHandle; other: BetterSqlite3.Database } {
  const h = openDatabase(tempDbPath('crowdfund-two-writers-'));
  h.sqlite.exec('create table t (n integer primary key)');
  cleanup.push(() => h.close());
  // The peer connection gives up at once, so a lock conflict shows as SQLITE_BUSY here.
  const other = new BetterSqlite3(h.path);
  other.pragma('busy_timeout = 0');
  cleanup.push(() => {
    other.close();
  });
  return { h, other };
}

describe('two writers on one database file', () => {
  it("takes the write lock when a kysely transaction begins, so a read-then-write is never overtaken by the other connection's commit", async () => {
    const { h, other } = setup();
    let peer: unknown;
    await h.db.transaction().execute(async (trx) => {
      await sql`select count(*) from t`.execute(trx);
      // A deferred BEGIN would let this commit in, and the write below would then fail with a
      // stale snapshot (SQLITE_BUSY that no busy_timeout waits out).
      try {
        other.prepare('insert into t (n) values (1)').run();
      } catch (err) {
        peer = err;
      }
      await sql`insert into t (n) values (2)`.execute(trx);
    });
    expect((peer as { code?: string }).code).toBe('SQLITE_BUSY');
    expect(h.sqlite.prepare('select n from t order by n').all()).toEqual([{ n: 2 }]);
  });

  it('retries a batch that found the file locked, then rejects it with a transient SQLITE_BUSY and writes nothing', async () => {
    const { h, other } = setup();
    h.sqlite.pragma('busy_timeout = 20');
    const warnings: unknown[] = [];
    const gc = createGroupCommit({ sqlite: h.sqlite, db: h.db, busyRetries: 2, log: { warn: (obj) => warnings.push(obj) } });
    cleanup.push(() => gc.close());
    const insert = h.sqlite.prepare('insert into t (n) values (?)');

    other.exec('BEGIN IMMEDIATE');
    const settled = await Promise.allSettled([gc.run(() => insert.run(1)), gc.run(() => insert.run(2))]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    for (const s of settled) {
      const err = (s as PromiseRejectedResult).reason as { code?: string };
      expect(err.code).toBe('SQLITE_BUSY');
      expect(isTransientDbError(err)).toBe(true);
    }
    // One batch, tried three times in all; never split into one transaction per job.
    expect(warnings).toHaveLength(2);
    expect(gc.stats()).toEqual({ batches: 1, jobs: 2 });
    other.exec('ROLLBACK');
    expect(h.sqlite.prepare('select n from t').all()).toEqual([]);

    // Once the lock is gone the same jobs commit.
    await expect(Promise.all([gc.run(() => insert.run(1).changes), gc.run(() => insert.run(2).changes)])).resolves.toEqual([1, 1]);
    expect(h.sqlite.prepare('select n from t order by n').all()).toEqual([{ n: 1 }, { n: 2 }]);
  });
});
