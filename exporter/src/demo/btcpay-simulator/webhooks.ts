// Webhooks of the simulated stores and their deliveries, made like BTCPay's WebhookSender
// (FACTS.md a–c): the body is serialised once (Newtonsoft indented, BTCPay's key order), signed
// with HMAC-SHA256 over those exact bytes (`BTCPay-Sig: sha256=<hex>`), and sent as is. Failed
// attempts (no HTTP code, 408, 429, 5xx) are retried after 10 s, 1 min, then 6 × 10 min, each retry
// a new deliveryId with the same originalDeliveryId and body timestamp; deliveries of one webhook
// go through one sequential queue. Time scales down for tests; faults drop or mis-sign deliveries.
import { createHmac } from 'node:crypto';
import { request } from 'undici';
import type { Logger } from '../../log.js';
import type { SimClock } from './clock.js';
import type { SimEvent } from './model.js';
import { newtonsoftIndented } from './newtonsoft-json.js';
import { notifyWebhook } from './observer.js';
import type { Rng } from './rng.js';

/** Waits after the failed first attempt, in seconds (WebhookSender). */
export const REDELIVERY_SCHEDULE_SECONDS = [10, 60, 600, 600, 600, 600, 600, 600] as const;
export const SIMULATED_BTCPAY_VERSION = '2.4.1';

export interface SimWebhook {
  id: string;
  storeId: string;
  url: string;
  secret: string;
  enabled: boolean;
  automaticRedelivery: boolean;
  authorizedEvents: { everything: boolean; specificEvents: string[] };
  /** Newest first, like the deliveries endpoint. */
  deliveries: SimDelivery[];
}

export interface SimDelivery {
  id: string;
  /** When the attempt was made (new for each attempt). */
  timestamp: number;
  deliveryTime: number;
  httpCode: number | null;
  errorMessage: string | null;
  status: 'Failed' | 'HttpError' | 'HttpSuccess';
  type: string;
  originalDeliveryId: string;
  isRedelivery: boolean;
  /** The exact bytes sent. */
  body: string;
  signature: string;
}

export interface WebhookFaults {
  /** Share of events never delivered at all (as if BTCPay restarted with the retry pending). */
  dropRate: number;
  /** Share of attempts signed with a wrong key. */
  misSignRate: number;
}

export interface WebhookSenderOptions {
  clock: SimClock;
  rng: Rng;
  /** Multiplies the redelivery waits (1 = real time; 0.001 turns 10 min into 0.6 s). */
  retryScale?: number;
  /** Per attempt; BTCPay's HttpClient default is 100 s. */
  timeoutMs?: number;
  log?: Logger;
}

export function signBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex')}`;
}

/** The event as BTCPay serialises it: specific fields, then the common ones, then store/invoice/metadata. */
export function eventBody(
  event: Pick<SimEvent, 'type' | 'storeId' | 'extra' | 'timestamp'> & { invoiceId: string; metadata: Record<string, unknown> },
  ids: { deliveryId: string; webhookId: string; originalDeliveryId: string; isRedelivery: boolean },
): string {
  return newtonsoftIndented({
    ...event.extra,
    deliveryId: ids.deliveryId,
    webhookId: ids.webhookId,
    originalDeliveryId: ids.originalDeliveryId,
    isRedelivery: ids.isRedelivery,
    type: event.type,
    timestamp: event.timestamp,
    storeId: event.storeId,
    invoiceId: event.invoiceId,
    metadata: event.metadata,
  });
}

const isRetryable = (code: number | null) => code === null || code === 408 || code === 429 || code >= 500;

export class WebhookSender {
  readonly faults: WebhookFaults = { dropRate: 0, misSignRate: 0 };
  readonly stats = { attempts: 0, succeeded: 0, failed: 0, dropped: 0, misSigned: 0 };
  private readonly hooks = new Map<string, SimWebhook>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private readonly abort = new AbortController();
  private closed = false;

  constructor(private readonly opts: WebhookSenderOptions) {}

  add(storeId: string, input: Partial<Omit<SimWebhook, 'id' | 'storeId' | 'deliveries'>> & { url: string }): SimWebhook {
    const hook: SimWebhook = {
      id: this.opts.rng.base58(16),
      storeId,
      url: input.url,
      secret: input.secret && input.secret !== '' ? input.secret : this.opts.rng.base58(16),
      enabled: input.enabled ?? true,
      automaticRedelivery: input.automaticRedelivery ?? true,
      authorizedEvents: input.authorizedEvents ?? { everything: true, specificEvents: [] },
      deliveries: [],
    };
    this.hooks.set(hook.id, hook);
    return hook;
  }

