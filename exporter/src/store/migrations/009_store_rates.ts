// The store's BTC rates for its default currency pairs (Greenfield GET /api/v1/stores/{id}/rates),
// written by the store sync, read by the collector. Rates stay BTCPay's decimal strings.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('store_rates')
    .addColumn('store_id', 'text', (c) => c.notNull())
    .addColumn('currency_pair', 'text', (c) => c.notNull())
    .addColumn('rate', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('store_rates_pk', ['store_id', 'currency_pair'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('store_rates').ifExists().execute();
}
