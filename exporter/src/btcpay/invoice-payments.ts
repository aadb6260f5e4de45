// Payment methods and payments of one invoice (migration 002). Written in the caller's transaction
// next to upsertInvoice, so an invoice row and its payments always describe the same moment.
import type { Db } from './invoice-store.js';
import type { PaymentMethod } from './greenfield-schemas.js';

/** Replaces everything stored for the invoice by what the API reported now. */
export async function replaceInvoicePayments(db: Db, invoiceId: string, methods: readonly PaymentMethod[]): Promise<void> {
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
