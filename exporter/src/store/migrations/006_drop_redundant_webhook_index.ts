// webhook_deliveries_invoice (001) is a prefix of webhook_deliveries_invoice_result (003): every
// lookup by invoice can use the latter, so the former only cost a B-tree write per delivery.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('webhook_deliveries_invoice').ifExists().execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('webhook_deliveries_invoice').ifNotExists().on('webhook_deliveries').column('invoice_id').execute();
}
