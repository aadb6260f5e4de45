// webhook_seen with integer keys (migration 010): keys written before the upgrade are carried over
// and still recognised, a hash collision never turns a new delivery into a duplicate, and the
// release-0.1.0 database's keys survive the migration one for one.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../exporter/src/store/connection.js';
import { createMigrator, migrateToLatest } from '../../exporter/src/store/migrator.js';
import { seenKey } from '../../exporter/src/store/seen-key.js';
import { createDeliveryLogWriter, pruneBatch } from '../../exporter/src/store/webhook-log.js';
import { PROJECT_ROOT } from '../../exporter/src/version.js';
import { tempDbPath } from '../helpers/tmp.js';

describe('webhook_seen keyed by an integer hash (010)', () => {
  it('carries the keys of the old table over, in first-seen order, and still finds them', async () => {
    const database = openDatabase(tempDbPath());
    try {
      const to = await createMigrator(database.db).migrateTo('006_drop_redundant_webhook_index');
      expect(to.error).toBeUndefined();
      const old = database.sqlite.prepare('insert into webhook_seen (webhook_id, original_delivery_id, first_seen_at) values (?, ?, ?)');
      old.run('HookB', 'Delivery2', 200);
      old.run('HookA', 'Delivery1', 100);
      old.run('HookA', 'Delivery3', 300);
      expect(await migrateToLatest(database.db)).toContain('010_webhook_seen_rowid');

      const rows = database.sqlite.prepare('select id, key, webhook_id, original_delivery_id, first_seen_at from webhook_seen order by id').all();
      expect(rows).toEqual([
        { id: 1, key: seenKey('HookA', 'Delivery1'), webhook_id: 'HookA', original_delivery_id: 'Delivery1', first_seen_at: 100 },
        { id: 2, key: seenKey('HookB', 'Delivery2'), webhook_id: 'HookB', original_delivery_id: 'Delivery2', first_seen_at: 200 },
        { id: 3, key: seenKey('HookA', 'Delivery3'), webhook_id: 'HookA', original_delivery_id: 'Delivery3', first_seen_at: 300 },
      ]);
      const w = createDeliveryLogWriter(database.sqlite);
      expect(w.markSeen('HookB', 'Delivery2', 400)).toBe(false); // a redelivery from before the upgrade
      expect(w.markSeen('HookB', 'Delivery9', 400)).toBe(true);
      expect(w.markSeen('HookB', 'Delivery9', 401)).toBe(false);
      const indexes = database.sqlite.prepare("select name from sqlite_master where type = 'index' and tbl_name = 'webhook_seen'").pluck().all();
      expect(indexes).toEqual(['webhook_seen_key']);
    } finally {
      await database.close();
    }
  });

  it('carries colliding keys over with a null hash for the later one', async () => {
    const database = openDatabase(tempDbPath());
    try {
      await createMigrator(database.db).migrateTo('006_drop_redundant_webhook_index');
      const old = database.sqlite.prepare('insert into webhook_seen (webhook_id, original_delivery_id, first_seen_at) values (?, ?, ?)');
      old.run('HookA', 'Late', 200);
      old.run('HookA', 'Early', 100);
      // Make every pair collide for the migration: the SQL function is the connection's.
      database.sqlite.function('webhook_seen_key', { deterministic: true }, (_a: unknown, _b: unknown) => 42);
      await migrateToLatest(database.db);
      expect(database.sqlite.prepare('select key, original_delivery_id from webhook_seen order by id').all()).toEqual([
        { key: 42, original_delivery_id: 'Early' },
        { key: null, original_delivery_id: 'Late' },
      ]);
    } finally {
      await database.close();
    }
  });

  it('never calls a delivery seen on a hash match alone', async () => {
    const database = openDatabase(tempDbPath());
    try {
      await migrateToLatest(database.db);
      // A row planted with the hash of (HookA, New) but other ids: a collision.
      database.sqlite
        .prepare('insert into webhook_seen (key, webhook_id, original_delivery_id, first_seen_at) values (?, ?, ?, ?)')
        .run(seenKey('HookA', 'New'), 'HookZ', 'Other', 1);
      const w = createDeliveryLogWriter(database.sqlite);
      expect(w.markSeen('HookA', 'New', 2)).toBe(true);
      expect(w.markSeen('HookA', 'New', 3)).toBe(false);
      expect(database.sqlite.prepare("select key from webhook_seen where original_delivery_id = 'New'").pluck().get()).toBeNull();
      // The separator keeps ("ab", "c") and ("a", "bc") apart.
      expect(seenKey('ab', 'c')).not.toBe(seenKey('a', 'bc'));
      expect(Number.isSafeInteger(seenKey('x'.repeat(64), 'y'.repeat(64)))).toBe(true);
    } finally {
      await database.close();
    }
  });

  it('prunes old keys oldest first without an index on first_seen_at', async () => {
    const database = openDatabase(tempDbPath());
    try {
      await migrateToLatest(database.db);
      const w = createDeliveryLogWriter(database.sqlite);
      for (let i = 0; i < 30; i++) w.markSeen('Hook', `D${i}`, 1_000 + i * 86_400);
      // 10 days of retention at day 30: keys of days 0..19 go, 20..29 stay.
      let deleted = 0;
      for (let n = -1; n !== 0; deleted += n) n = await pruneBatch(database.db, { now: 1_000 + 30 * 86_400, retentionDays: 10, maxRows: 1_000, batchSize: 7 });
      expect(deleted).toBe(20);
      const left = database.sqlite.prepare('select original_delivery_id from webhook_seen order by id').pluck().all();
      expect(left).toEqual(Array.from({ length: 10 }, (_, i) => `D${i + 20}`));
    } finally {
      await database.close();
    }
  });

  it('keeps every key of the release-0.1.0 database', async () => {
    const path = tempDbPath();
    copyFileSync(join(PROJECT_ROOT, 'test/fixtures/release-0.1.0/release.db'), path);
    const before = new BetterSqlite3(path, { readonly: true });
    const keys = before.prepare('select webhook_id, original_delivery_id, first_seen_at from webhook_seen order by webhook_id, original_delivery_id').all();
    before.close();
    expect(keys.length).toBeGreaterThan(0);
    const database = openDatabase(path);
    try {
      await migrateToLatest(database.db);
      const after = database.sqlite.prepare('select webhook_id, original_delivery_id, first_seen_at from webhook_seen order by webhook_id, original_delivery_id').all();
      expect(after).toEqual(keys);
      const w = createDeliveryLogWriter(database.sqlite);
      const k = keys[0] as { webhook_id: string; original_delivery_id: string };
      expect(w.markSeen(k.webhook_id, k.original_delivery_id, 0)).toBe(false);
    } finally {
      await database.close();
    }
  });
});
