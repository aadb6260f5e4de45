// The store's BTC rates (store_rates, migration 009): written whole by the store sync after each
// successful read, so a pair BTCPay no longer rates (rate null, or gone from its defaults)
// disappears instead of keeping its old value; read by the collector.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface StoreRate {
  /** BTC_USD, BTC_EUR, ... */
  currencyPair: string;
  /** BTCPay's decimal string. */
  rate: string;
}

/** Replaces every rate of the store by `rates`, in one transaction. */
export async function replaceStoreRates(db: Kysely<Database>, storeId: string, rates: readonly StoreRate[], now: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('store_rates').where('store_id', '=', storeId).execute();
    if (rates.length === 0) return;
    await trx
      .insertInto('store_rates')
      .values(rates.map((r) => ({ store_id: storeId, currency_pair: r.currencyPair, rate: r.rate, updated_at: now })))
      .onConflict((oc) => oc.columns(['store_id', 'currency_pair']).doUpdateSet((eb) => ({ rate: eb.ref('excluded.rate') })))
      .execute();
  });
}

/** The store has no rates (the API key may not read them). */
export async function deleteStoreRates(db: Kysely<Database>, storeId: string): Promise<void> {
  await db.deleteFrom('store_rates').where('store_id', '=', storeId).execute();
}

export async function readStoreRates(db: Kysely<Database>): Promise<Array<{ storeId: string; currencyPair: string; rate: string }>> {
  const rows = await db.selectFrom('store_rates').select(['store_id', 'currency_pair', 'rate']).orderBy('store_id').orderBy('currency_pair').execute();
  return rows.map((r) => ({ storeId: r.store_id, currencyPair: r.currency_pair, rate: r.rate }));
}
