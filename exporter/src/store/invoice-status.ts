// Which status wins when webhook events arrive out of order (BTCPay's per-webhook queue and its
// retries reorder them): applied by the webhook delivery write, inside its transaction, against the
// stored row. Pure functions; what an event reports is webhooks/event-status.ts.
import type { InvoiceStatus } from './schema.js';

export interface StatusPair {
  status: InvoiceStatus;
  additionalStatus: string;
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
