// Payment methods and payments per invoice, as the Greenfield API reports them. The crowdfund
// progress is recomputed from these (net value at the method's rate, late payments excluded), so
// amounts stay BTCPay's exact decimal strings (TEXT), never floats.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('invoice_payment_methods')
    .addColumn('invoice_id', 'text', (c) => c.notNull().references('invoices.id').onDelete('cascade'))
    .addColumn('payment_method_id', 'text', (c) => c.notNull())
    .addColumn('currency', 'text', (c) => c.notNull())
    .addColumn('rate', 'text', (c) => c.notNull())
    .addColumn('amount', 'text', (c) => c.notNull())
    .addColumn('paid', 'text', (c) => c.notNull())
    .addColumn('fee', 'text', (c) => c.notNull().defaultTo('0'))
    .addPrimaryKeyConstraint('invoice_payment_methods_pk', ['invoice_id', 'payment_method_id'])
    .execute();

  await db.schema
    .createTable('invoice_payments')
    .addColumn('invoice_id', 'text', (c) => c.notNull().references('invoices.id').onDelete('cascade'))
    .addColumn('payment_method_id', 'text', (c) => c.notNull())
    .addColumn('payment_id', 'text', (c) => c.notNull())
    .addColumn('received_date', 'integer', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('fee', 'text', (c) => c.notNull().defaultTo('0'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('invoice_payments_pk', ['invoice_id', 'payment_method_id', 'payment_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('invoice_payments').ifExists().execute();
  await db.schema.dropTable('invoice_payment_methods').ifExists().execute();
}
