// The webhook receiver's core, free of HTTP: verify the signature over the raw bytes, then parse,
// then write everything one delivery changes all-or-nothing (log row, idempotency key, counters,
// invoice status). The caller answers BTCPay with the returned status only after this resolves,
// so a 2xx always means committed.
// Throughput: what a request writes is decided here and handed as plain data to the webhook
// writer (store/write-thread.ts), which runs it on a worker thread with its own connection, in a
// savepoint of a group commit: deliveries that arrive together share one transaction and one
// fsync, and the main thread never waits for SQLite. docs/webhooks.md and bench/RESULTS.md.
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { isTransientDbError } from '../store/connection.js';
import type { Database } from '../store/schema.js';
import type { Logger } from '../log.js';
import type { DeliveryLogEntry, DeliveryResult } from '../store/webhook-log.js';
import { startLogRetention } from './log-retention.js';
import { createRefreshDebouncer, type RefreshDebouncer, type RefreshInvoices } from './refresh-debouncer.js';
import { KNOWN_EVENT_TYPES, UNKNOWN_LABEL } from '../metrics/labels.js';
import { parseWebhookBody } from './body-schemas.js';
import { signaturePreview, verifySignature } from './signature.js';
import { invoiceChange } from './event-status.js';
import type { CounterBump, DeliveryWriteResult, RecordJob } from '../store/webhook-deliveries.js';
import type { ParsedWebhook } from './body-schemas.js';
import { createWebhookWriter } from '../store/write-thread.js';

export interface WebhookReceiverOptions {
  db: Kysely<Database>;
  /** The raw connection under `db` (DatabaseHandle.sqlite): the writer opens its own to the same file. */
  sqlite: BetterSqlite3.Database;
  /** false keeps the writes on the main connection (see store/write-thread.ts); default: a worker thread. */
  writerThread?: boolean;
  log: Logger;
  /** The webhook secret shared by every store; undefined rejects every delivery with 401. */
  secret: string | undefined;
  /** Stores the exporter follows; a verified delivery from any other store gets 422. */
  storeIds: () => readonly string[];
  /** Targeted fetch of invoices after a verified invoice event (debounced here). */
  refreshInvoices?: RefreshInvoices;
  refreshDelayMs?: number;
  retention?: { retentionDays: number; maxRows: number; intervalMs?: number };
  now?: () => number;
}

export interface DeliveryOutcome {
  status: number;
  result: DeliveryResult;
}

export interface WebhookReceiver {
  receive(body: Uint8Array, signature: string | undefined): Promise<DeliveryOutcome>;
  /** Records a request the HTTP layer refused before it could be read (413, unreadable body). */
  recordRefused(result: 'too_large' | 'malformed', status: number, signature: string | undefined): Promise<void>;
  /**
   * Counts a request the rate limit refused (429). Kept in memory and written once a second, so a
   * flood costs one small write per second instead of one per request.
   */
  countRateLimited(): void;
  /** Runs retention to completion once (also runs on a timer when retention is configured). */
  prune(): Promise<number>;
  /** Stops timers and waits for a running prune, so the database can be closed after it. */
  close(): Promise<void>;
}

type DeliveryIds = Pick<
  DeliveryLogEntry,
  'storeId' | 'webhookId' | 'deliveryId' | 'originalDeliveryId' | 'eventType' | 'invoiceId' | 'isRedelivery'
>;

function eventLabel(type: string): string {
  return KNOWN_EVENT_TYPES.includes(type) ? type : 'other';
}

/** Writes a request whose outcome is known without the database: its log row (if any) and counters. */
type RecordRequest = (entry: DeliveryLogEntry | undefined, bumps: CounterBump[]) => Promise<unknown>;

