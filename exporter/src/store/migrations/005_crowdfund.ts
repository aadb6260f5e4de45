// BTCPay Crowdfund apps: a settings snapshot per app, which invoices belong to which app, and the
// progress the sync computes after each run, so a scrape reads a few rows per app and never
// recomputes anything. Amounts are exact decimal strings in the app's target currency.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('crowdfund_apps')
    .addColumn('app_id', 'text', (c) => c.primaryKey())
    .addColumn('store_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('app_name', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('archived', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('target_currency', 'text', (c) => c.notNull())
    .addColumn('target_amount', 'text')
    .addColumn('enforce_target_amount', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('start_date', 'integer')
    .addColumn('end_date', 'integer')
    .addColumn('reset_every', 'text', (c) => c.notNull().defaultTo('Never'))
    .addColumn('reset_every_amount', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('perks_json', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('all_store_invoices', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('crowdfund_apps_store').on('crowdfund_apps').column('store_id').execute();

  await db.schema
    .createTable('crowdfund_app_invoices')
    .addColumn('app_id', 'text', (c) => c.notNull().references('crowdfund_apps.app_id').onDelete('cascade'))
    .addColumn('invoice_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('crowdfund_app_invoices_pk', ['app_id', 'invoice_id'])
    .execute();
  // A webhook names an invoice; this finds the apps whose progress it changes.
  await db.schema.createIndex('crowdfund_app_invoices_invoice').on('crowdfund_app_invoices').column('invoice_id').execute();

  await db.schema
    .createTable('crowdfund_progress')
    .addColumn('app_id', 'text', (c) => c.primaryKey().references('crowdfund_apps.app_id').onDelete('cascade'))
    .addColumn('settled_amount', 'text', (c) => c.notNull().defaultTo('0'))
    .addColumn('pending_amount', 'text', (c) => c.notNull().defaultTo('0'))
    .addColumn('raised_sats', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('contributors', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('window_start', 'integer')
    .addColumn('next_reset', 'integer')
    .addColumn('computed_at', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('crowdfund_perk_contributions')
    .addColumn('app_id', 'text', (c) => c.notNull().references('crowdfund_apps.app_id').onDelete('cascade'))
    .addColumn('perk_id', 'text', (c) => c.notNull())
    .addColumn('contributions', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('crowdfund_perk_contributions_pk', ['app_id', 'perk_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of ['crowdfund_perk_contributions', 'crowdfund_progress', 'crowdfund_app_invoices', 'crowdfund_apps']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
