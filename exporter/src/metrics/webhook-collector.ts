// BTCPay webhook health per store, read from webhook_counters and webhook_store_state (a few rows
// per scrape). Counters are persisted by the receiver, so they stay monotonic across restarts.
import { Counter, Gauge } from 'prom-client';
import type { Kysely } from 'kysely';
import { readWebhookTotals } from '../store/running-totals.js';
import type { Database } from '../store/schema.js';
import { INVOICE_EVENT_TYPES, UNKNOWN_LABEL, VERIFICATION_FAILURE_REASONS } from './labels.js';
import type { Collector, PromRegistry } from './registry.js';

export class WebhookCollector implements Collector {
  readonly name = 'btcpay_webhooks';
  private readonly requests: Counter<'store' | 'event'>;
  private readonly failures: Counter<'store' | 'reason'>;
  private readonly duplicates: Counter<'store'>;
  private readonly missed: Counter<'store'>;
  private readonly lastVerified: Gauge<'store'>;
  private readonly deliveryFailures: Gauge<'store'>;

  /** `stores` are the BTCPay stores the receiver accepts; only they (and `unknown`) become labels. */
  constructor(
    registry: PromRegistry,
    private readonly db: Kysely<Database>,
    private readonly stores: () => readonly string[],
  ) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'btcpay_webhook_requests_total',
      help: 'Webhook requests received, failed and duplicate ones included; store and event are "unknown" where the body cannot be trusted.',
      labelNames: ['store', 'event'] as const,
      registers,
    });
    this.failures = new Counter({
      name: 'btcpay_webhook_verification_failures_total',
      help: 'Webhook requests refused: missing_signature, bad_signature, unknown_store or malformed.',
      labelNames: ['store', 'reason'] as const,
      registers,
    });
    this.duplicates = new Counter({
      name: 'btcpay_webhook_duplicates_total',
      help: 'Verified webhook deliveries already processed (redeliveries and replays), answered 2xx without effect.',
      labelNames: ['store'] as const,
      registers,
    });
    this.missed = new Counter({
      name: 'btcpay_webhook_missed_total',
      help: 'Invoice status changes the sync found that no verified webhook had reported.',
      labelNames: ['store'] as const,
      registers,
    });
    this.lastVerified = new Gauge({
      name: 'btcpay_webhook_last_verified_timestamp_seconds',
      help: 'Unix time of the last verified webhook delivery of a store; 0 if none yet.',
      labelNames: ['store'] as const,
      registers,
    });
    this.deliveryFailures = new Gauge({
      name: 'btcpay_webhook_delivery_failures',
      help: 'Failed or HttpError deliveries among the latest deliveries BTCPay lists for the store webhook(s); 0 when not readable.',
      labelNames: ['store'] as const,
      registers,
    });
  }

  async collect(): Promise<void> {
    const { counters, states } = await readWebhookTotals(this.db);
    const stores = [...new Set(this.stores())];
    const known = new Set(stores);
    for (const m of [this.requests, this.failures, this.duplicates, this.missed, this.lastVerified, this.deliveryFailures]) m.reset();
    if (stores.length === 0 && counters.length === 0) return;

    for (const store of stores) {
      for (const event of INVOICE_EVENT_TYPES) this.requests.inc({ store, event }, 0);
      this.duplicates.inc({ store }, 0);
      this.missed.inc({ store }, 0);
      const s = states.find((r) => r.store_id === store);
      this.lastVerified.set({ store }, s?.last_verified_at ?? 0);
      this.deliveryFailures.set({ store }, s?.delivery_failures ?? 0);
    }
    this.requests.inc({ store: UNKNOWN_LABEL, event: UNKNOWN_LABEL }, 0);
    for (const store of [...stores, UNKNOWN_LABEL]) {
      for (const reason of VERIFICATION_FAILURE_REASONS) this.failures.inc({ store, reason }, 0);
    }

    for (const c of counters) {
      // A store dropped from the configuration stops being exported, like a finished sync source.
      if (c.store_id !== UNKNOWN_LABEL && !known.has(c.store_id)) continue;
      const store = c.store_id;
      switch (c.counter) {
        case 'requests':
          this.requests.inc({ store, event: c.label }, c.count);
          break;
        case 'verification_failures':
          this.failures.inc({ store, reason: c.label }, c.count);
          break;
        case 'duplicates':
          this.duplicates.inc({ store }, c.count);
          break;
        case 'missed':
          this.missed.inc({ store }, c.count);
          break;
      }
    }
  }
}
