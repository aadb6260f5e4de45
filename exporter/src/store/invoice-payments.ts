// Payment methods and payments of one invoice (migration 002). Written in the caller's transaction
// next to upsertInvoice, so an invoice row and its payments always describe the same moment.
import type BetterSqlite3 from 'better-sqlite3';
import { prepared } from './connection.js';
import type { Db } from './invoices.js';

/** One payment method of an invoice as the store keeps it (the Greenfield PaymentMethod fits it). */
export interface PaymentMethodRecord {
  paymentMethodId: string;
  currency: string;
  rate: string;
  amount: string;
  paymentMethodPaid: string;
  paymentMethodFee: string;
  payments: ReadonlyArray<{ id: string; receivedDate: number; value: string; fee: string; status: string }>;
}

/** Replaces everything stored for the invoice by what the API reported now. */
export async function replaceInvoicePayments(db: Db, invoiceId: string, methods: readonly PaymentMethodRecord[]): Promise<void> {
  await db.deleteFrom('invoice_payments').where('invoice_id', '=', invoiceId).execute();
  await db.deleteFrom('invoice_payment_methods').where('invoice_id', '=', invoiceId).execute();
  if (methods.length === 0) return;
  await db
    .insertInto('invoice_payment_methods')
    .values(
      methods.map((m) => ({
        invoice_id: invoiceId,
        payment_method_id: m.paymentMethodId,
        currency: m.currency,
        rate: m.rate,
        amount: m.amount,
        paid: m.paymentMethodPaid,
        fee: m.paymentMethodFee,
      })),
    )
    // A server listing one method twice must not abort the page; the last one wins.
    .onConflict((oc) => oc.doNothing())
    .execute();
  const payments = methods.flatMap((m) =>
    m.payments.map((p) => ({
      invoice_id: invoiceId,
      payment_method_id: m.paymentMethodId,
      payment_id: p.id,
      received_date: p.receivedDate,
      value: p.value,
      fee: p.fee,
      status: p.status,
    })),
  );
  // SQLite caps bound parameters per statement; payments per invoice are few, but stay safe.
  for (let i = 0; i < payments.length; i += 100) {
    await db
      .insertInto('invoice_payments')
      .values(payments.slice(i, i + 100))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

/**
 * replaceInvoicePayments for a page of invoices, with cached prepared statements (the sync's hot
 * path). Synchronous; call it inside the page's transaction on the connection behind it, after the
 * invoice rows exist. Same result as calling replaceInvoicePayments for each entry in order.
 */
export function replaceInvoicePaymentsMany(
  sqlite: BetterSqlite3.Database,
  entries: ReadonlyArray<{ invoiceId: string; methods: readonly PaymentMethodRecord[] }>,
): void {
  if (entries.length === 0) return;
  // One invoice listed twice: the last entry wins, as with one replace after the other.
  const byInvoice = new Map(entries.map((e) => [e.invoiceId, e.methods]));
  const ids = JSON.stringify([...byInvoice.keys()]);
  prepared(sqlite, 'delete from invoice_payments where invoice_id in (select value from json_each(?))').run(ids);
  prepared(sqlite, 'delete from invoice_payment_methods where invoice_id in (select value from json_each(?))').run(ids);
  const insertMethod = prepared(
    sqlite,
    'insert into invoice_payment_methods (invoice_id, payment_method_id, currency, rate, amount, paid, fee) values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing',
  );
  const insertPayment = prepared(
    sqlite,
    'insert into invoice_payments (invoice_id, payment_method_id, payment_id, received_date, value, fee, status) values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing',
  );
  for (const [invoiceId, methods] of byInvoice) {
    for (const m of methods) {
      insertMethod.run(invoiceId, m.paymentMethodId, m.currency, m.rate, m.amount, m.paymentMethodPaid, m.paymentMethodFee);
    }
    for (const m of methods) {
      for (const p of m.payments) insertPayment.run(invoiceId, m.paymentMethodId, p.id, p.receivedDate, p.value, p.fee, p.status);
    }
  }
}
