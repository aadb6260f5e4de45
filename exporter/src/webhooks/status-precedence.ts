// What an invoice event says about the invoice's status, and which status wins when events
// arrive out of order (BTCPay's per-webhook queue and its retries reorder them). Pure functions.
import type { InvoiceStatus } from '../store/schema.js';
import type { InvoiceEvent, InvoiceEventType } from './body-schemas.js';

export interface StatusPair {
  status: InvoiceStatus;
  additionalStatus: string;
}

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
 * How far along its life an invoice is. BTCPay moves New → Processing → Settled|Invalid and
 * New → Expired(→ PaidPartial/PaidLate); a later stage never goes back through a webhook.
 * (Processing can fall back to New after a double spend, but BTCPay sends no event for that:
 * only the sync sees it, and the sync writes without this rule.)
 */
export function stage(s: StatusPair): number {
  switch (s.status) {
    case 'New':
      return s.additionalStatus === 'PaidPartial' ? 1 : 0;
    case 'Processing':
      return 2;
    case 'Expired':
      return s.additionalStatus === 'PaidLate' ? 5 : s.additionalStatus === 'PaidPartial' ? 4 : 3;
    case 'Settled':
    case 'Invalid':
      return 6;
  }
}

/**
 * Whether a webhook's status replaces the stored one. Only a later stage wins; Settled and
 * Invalid are final, except that an operator may mark one as the other (manuallyMarked).
 */
export function shouldApply(current: StatusPair, incoming: StatusPair, manuallyMarked: boolean): boolean {
  const a = stage(current);
  const b = stage(incoming);
  if (a === 6 && b === 6) return manuallyMarked && current.status !== incoming.status;
  return b > a;
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
