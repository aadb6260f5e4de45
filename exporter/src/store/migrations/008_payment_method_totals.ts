// Raised sats per payment method. Each invoice row gets its BTC received split by payment method
// (btc_paid_by_method, from the payment methods stored by 002: the same paymentMethodPaid figures,
// rounded up per method, that btc_paid_sats was summed from), and a running-total table keeps the
// raised invoices' split per store and method. Both are filled here from the existing rows, so an
// upgraded database exports correct per-method totals at once. (Self-contained on purpose: a
// migration must keep doing what it did when later code changes.)
import { sql, type Kysely } from 'kysely';
import { btcToSats } from '../../money.js';

const PAGE = 1000;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('invoices')
    .addColumn('btc_paid_by_method', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();

  // Page through the invoices that have stored BTC payment methods, by id.
  let after = '';
  for (;;) {
    const ids = (
      await sql<{ id: string }>`
        select distinct invoice_id id from invoice_payment_methods
        where currency = 'BTC' and invoice_id > ${after} order by invoice_id limit ${PAGE}`.execute(db)
    ).rows.map((r) => r.id);
    if (ids.length === 0) break;
    after = ids[ids.length - 1]!;
    const methods = await sql<{ invoice_id: string; payment_method_id: string; paid: string }>`
      select invoice_id, payment_method_id, paid from invoice_payment_methods
      where currency = 'BTC' and invoice_id in (select value from json_each(${JSON.stringify(ids)}))`.execute(db);
    const splits: Record<string, Record<string, number>> = {};
    for (const m of methods.rows) {
      const sats = btcToSats(m.paid, 'up');
      if (sats === 0) continue; // unused methods are left out, as the writer leaves them out
      const split = (splits[m.invoice_id] ??= {});
      split[m.payment_method_id] = (split[m.payment_method_id] ?? 0) + sats;
    }
    const texts: Record<string, string> = {};
    for (const [id, split] of Object.entries(splits)) {
      const sorted: Record<string, number> = {};
      for (const k of Object.keys(split).sort()) sorted[k] = split[k]!;
      texts[id] = JSON.stringify(sorted);
    }
    await sql`
      update invoices set btc_paid_by_method = (select value from json_each(${JSON.stringify(texts)}) j where j.key = invoices.id)
      where id in (select key from json_each(${JSON.stringify(texts)}))`.execute(db);
  }

  await db.schema
    .createTable('store_payment_method_totals')
    .addColumn('store_id', 'text', (c) => c.notNull())
    .addColumn('payment_method', 'text', (c) => c.notNull())
    .addColumn('raised_sats', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('store_payment_method_totals_pk', ['store_id', 'payment_method'])
    .execute();
  // Raised invoices add their split; a method sats came through on an invoice not raised (yet) gets
  // its row with 0; sats of raised invoices that no stored method accounts for count as 'unknown'.
  await sql`
    insert into store_payment_method_totals (store_id, payment_method, raised_sats)
    select i.store_id, j.key, sum(case when i.counts_as_raised = 1 then j.value else 0 end)
    from invoices i, json_each(i.btc_paid_by_method) j
    group by i.store_id, j.key`.execute(db);
  await sql`
    insert into store_payment_method_totals (store_id, payment_method, raised_sats)
    select store_id, 'unknown', sum(btc_paid_sats - (select coalesce(sum(j.value), 0) from json_each(btc_paid_by_method) j)) rest
    from invoices where counts_as_raised = 1
    group by store_id having rest != 0`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('store_payment_method_totals').ifExists().execute();
  await db.schema.alterTable('invoices').dropColumn('btc_paid_by_method').execute();
}
