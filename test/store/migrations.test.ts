import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../exporter/src/store/connection.js';
import { isMigrated, migrateToLatest } from '../../exporter/src/store/migrator.js';
import { migrations } from '../../exporter/src/store/migrations/index.js';
import { tempDbPath } from '../helpers/tmp.js';

describe('migrations', () => {
  it('create the whole schema on an empty database, in WAL mode', async () => {
    const h = openDatabase(tempDbPath());
    try {
      expect(await isMigrated(h.db)).toBe(false);
      const applied = await migrateToLatest(h.db);
      expect(applied).toEqual(Object.keys(migrations).sort());
      expect(await isMigrated(h.db)).toBe(true);
      const tables = (h.sqlite.prepare("select name from sqlite_master where type='table'").all() as { name: string }[]).map(
        (t) => t.name,
      );
      for (const t of ['invoices', 'invoice_status_totals', 'store_totals', 'store_raised_amounts', 'webhook_deliveries', 'angor_projects', 'sync_runs', 'sync_state']) {
        expect(tables).toContain(t);
      }
      const indexes = (h.sqlite.prepare("select name from sqlite_master where type='index' and tbl_name='invoices'").all() as { name: string }[]).map(
        (i) => i.name,
      );
      expect(indexes).toEqual(expect.arrayContaining(['invoices_store_status', 'invoices_store_created', 'invoices_status']));
      expect(h.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      await h.close();
    }
  });

  it('are a no-op on an already migrated database and keep its data', async () => {
    const path = tempDbPath();
    const first = openDatabase(path);
    await migrateToLatest(first.db);
    await first.db.insertInto('sync_state').values({ source: 'angor', last_success_at: 123 }).execute();
    await first.close();

    const second = openDatabase(path);
    try {
      expect(await migrateToLatest(second.db)).toEqual([]);
      const row = await second.db.selectFrom('sync_state').selectAll().executeTakeFirstOrThrow();
      expect(row.last_success_at).toBe(123);
    } finally {
      await second.close();
    }
  });
});