/** Step 1: the signature over the raw bytes. Returns the refusal (401), or undefined when the delivery is authentic. */
function createAuthenticator(o: Pick<WebhookReceiverOptions, 'secret'>, log: Logger, record: RecordRequest) {
  let warnedNoSecret = false;
  if (o.secret === undefined) {
    log.warn('no webhook secret is configured (BTCPAY_WEBHOOK_SECRET): every webhook delivery will be rejected with 401');
  }
  const refuse = async (reason: 'missing_signature' | 'bad_signature', signature: string | undefined, at: number): Promise<DeliveryOutcome> => {
    await record({ receivedAt: at, verified: false, result: reason, httpStatus: 401, signaturePreview: signaturePreview(signature) }, [
      { storeId: UNKNOWN_LABEL, counter: 'requests', label: UNKNOWN_LABEL },
      { storeId: UNKNOWN_LABEL, counter: 'verification_failures', label: reason },
    ]);
    return { status: 401, result: reason };
  };
  return async (body: Uint8Array, signature: string | undefined, at: number): Promise<DeliveryOutcome | undefined> => {
    if (o.secret === undefined) {
      if (!warnedNoSecret) {
        warnedNoSecret = true;
        log.warn('webhook delivery rejected: no webhook secret is configured');
      } else {
        log.debug('webhook delivery rejected: no webhook secret is configured');
      }
      return refuse(signature === undefined || signature.trim() === '' ? 'missing_signature' : 'bad_signature', signature, at);
    }
    const check = verifySignature(body, signature, o.secret);
    if (check.ok) return undefined;
    log.warn({ reason: check.reason, signature: signaturePreview(signature), bytes: body.length }, 'webhook delivery failed verification');
    return refuse(check.reason, signature, at);
  };
}

/** The identifying fields of a parsed delivery, as its log row keeps them. */
function deliveryIds(parsed: Extract<ParsedWebhook, { ok: true }>): DeliveryIds {
  const e = parsed.event;
  return {
    storeId: e.storeId,
    webhookId: e.webhookId,
    deliveryId: e.deliveryId,
    originalDeliveryId: e.originalDeliveryId ?? e.deliveryId,
    eventType: e.type,
    invoiceId: parsed.kind === 'invoice' ? parsed.event.invoiceId : null,
    isRedelivery: e.isRedelivery ?? null,
  };
}

/**
 * Requests the rate limit refused (429), kept in memory and written once a second, so a flood
 * costs one small write per second instead of one per request.
 */
function createRateLimitedCounter(record: RecordRequest, log: Logger) {
  let pending = 0;
  let timer: NodeJS.Timeout | undefined;
  async function flush(): Promise<void> {
    const n = pending;
    if (n === 0) return;
    pending = 0;
    try {
      await record(undefined, [{ storeId: UNKNOWN_LABEL, counter: 'requests', label: UNKNOWN_LABEL, by: n }]);
    } catch (err) {
      pending += n;
      log.warn({ err }, 'could not record rate-limited webhook requests; will retry');
    }
  }
  return {
    count(): void {
      pending += 1;
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        void flush();
      }, 1000);
      timer.unref();
    },
    async close(): Promise<void> {
      if (timer) clearTimeout(timer);
      timer = undefined;
      await flush();
    },
  };
}

