// Missed-webhook detection: the invoice sync calls this hook (inside its page transaction) for
// every status change it finds. If no verified webhook announced the new status for that invoice,
// a webhook was missed (dropped, failed, or still stuck in BTCPay's retry queue behind a failed
// delivery, which is worth an alert too) and btcpay_webhook_missed_total{store} goes up.
import type { Logger } from '../log.js';
import type { StatusChangeHook } from '../store/invoices.js';
import { bumpWebhookCounter, hasVerifiedEvent } from '../store/webhook-log.js';
import { eventsAnnouncing } from './event-status.js';

export interface MissedWebhookDetectorOptions {
  log: Logger;
}

export function createMissedWebhookDetector(o: MissedWebhookDetectorOptions): StatusChangeHook {
  return async (db, change, sqlite) => {
    const expected = eventsAnnouncing(change.to);
    // BTCPay sends no event for some changes (a fall back to New); those are never "missed".
    if (expected.length === 0) return;
    if (await hasVerifiedEvent(db, change.invoiceId, expected)) return;
    bumpWebhookCounter(sqlite, change.storeId, 'missed');
    o.log.info(
      { storeId: change.storeId, invoiceId: change.invoiceId, from: change.from, to: change.to, expected },
      'sync found a status change no verified webhook reported',
    );
  };
}
