// Optional webhook administration through the Greenfield API, against the two small interfaces
// the Greenfield client implements: register (or find) the exporter's webhook in a store, and
// read the store webhooks' delivery lists for failed deliveries. Both need
// btcpay.store.webhooks.canmodifywebhooks; without it (403) they log once and carry on.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { Logger } from '../../log.js';
import { reasonOf } from '../sync-error.js';
import { setDeliveryFailures } from '../../store/webhook-log.js';
import { INVOICE_EVENT_TYPES } from '../../metrics/labels.js';

export interface WebhookSummary {
  id: string;
  url: string;
  enabled?: boolean | null;
  automaticRedelivery?: boolean | null;
}

export interface WebhookDeliverySummary {
  id: string;
  timestamp: number;
  deliveryTime?: number | null;
  httpCode?: number | null;
  errorMessage?: string | null;
  status: string; // Failed | HttpError | HttpSuccess
}

export interface WebhookCreateRequest {
  url: string;
  secret: string;
  enabled: boolean;
  automaticRedelivery: boolean;
  authorizedEvents: { everything: boolean; specificEvents?: string[] };
}

export interface WebhookLister {
  listWebhooks(storeId: string): Promise<WebhookSummary[]>;
}

export interface WebhookDeliveryReader extends WebhookLister {
  listWebhookDeliveries(storeId: string, webhookId: string, count?: number): Promise<WebhookDeliverySummary[]>;
}

export interface WebhookRegistrar extends WebhookLister {
  createWebhook(storeId: string, req: WebhookCreateRequest): Promise<WebhookSummary>;
}

/** A 403 from BTCPay: the key lacks the webhook permission (client SyncError or a bare status). */
export function isForbidden(err: unknown): boolean {
  if (reasonOf(err) === 'missing_permission') return true;
  const status = (err as { status?: unknown; statusCode?: unknown }).status ?? (err as { statusCode?: unknown }).statusCode;
  return status === 403;
}

const sameUrl = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

export type RegistrationOutcome = 'found' | 'created' | 'not_allowed' | 'failed';

/**
 * Finds a webhook with the exporter's URL in the store or creates one with automatic redelivery,
 * for every invoice event. Never throws: registration is a convenience, not a start-up condition.
 */
export async function ensureWebhookRegistered(o: {
  client: WebhookRegistrar;
  storeId: string;
  url: string;
  secret: string;
  log: Logger;
}): Promise<RegistrationOutcome> {
  const log = o.log.child({ component: 'webhooks', storeId: o.storeId });
  try {
    const hooks = await o.client.listWebhooks(o.storeId);
    const mine = hooks.find((h) => sameUrl(h.url, o.url));
    if (mine) {
      if (mine.enabled === false || mine.automaticRedelivery === false) {
        log.warn({ webhookId: mine.id, enabled: mine.enabled, automaticRedelivery: mine.automaticRedelivery }, 'the exporter webhook exists in BTCPay but is disabled or has automatic redelivery off');
      } else {
        log.info({ webhookId: mine.id }, 'exporter webhook already registered in BTCPay');
      }
      return 'found';
    }
    const created = await o.client.createWebhook(o.storeId, {
      url: o.url,
      secret: o.secret,
      enabled: true,
      automaticRedelivery: true,
      authorizedEvents: { everything: false, specificEvents: [...INVOICE_EVENT_TYPES] },
    });
    log.info({ webhookId: created.id, url: o.url }, 'registered the exporter webhook in BTCPay');
    return 'created';
  } catch (err) {
    if (isForbidden(err)) {
      log.info('the API key may not manage webhooks (btcpay.store.webhooks.canmodifywebhooks); register the webhook by hand');
      return 'not_allowed';
    }
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not register the exporter webhook');
    return 'failed';
  }
}

export interface DeliveryFailureChecker {
  /** Reads the latest deliveries of the store's webhooks and stores the failure count. */
  check(storeId: string): Promise<number | undefined>;
}

/**
 * Counts Failed/HttpError deliveries among the latest `count` of each webhook pointing at the
 * exporter (every webhook of the store when `url` is not given) and stores the number for
 * btcpay_webhook_delivery_failures{store}. A 403 is logged once per store and then skipped quietly.
 */
export function createDeliveryFailureChecker(o: {
  db: Kysely<Database>;
  client: WebhookDeliveryReader;
  log: Logger;
  url?: string;
  count?: number;
  now?: () => number;
}): DeliveryFailureChecker {
  const now = o.now ?? (() => Math.floor(Date.now() / 1000));
  const count = o.count ?? 50;
  const forbidden = new Set<string>();
  const log = o.log.child({ component: 'webhooks' });
  return {
    async check(storeId) {
      try {
        const hooks = (await o.client.listWebhooks(storeId)).filter((h) => o.url === undefined || sameUrl(h.url, o.url));
        let failures = 0;
        for (const h of hooks) {
          const deliveries = await o.client.listWebhookDeliveries(storeId, h.id, count);
          failures += deliveries.filter((d) => d.status === 'Failed' || d.status === 'HttpError').length;
        }
        await setDeliveryFailures(o.db, storeId, failures, now());
        forbidden.delete(storeId);
        return failures;
      } catch (err) {
        if (isForbidden(err)) {
          if (!forbidden.has(storeId)) {
            forbidden.add(storeId);
            log.info({ storeId }, 'the API key may not read webhook deliveries; btcpay_webhook_delivery_failures stays 0');
          }
          return undefined;
        }
        log.warn({ storeId, err: err instanceof Error ? err.message : String(err) }, 'could not read webhook deliveries');
        return undefined;
      }
    },
  };
}
