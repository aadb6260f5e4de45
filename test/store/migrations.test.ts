import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../exporter/src/store/connection.js';
import { computeTotals, readTotals } from '../../exporter/src/store/invoice-totals.js';
import { createMigrator, isMigrated, migrateToLatest } from '../../exporter/src/store/migrator.js';
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
      for (const t of ['invoices', 'invoice_status_totals', 'store_totals', 'store_raised_amounts', 'store_payment_method_totals', 'store_rates', 'webhook_deliveries', 'angor_projects', 'sync_runs', 'sync_state']) {
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

describe('migration 008 (raised sats per payment method)', () => {
  it('splits the stored invoices by their payment methods and fills the per-method totals from them', async () => {
    const h = openDatabase(tempDbPath());
    try {
      const migrator = createMigrator(h.db);
      const { error } = await migrator.migrateTo('007_invoice_payments_received');
      expect(error).toBeUndefined();
      const invoice = h.sqlite.prepare(
        `insert into invoices (id, store_id, status, additional_status, currency, amount, btc_paid_sats, created_time, expiration_time,
           monitoring_expiration, archived, counts_as_raised, is_final, amounts_synced, status_source, updated_at)
         values (?, ?, ?, 'None', 'USD', '10', ?, 1, 2, 3, 0, ?, 0, 1, 'sync', 1)`,
      );
      const method = h.sqlite.prepare(
        `insert into invoice_payment_methods (invoice_id, payment_method_id, currency, rate, amount, paid, fee) values (?, ?, ?, '80000', '0.0001', ?, '0')`,
      );
      // Settled, paid on-chain and over Lightning (LN paid with millisats: rounded up, as btc_paid_sats was).
      invoice.run('i1', 'S1', 'Settled', 10_000 + 2_001, 1);
      method.run('i1', 'BTC-CHAIN', 'BTC', '0.0001');
      method.run('i1', 'BTC-LN', 'BTC', '0.00002000001');
      // Settled over LNURL; an unused method is left out, a non-BTC method does not count.
      invoice.run('i2', 'S1', 'Settled', 500, 1);
      method.run('i2', 'BTC-LNURL', 'BTC', '0.000005');
      method.run('i2', 'BTC-CHAIN', 'BTC', '0');
      method.run('i2', 'LTC-CHAIN', 'LTC', '0.5');
      // Not raised: its methods get their rows, with 0.
      invoice.run('i3', 'S2', 'Expired', 700, 0);
      method.run('i3', 'BTC-LN', 'BTC', '0.000007');
      // Raised, but its payment methods were never stored: counted, as unknown.
      invoice.run('i4', 'S2', 'Settled', 300, 1);

      await migrateToLatest(h.db);
      const split = (id: string) => (h.sqlite.prepare('select btc_paid_by_method s from invoices where id = ?').get(id) as { s: string }).s;
      expect(split('i1')).toBe('{"BTC-CHAIN":10000,"BTC-LN":2001}');
      expect(split('i2')).toBe('{"BTC-LNURL":500}');
      expect(split('i3')).toBe('{"BTC-LN":700}');
      expect(split('i4')).toBe('{}');
      const totals = h.sqlite.prepare('select store_id, payment_method, raised_sats from store_payment_method_totals order by 1, 2').all();
      expect(totals).toEqual([
        { store_id: 'S1', payment_method: 'BTC-CHAIN', raised_sats: 10_000 },
        { store_id: 'S1', payment_method: 'BTC-LN', raised_sats: 2_001 },
        { store_id: 'S1', payment_method: 'BTC-LNURL', raised_sats: 500 },
        { store_id: 'S2', payment_method: 'BTC-LN', raised_sats: 0 },
        { store_id: 'S2', payment_method: 'unknown', raised_sats: 300 },
      ]);
      // The migration fills the table exactly as the running totals and their reference keep it.
      expect(readTotals(h.sqlite).methods).toEqual(computeTotals(h.sqlite).methods);
    } finally {
      await h.close();
    }
  });
});
