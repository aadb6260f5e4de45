// The first schema: invoices with their running totals, webhook deliveries, Angor projects and
// sync bookkeeping. Later migrations add to it; this file never changes once released.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('invoices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('store_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('additional_status', 'text', (c) => c.notNull().defaultTo('None'))
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount', 'text')
    .addColumn('btc_paid_sats', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_time', 'integer', (c) => c.notNull())
    .addColumn('expiration_time', 'integer', (c) => c.notNull())
    .addColumn('monitoring_expiration', 'integer', (c) => c.notNull())
    .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('order_id', 'text')
    .addColumn('item_code', 'text')
    .addColumn('counts_as_raised', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_final', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('amounts_synced', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status_source', 'text', (c) => c.notNull().defaultTo('sync'))
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('invoices_store_status').on('invoices').columns(['store_id', 'status']).execute();
  await db.schema.createIndex('invoices_store_created').on('invoices').columns(['store_id', 'created_time']).execute();
  await db.schema.createIndex('invoices_status').on('invoices').column('status').execute();
  // The incremental sync re-fetches every invoice that is not final yet.
  await db.schema
    .createIndex('invoices_store_open')
    .on('invoices')
    .columns(['store_id', 'created_time'])
    .where(sql.ref('is_final'), '=', 0)
    .execute();

  await db.schema
    .createTable('invoice_status_totals')
    .addColumn('store_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('invoices', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('invoice_status_totals_pk', ['store_id', 'status'])
    .execute();

  await db.schema
    .createTable('store_totals')
    .addColumn('store_id', 'text', (c) => c.primaryKey())
    .addColumn('raised_sats', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('contributions', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_invoice_created', 'integer')
    .execute();

  await db.schema
    .createTable('store_raised_amounts')
    .addColumn('store_id', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('amount', 'text', (c) => c.notNull().defaultTo('0'))
    .addPrimaryKeyConstraint('store_raised_amounts_pk', ['store_id', 'currency'])
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('received_at', 'integer', (c) => c.notNull())
    .addColumn('store_id', 'text')
    .addColumn('webhook_id', 'text')
    .addColumn('delivery_id', 'text')
    .addColumn('original_delivery_id', 'text')
    .addColumn('event_type', 'text')
    .addColumn('invoice_id', 'text')
    .addColumn('is_redelivery', 'integer')
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('signature_preview', 'text')
    .addColumn('payload', 'text')
    .execute();
  await db.schema.createIndex('webhook_deliveries_received').on('webhook_deliveries').column('received_at').execute();
  // Idempotency: one accepted delivery per (webhookId, originalDeliveryId).
  await db.schema
    .createIndex('webhook_deliveries_original')
    .on('webhook_deliveries')
    .columns(['webhook_id', 'original_delivery_id'])
    .unique()
    .where(sql.ref('result'), '=', 'accepted')
    .execute();
  await db.schema.createIndex('webhook_deliveries_invoice').on('webhook_deliveries').column('invoice_id').execute();

  await db.schema
    .createTable('angor_projects')
    .addColumn('project_id', 'text', (c) => c.primaryKey())
    .addColumn('network', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('nostr_event_id', 'text')
    .addColumn('founder_key', 'text')
    .addColumn('nostr_pubkey', 'text')
    .addColumn('target_sats', 'integer')
    .addColumn('raised_sats', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('investments', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('spent_by_founder_sats', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('penalties_sats', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('start_time', 'integer')
    .addColumn('end_time', 'integer')
    .addColumn('expiry_time', 'integer')
    .addColumn('stages_json', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('project_type', 'text', (c) => c.notNull().defaultTo('invest'))
    .addColumn('created_block_height', 'integer')
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sync_runs')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('started_at', 'integer', (c) => c.notNull())
    .addColumn('finished_at', 'integer')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('error_reason', 'text')
    .addColumn('error_message', 'text')
    .addColumn('items_fetched', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('items_written', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('sync_runs_source_started').on('sync_runs').columns(['source', 'started_at']).execute();

  await db.schema
    .createTable('sync_state')
    .addColumn('source', 'text', (c) => c.primaryKey())
    .addColumn('last_attempt_at', 'integer')
    .addColumn('last_success_at', 'integer')
    .addColumn('last_outcome', 'text')
    .addColumn('last_duration_seconds', 'real')
    .addColumn('last_error_reason', 'text')
    .addColumn('cursor', 'text')
    .execute();

  await db.schema
    .createTable('sync_error_counts')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('sync_error_counts_pk', ['source', 'reason'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'sync_error_counts',
    'sync_state',
    'sync_runs',
    'angor_projects',
    'webhook_deliveries',
    'store_raised_amounts',
    'store_totals',
    'invoice_status_totals',
    'invoices',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