  get(webhookId: string): SimWebhook | undefined {
    return this.hooks.get(webhookId);
  }

  list(storeId: string): SimWebhook[] {
    return [...this.hooks.values()].filter((h) => h.storeId === storeId);
  }

  /** Queues the event for every matching webhook of its store. */
  dispatch(event: SimEvent): void {
    if (this.closed) return;
    for (const hook of this.list(event.storeId)) {
      if (!hook.enabled) continue;
      if (!hook.authorizedEvents.everything && !hook.authorizedEvents.specificEvents.includes(event.type)) continue;
      if (this.faults.dropRate > 0 && this.opts.rng.chance(this.faults.dropRate)) {
        this.stats.dropped += 1;
        continue;
      }
      // Snapshot now: the invoice keeps changing while the delivery waits in the queue.
      const snapshot = {
        type: event.type,
        storeId: event.storeId,
        extra: event.extra,
        timestamp: event.timestamp,
        invoiceId: event.invoice.id,
        metadata: structuredClone(event.invoice.metadata),
      };
      const prev = this.queues.get(hook.id) ?? Promise.resolve();
      const next = prev.then(() => this.deliver(hook, snapshot)).catch((err: unknown) => {
        this.opts.log?.debug({ err }, 'simulated webhook delivery stopped');
      });
      this.queues.set(hook.id, next);
    }
  }

  /** Resolves when every queued delivery (and its retries) has finished. */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.queues.values()];
      await Promise.all(pending);
      if ([...this.queues.values()].every((p, i) => p === pending[i]) && this.queues.size === pending.length) return;
    }
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
    for (const t of this.timers) {
      clearTimeout(t.timer);
      t.resolve();
    }
    this.timers.clear();
  }

  private async deliver(
    hook: SimWebhook,
    event: Parameters<typeof eventBody>[0],
  ): Promise<void> {
    let originalDeliveryId: string | undefined;
    for (let attempt = 0; attempt <= REDELIVERY_SCHEDULE_SECONDS.length; attempt++) {
      if (this.closed) return;
      const deliveryId = this.opts.rng.base58(16);
      originalDeliveryId ??= deliveryId;
      const body = eventBody(event, { deliveryId, webhookId: hook.id, originalDeliveryId, isRedelivery: attempt > 0 });
      const misSign = this.faults.misSignRate > 0 && this.opts.rng.chance(this.faults.misSignRate);
      if (misSign) this.stats.misSigned += 1;
      const signature = signBody(body, misSign ? `${hook.secret}-wrong` : hook.secret);
      const record = await this.send(hook, body, signature);
      hook.deliveries.unshift({ ...record, id: deliveryId, type: event.type, originalDeliveryId, isRedelivery: attempt > 0, body, signature });
      if (hook.deliveries.length > 1000) hook.deliveries.length = 1000;
      if (record.status === 'HttpSuccess') {
        this.stats.succeeded += 1;
        return;
      }
      this.stats.failed += 1;
      if (!isRetryable(record.httpCode) || !hook.automaticRedelivery || !hook.enabled) return;
      const wait = REDELIVERY_SCHEDULE_SECONDS[attempt];
      if (wait === undefined) return;
      await this.sleep(wait * 1000 * (this.opts.retryScale ?? 1));
    }
  }

  private async send(
    hook: SimWebhook,
    body: string,
    signature: string,
  ): Promise<Pick<SimDelivery, 'timestamp' | 'deliveryTime' | 'httpCode' | 'errorMessage' | 'status'>> {
    this.stats.attempts += 1;
    notifyWebhook({ url: hook.url, body, signature });
    const timestamp = this.opts.clock.now();
    try {
      const res = await request(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': `BTCPayServer/${SIMULATED_BTCPAY_VERSION}`,
          'btcpay-sig': signature,
        },
        body: Buffer.from(body, 'utf8'),
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.opts.timeoutMs ?? 100_000)]),
      });
      await res.body.dump();
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return {
        timestamp,
        deliveryTime: this.opts.clock.now(),
        httpCode: res.statusCode,
        errorMessage: ok ? null : `HTTP Error Code ${res.statusCode}`,
        status: ok ? 'HttpSuccess' : 'HttpError',
      };
    } catch (err) {
      return {
        timestamp,
        deliveryTime: this.opts.clock.now(),
        httpCode: null,
        errorMessage: err instanceof Error ? err.message : String(err),
        status: 'Failed',
      };
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      entry.timer.unref();
      this.timers.add(entry);
    });
  }
}
