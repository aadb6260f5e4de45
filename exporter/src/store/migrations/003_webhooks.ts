// Webhook receiver state: counters persisted so restarts keep them monotonic, a compact
// idempotency table that outlives the (row-capped) delivery log, and per-store webhook state.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // The delivery log gains what the landing page and /api/webhooks show.
  await db.schema.alterTable('webhook_deliveries').addColumn('verified', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('webhook_deliveries').addColumn('http_status', 'integer').execute();

  // One row per (webhookId, originalDeliveryId) ever processed; pruned by age only, never by the
  // log's row cap, so a redelivery inside BTCPay's retry window is always recognised.
  await db.schema
    .createTable('webhook_seen')
    .addColumn('webhook_id', 'text', (c) => c.notNull())
    .addColumn('original_delivery_id', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_seen_pk', ['webhook_id', 'original_delivery_id'])
    .execute();
  await db.schema.createIndex('webhook_seen_first_seen').on('webhook_seen').column('first_seen_at').execute();

  // Monotonic counters: counter is requests | verification_failures | duplicates | missed;
  // label is the event type, the failure reason, or '' when the counter has no second label.
  await db.schema
    .createTable('webhook_counters')
    .addColumn('store_id', 'text', (c) => c.notNull())
    .addColumn('counter', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('count', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('webhook_counters_pk', ['store_id', 'counter', 'label'])
    .execute();

  await db.schema
    .createTable('webhook_store_state')
    .addColumn('store_id', 'text', (c) => c.primaryKey())
    .addColumn('last_verified_at', 'integer')
    // Failed/HttpError deliveries among the latest ones BTCPay lists for this store's webhooks.
    .addColumn('delivery_failures', 'integer')
    .addColumn('delivery_failures_checked_at', 'integer')
    .execute();

  // The missed-webhook detector looks up verified deliveries by invoice and result.
  await db.schema
    .createIndex('webhook_deliveries_invoice_result')
    .on('webhook_deliveries')
    .columns(['invoice_id', 'result'])
    .where(sql.ref('invoice_id'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('webhook_deliveries_invoice_result').ifExists().execute();
  await db.schema.dropTable('webhook_store_state').ifExists().execute();
  await db.schema.dropTable('webhook_counters').ifExists().execute();
  await db.schema.dropTable('webhook_seen').ifExists().execute();
  await db.schema.alterTable('webhook_deliveries').dropColumn('http_status').execute();
  await db.schema.alterTable('webhook_deliveries').dropColumn('verified').execute();
}
