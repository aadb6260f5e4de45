// What an invoice event says about the invoice's status: the status it reports, the placeholder for an
// invoice never seen, and which events announce a status (the missed-webhook detector). Pure functions.
// Which status wins when events arrive out of order is the store's rule (store/invoice-status.ts).
import type { InvoiceRecord } from '../store/invoices.js';
import type { StatusPair } from '../store/invoice-status.js';
import type { InvoiceChange } from '../store/webhook-deliveries.js';
import type { InvoiceEventType } from '../metrics/labels.js';
import type { InvoiceEvent } from './body-schemas.js';

/**
 * The status an event reports, or undefined for events that do not settle a status on their own
 * (a payment seen or settled, a refund): those only schedule a fetch of the invoice.
 */
export function statusFromEvent(e: Pick<InvoiceEvent, 'type' | 'manuallyMarked' | 'overPaid' | 'partiallyPaid'>): StatusPair | undefined {
  switch (e.type) {
    case 'InvoiceCreated':
      return { status: 'New', additionalStatus: 'None' };
    case 'InvoiceProcessing':
      return { status: 'Processing', additionalStatus: e.overPaid ? 'PaidOver' : 'None' };
    case 'InvoiceSettled':
      return { status: 'Settled', additionalStatus: e.manuallyMarked ? 'Marked' : e.overPaid ? 'PaidOver' : 'None' };
    case 'InvoiceExpired':
      return { status: 'Expired', additionalStatus: e.partiallyPaid ? 'PaidPartial' : 'None' };
    case 'InvoiceExpiredPaidPartial':
      return { status: 'Expired', additionalStatus: 'PaidPartial' };
    case 'InvoicePaidAfterExpiration':
      return { status: 'Expired', additionalStatus: 'PaidLate' };
    case 'InvoiceInvalid':
      return { status: 'Invalid', additionalStatus: e.manuallyMarked ? 'Marked' : 'None' };
    case 'InvoiceReceivedPayment':
    case 'InvoicePaymentSettled':
    case 'InvoiceRefund':
      return undefined;
  }
}

/** The status to give an invoice we have never seen, for events that carry none. */
export function placeholderStatus(e: Pick<InvoiceEvent, 'type' | 'afterExpiration'>): StatusPair {
  if (e.type === 'InvoiceReceivedPayment' || e.type === 'InvoicePaymentSettled') {
    return e.afterExpiration ? { status: 'Expired', additionalStatus: 'None' } : { status: 'New', additionalStatus: 'None' };
  }
  return { status: 'New', additionalStatus: 'None' };
}

/**
 * The events by which BTCPay announces that an invoice reached `to`; empty when no event exists
 * for that change (a fall back to New), which is then never a missed webhook.
 */
export function eventsAnnouncing(to: StatusPair): InvoiceEventType[] {
  switch (to.status) {
    case 'New':
      return to.additionalStatus === 'PaidPartial' ? ['InvoiceReceivedPayment'] : [];
    case 'Processing':
      return ['InvoiceProcessing'];
    case 'Settled':
      return ['InvoiceSettled'];
    case 'Invalid':
      return ['InvoiceInvalid'];
    case 'Expired':
      if (to.additionalStatus === 'PaidLate') return ['InvoicePaidAfterExpiration'];
      if (to.additionalStatus === 'PaidPartial') return ['InvoiceExpired', 'InvoiceExpiredPaidPartial'];
      return ['InvoiceExpired'];
  }
}

/** Placeholder expiry for invoices only a webhook told us about: keeps them open until the sync knows better. */
export const UNKNOWN_MONITORING_EXPIRATION = 253_402_300_799; // 9999-12-31T23:59:59Z

/**
 * What the event may do to its invoice, decided without the database; the writer reads the
 * stored invoice in the delivery's savepoint and applies the status precedence there.
 */
export function invoiceChange(e: InvoiceEvent): InvoiceChange {
  const reported = statusFromEvent(e);
  // For an invoice the database does not know yet. Amounts are unknown until the targeted
  // fetch; see docs/webhooks.md for how this counts.
  const s = reported ?? placeholderStatus(e);
  const orderId = typeof e.metadata?.orderId === 'string' ? e.metadata.orderId : null;
  const itemCode = typeof e.metadata?.itemCode === 'string' ? e.metadata.itemCode : null;
  const placeholder: InvoiceRecord = {
    id: e.invoiceId,
    storeId: e.storeId,
    status: s.status,
    additionalStatus: s.additionalStatus,
    currency: '',
    amount: null,
    btcPaidSats: 0,
    createdTime: e.timestamp,
    expirationTime: e.timestamp,
    monitoringExpiration: UNKNOWN_MONITORING_EXPIRATION,
    archived: false,
    orderId,
    itemCode,
    amountsSynced: false,
    statusSource: 'webhook',
  };
  return { invoiceId: e.invoiceId, storeId: e.storeId, reported, manuallyMarked: e.manuallyMarked === true, placeholder };
}
