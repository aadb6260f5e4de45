// Payment methods and payments of invoices (migration 002). Written in the caller's transaction
// next to the invoice rows (InvoiceWriter.replacePayments), so both always describe the same moment.
import type BetterSqlite3 from 'better-sqlite3';
import { prepared } from './connection.js';

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

/** The payment methods (with their payments) the API reported now for one invoice. */
export interface InvoicePayments {
  invoiceId: string;
  methods: readonly PaymentMethodRecord[];
}

/**
 * Replaces everything stored for these invoices by what the API reported now, with cached prepared
 * statements. Synchronous; call it through InvoiceWriter.replacePayments inside the page's
 * transaction, after the invoice rows exist.
 */
export function replaceInvoicePayments(sqlite: BetterSqlite3.Database, entries: readonly InvoicePayments[]): void {
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