export function createWebhookReceiver(o: WebhookReceiverOptions): WebhookReceiver {
  const now = o.now ?? (() => Math.floor(Date.now() / 1000));
  const log = o.log.child({ component: 'webhooks' });
  const refresh: RefreshDebouncer | undefined = o.refreshInvoices
    ? createRefreshDebouncer({ refreshInvoices: o.refreshInvoices, log, delayMs: o.refreshDelayMs })
    : undefined;
  const writer = createWebhookWriter({ sqlite: o.sqlite, db: o.db, log, worker: o.writerThread });
  const record: RecordRequest = (entry, bumps) => {
    const job: RecordJob = entry ? { kind: 'record', entry, bumps } : { kind: 'record', bumps };
    return writer.run(job);
  };
  const authenticate = createAuthenticator(o, log, record);
  const rateLimited = createRateLimitedCounter(record, log);
  const retention = o.retention ? startLogRetention({ db: o.db, log, now, ...o.retention }) : undefined;

  /** Steps 2 and 3: parse the authentic body, then hand what it writes to the writer. */
  async function accept(payload: string, preview: string | null, at: number): Promise<DeliveryOutcome> {
    const stores = new Set(o.storeIds());
    const parsed = parseWebhookBody(payload);
    if (!parsed.ok) {
      const store = parsed.storeId !== undefined && stores.has(parsed.storeId) ? parsed.storeId : UNKNOWN_LABEL;
      log.warn({ store, error: parsed.error }, 'verified webhook delivery is malformed');
      await record(
        { receivedAt: at, verified: true, result: 'malformed', httpStatus: 400, signaturePreview: preview, storeId: parsed.storeId ?? null, payload },
        [
          { storeId: store, counter: 'requests', label: UNKNOWN_LABEL },
          { storeId: store, counter: 'verification_failures', label: 'malformed' },
        ],
      );
      return { status: 400, result: 'malformed' };
    }
    const e = parsed.event;
    const event = eventLabel(e.type);
    const ids = deliveryIds(parsed);
    if (!stores.has(e.storeId)) {
      log.warn({ storeId: e.storeId, type: e.type }, 'verified webhook delivery from a store that is not configured');
      await record({ receivedAt: at, verified: true, result: 'unknown_store', httpStatus: 422, signaturePreview: preview, payload, ...ids }, [
        { storeId: UNKNOWN_LABEL, counter: 'requests', label: event },
        { storeId: UNKNOWN_LABEL, counter: 'verification_failures', label: 'unknown_store' },
      ]);
      return { status: 422, result: 'unknown_store' };
    }

    let outcome: DeliveryWriteResult;
    try {
      outcome = (await writer.run({
        kind: 'delivery',
        at,
        webhookId: e.webhookId,
        originalDeliveryId: e.originalDeliveryId ?? e.deliveryId,
        entry: { signaturePreview: preview, payload, ...ids },
        storeId: e.storeId,
        event,
        ...(parsed.kind === 'invoice' ? { invoice: invoiceChange(parsed.event) } : {}),
      })) as DeliveryWriteResult;
    } catch (err) {
      const status = isTransientDbError(err) ? 503 : 500;
      log.error({ err, storeId: e.storeId, type: e.type, status }, 'webhook delivery could not be stored; BTCPay will retry it');
      await recordError(e.storeId, event, preview, ids, status, at);
      return { status, result: 'error' };
    }
    const { result, otherStore } = outcome;
    if (otherStore !== undefined) {
      log.warn({ invoiceId: ids.invoiceId, storeId: e.storeId, knownStore: otherStore }, 'webhook names another store for a known invoice; invoice left unchanged');
    }
    log.debug({ storeId: e.storeId, type: e.type, invoiceId: ids.invoiceId, result }, 'webhook delivery stored');
    if (result === 'accepted' && ids.invoiceId) refresh?.schedule(e.storeId, ids.invoiceId);
    return { status: 200, result };
  }

  // Best effort: the failed attempt still counts as a request, in its own savepoint.
  async function recordError(store: string, event: string, preview: string | null, ids: DeliveryIds, status: number, at: number): Promise<void> {
    try {
      await record({ receivedAt: at, verified: true, result: 'error', httpStatus: status, signaturePreview: preview, ...ids }, [
        { storeId: store, counter: 'requests', label: event },
      ]);
    } catch (err) {
      log.error({ err }, 'could not record the failed webhook delivery either');
    }
  }

  return {
    async receive(body, signature) {
      const at = now();
      const refused = await authenticate(body, signature, at);
      if (refused) return refused;
      // Decoded once: stored as the payload and parsed (no copy of the bytes).
      const payload = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
      return accept(payload, signaturePreview(signature), at);
    },
    async recordRefused(result, status, signature) {
      try {
        await record({ receivedAt: now(), verified: false, result, httpStatus: status, signaturePreview: signaturePreview(signature) }, [
          { storeId: UNKNOWN_LABEL, counter: 'requests', label: UNKNOWN_LABEL },
        ]);
      } catch (err) {
        log.error({ err }, 'could not record a refused webhook request');
      }
    },
    countRateLimited: () => rateLimited.count(),
    prune: async () => (retention ? retention.prune() : 0),
    async close() {
      await retention?.close();
      await rateLimited.close();
      refresh?.close();
      await writer.close();
    },
  };
}
