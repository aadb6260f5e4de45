// Demo mode regenerates its simulated history at every start, so what an earlier demo run stored for
// the demo stores would no longer match; this removes it (one transaction) before the first sync.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export async function forgetStores(db: Kysely<Database>, storeIds: string[]): Promise<void> {
  if (storeIds.length === 0) return;
  await db.transaction().execute(async (trx) => {
    const invoiceIds = trx.selectFrom('invoices').select('id').where('store_id', 'in', storeIds);
    await trx.deleteFrom('invoice_payments').where('invoice_id', 'in', invoiceIds).execute();
    await trx.deleteFrom('invoice_payment_methods').where('invoice_id', 'in', invoiceIds).execute();
    await trx.deleteFrom('invoices').where('store_id', 'in', storeIds).execute();
    await trx.deleteFrom('invoice_status_totals').where('store_id', 'in', storeIds).execute();
    await trx.deleteFrom('store_totals').where('store_id', 'in', storeIds).execute();
    await trx.deleteFrom('store_raised_amounts').where('store_id', 'in', storeIds).execute();
    await trx.deleteFrom('store_payment_method_totals').where('store_id', 'in', storeIds).execute();
    await trx.deleteFrom('store_rates').where('store_id', 'in', storeIds).execute();
    await trx.updateTable('sync_state').set({ cursor: null }).where('source', 'in', storeIds.map((id) => `btcpay:${id}`)).execute();
  });
}
