// Seeds a database with N synthetic invoices fast (prepared statements, one transaction per
// 50k rows), then fills the running totals once with the store's reference, rebuildTotals.
// Only for benchmarks: the exporter itself always writes through the store's InvoiceWriter.
import { openDatabase } from '../exporter/src/store/connection.js';
import { migrateToLatest } from '../exporter/src/store/migrator.js';
import { countsAsRaised, isFinal } from '../exporter/src/store/invoices.js';
import { rebuildTotals } from '../exporter/src/store/invoice-totals.js';
import { INVOICE_STATUSES, type InvoiceStatus } from '../exporter/src/store/schema.js';

export interface SeedOptions {
  invoices: number;
  stores?: string[];
  now?: number;
  /**
   * Also write payments (bench/export.ts): one accounted payment per raised invoice received within
   * 15 min of its creation, a second one 5 min later for every 7th, none for every 50th raised
   * invoice (marked settled), and an Invalid payment for Invalid invoices.
   */
  payments?: boolean;
}

export async function seedInvoices(path: string, opts: SeedOptions): Promise<void> {
  const stores = opts.stores ?? ['BenchStoreA', 'BenchStoreB'];
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const h = openDatabase(path);
  await migrateToLatest(h.db);
  h.sqlite.pragma('synchronous = OFF');
  const insert = h.sqlite.prepare(`insert into invoices (id, store_id, status, additional_status, currency, amount,
    btc_paid_sats, created_time, expiration_time, monitoring_expiration, archived, order_id, item_code,
    counts_as_raised, is_final, amounts_synced, status_source, updated_at)
    values (?, ?, ?, ?, 'USD', ?, ?, ?, ?, ?, 0, ?, null, ?, ?, 1, 'sync', ?)`);
  const insertPayment = h.sqlite.prepare(`insert into invoice_payments (invoice_id, payment_method_id, payment_id,
    received_date, value, fee, status) values (?, 'BTC-CHAIN', ?, ?, ?, '0', ?)`);
  const btc = (sats: number) => `0.${String(sats).padStart(8, '0')}`;
  const span = 365 * 86400;
  const batch = 50_000;
  for (let start = 0; start < opts.invoices; start += batch) {
    h.sqlite.transaction(() => {
      for (let i = start; i < Math.min(opts.invoices, start + batch); i++) {
        const status: InvoiceStatus = INVOICE_STATUSES[[2, 2, 2, 3, 0, 1, 4, 2, 3, 2][i % 10]!]!;
        const additional = status === 'Expired' && i % 20 === 3 ? 'PaidLate' : 'None';
        const created = now - span + Math.floor((i * span) / opts.invoices);
        const sats = countsAsRaised(status, additional) ? 10_000 + (i % 90_000) : 0;
        insert.run(
          `bench${i.toString(36).padStart(8, '0')}`,
          stores[i % stores.length],
          status,
          additional,
          `${(i % 500) + 1}.${String(i % 100).padStart(2, '0')}`,
          sats,
          created,
          created + 900,
          created + 86400,
          `order-${i}`,
          countsAsRaised(status, additional) ? 1 : 0,
          isFinal(status, created + 86400, now) ? 1 : 0,
          now,
        );
        if (!opts.payments) continue;
        const id = `bench${i.toString(36).padStart(8, '0')}`;
        if (sats > 0 && i % 50 !== 2) {
          const second = i % 7 === 0;
          const first = second ? Math.floor(sats / 2) : sats;
          insertPayment.run(id, `${id}-1`, created + (i % 900), btc(first), status === 'Settled' ? 'Settled' : 'Processing');
          if (second) insertPayment.run(id, `${id}-2`, created + (i % 900) + 300, btc(sats - first), 'Settled');
        } else if (status === 'Invalid') {
          insertPayment.run(id, `${id}-1`, created + 60, btc(1000), 'Invalid');
        }
      }
    })();
  }
  // The running totals from the rows, by the store's reference (what the invoice writer would have left).
  h.sqlite.transaction(() => rebuildTotals(h.sqlite))();
  h.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  await h.close();
}
