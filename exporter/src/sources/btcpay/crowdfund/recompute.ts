// Recomputes a crowdfund app's progress from what the database holds: the app's settings snapshot,
// its attributed invoices (or every store invoice when the app counts them all), their payment
// methods and payments. Read, compute and write are one transaction, so a concurrent write can
// never slip between what was read and what is stored.
import type { Kysely } from 'kysely';
import type { CrowdfundAppRow, Database, InvoiceStatus } from '../../../store/schema.js';
import type { Db } from '../../../store/invoices.js';
import { saveCrowdfundProgress } from '../../../store/crowdfund.js';
import { progressSettingsOf } from './settings.js';
import { computeCrowdfundProgress, type CrowdfundProgress, type PaymentStatus, type ProgressInvoice, type ProgressPayment, type ProgressPaymentMethod } from './progress.js';
import { resetWindow } from './reset-window.js';

const PAYMENT_STATUSES: readonly string[] = ['Invalid', 'Processing', 'Settled'];

/** Ids of the app's invoices created at or after `since` (all when null), as a subquery. */
function appInvoiceIds(db: Db, app: CrowdfundAppRow, since: number | null) {
  let q = db.selectFrom('invoices').select('id');
  q =
    app.all_store_invoices === 1
      ? q.where('store_id', '=', app.store_id)
      : q.where('id', 'in', db.selectFrom('crowdfund_app_invoices').select('invoice_id').where('app_id', '=', app.app_id));
  return since === null ? q : q.where('created_time', '>=', since);
}

/** The app's invoices created at or after `since` (all when null), newest first as BTCPay reads them. */
export async function loadProgressInvoices(db: Db, app: CrowdfundAppRow, since: number | null): Promise<ProgressInvoice[]> {
  const [rows, methods, payments] = await Promise.all([
    db
      .selectFrom('invoices')
      .select(['id', 'status', 'additional_status', 'currency', 'amount', 'created_time', 'expiration_time', 'item_code'])
      .where('id', 'in', appInvoiceIds(db, app, since))
      .orderBy('created_time', 'desc')
      .orderBy('id')
      .execute(),
    db.selectFrom('invoice_payment_methods').selectAll().where('invoice_id', 'in', appInvoiceIds(db, app, since)).execute(),
    db
      .selectFrom('invoice_payments')
      .selectAll()
      .where('invoice_id', 'in', appInvoiceIds(db, app, since))
      .orderBy('received_date')
      .orderBy('payment_id')
      .execute(),
  ]);
  const methodsOf = new Map<string, ProgressPaymentMethod[]>();
  const byMethod = new Map<string, ProgressPaymentMethod & { payments: ProgressPayment[] }>();
  for (const m of methods) {
    const pm = { paymentMethodId: m.payment_method_id, currency: m.currency, rate: m.rate, payments: [] as ProgressPayment[] };
    byMethod.set(`${m.invoice_id}\u0000${m.payment_method_id}`, pm);
    const list = methodsOf.get(m.invoice_id) ?? [];
    list.push(pm);
    methodsOf.set(m.invoice_id, list);
  }
  for (const p of payments) {
    const pm = byMethod.get(`${p.invoice_id}\u0000${p.payment_method_id}`);
    if (!pm) continue;
    // Anything BTCPay might add later is not an accounted payment as far as we know.
    const status = (PAYMENT_STATUSES.includes(p.status) ? p.status : 'Invalid') as PaymentStatus;
    pm.payments.push({ value: p.value, fee: p.fee, status, receivedDate: p.received_date });
  }
  return rows.map((r) => ({
    id: r.id,
    status: r.status as InvoiceStatus,
    additionalStatus: r.additional_status,
    currency: r.currency,
    amount: r.amount,
    createdTime: r.created_time,
    expirationTime: r.expiration_time,
    itemCode: r.item_code,
    paymentMethods: methodsOf.get(r.id) ?? [],
  }));
}

/** Recomputes and stores one app's progress; undefined when the app is not (or no longer) stored. */
export async function recomputeCrowdfundProgress(db: Kysely<Database>, appId: string, now: number): Promise<CrowdfundProgress | undefined> {
  return db.transaction().execute(async (trx) => {
    const app = await trx.selectFrom('crowdfund_apps').selectAll().where('app_id', '=', appId).executeTakeFirst();
    if (!app) return undefined;
    const settings = progressSettingsOf(app);
    const window = resetWindow(settings, now);
    const invoices = await loadProgressInvoices(trx, app, window?.start ?? null);
    const progress = computeCrowdfundProgress(settings, invoices, now);
    await saveCrowdfundProgress(trx, appId, progress, now);
    return progress;
  });
}
