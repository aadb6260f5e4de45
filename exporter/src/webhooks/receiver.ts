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
import type { Database } from '../store/schema.js';
import type { Logger } from '../log.js';
import type { InvoiceRecord } from '../store/invoices.js';
import { UNKNOWN_LABEL } from '../metrics/labels.js';
import { pruneBatch, type DeliveryLogEntry, type DeliveryResult } from '../store/webhook-log.js';
import { createRefreshDebouncer, type RefreshDebouncer, type RefreshInvoices } from './refresh-debouncer.js';
import { KNOWN_EVENT_TYPES } from '../metrics/labels.js';
import { parseWebhookBody, type InvoiceEvent } from './body-schemas.js';
import { signaturePreview, verifySignature } from './signature.js';
import { placeholderStatus, statusFromEvent } from './event-status.js';
import type { CounterBump, DeliveryWriteResult, InvoiceChange, RecordJob } from '../store/webhook-deliveries.js';
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

/** Placeholder expiry for invoices only a webhook told us about: keeps them open until the sync knows better. */
export const UNKNOWN_MONITORING_EXPIRATION = 253_402_300_799; // 9999-12-31T23:59:59Z

type DeliveryIds = Pick<
  DeliveryLogEntry,
  'storeId' | 'webhookId' | 'deliveryId' | 'originalDeliveryId' | 'eventType' | 'invoiceId' | 'isRedelivery'
>;

const TRANSIENT_SQLITE = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_CANTOPEN']);

/** Faults worth a 503 (BTCPay retries it): a busy or full database, an I/O error. */
export function isTransientDbError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && [...TRANSIENT_SQLITE].some((c) => code === c || code.startsWith(`${c}_`));
}

function eventLabel(type: string): string {
  return KNOWN_EVENT_TYPES.includes(type) ? type : 'other';
}

export function createWebhookReceiver(o: WebhookReceiverOptions): WebhookReceiver {
  const now = o.now ?? (() => Math.floor(Date.now() / 1000));
  const log = o.log.child({ component: 'webhooks' });
  const refresh: RefreshDebouncer | undefined = o.refreshInvoices
    ? createRefreshDebouncer({ refreshInvoices: o.refreshInvoices, log, delayMs: o.refreshDelayMs })
    : undefined;
  let warnedNoSecret = false;

  if (o.secret === undefined) {
    log.warn('no webhook secret is configured (BTCPAY_WEBHOOK_SECRET): every webhook delivery will be rejected with 401');
  }

  const writer = createWebhookWriter({ sqlite: o.sqlite, db: o.db, log, worker: o.writerThread });
  const record = (entry: DeliveryLogEntry | undefined, bumps: CounterBump[]) => {
    const job: RecordJob = entry ? { kind: 'record', entry, bumps } : { kind: 'record', bumps };
    return writer.run(job);
  };

  async function refuse(
    reason: 'missing_signature' | 'bad_signature',
    status: number,
    signature: string | undefined,
    at: number,
  ): Promise<DeliveryOutcome> {
    await record({ receivedAt: at, verified: false, result: reason, httpStatus: status, signaturePreview: signaturePreview(signature) }, [
      { storeId: UNKNOWN_LABEL, counter: 'requests', label: UNKNOWN_LABEL },
      { storeId: UNKNOWN_LABEL, counter: 'verification_failures', label: reason },
    ]);
    return { status, result: reason };
  }

  /**
   * What the event may do to its invoice, decided without the database; the writer reads the
   * stored invoice in the delivery's savepoint and applies the status precedence there.
   */
  function invoiceChange(e: InvoiceEvent): InvoiceChange {
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

  async function receive(body: Uint8Array, signature: string | undefined): Promise<DeliveryOutcome> {
    const at = now();
    if (o.secret === undefined) {
      if (!warnedNoSecret) {
        warnedNoSecret = true;
        log.warn('webhook delivery rejected: no webhook secret is configured');
      } else {
        log.debug('webhook delivery rejected: no webhook secret is configured');
      }
      const reason = signature === undefined || signature.trim() === '' ? 'missing_signature' : 'bad_signature';
      return refuse(reason, 401, signature, at);
    }
    const check = verifySignature(body, signature, o.secret);
    if (!check.ok) {
      log.warn({ reason: check.reason, signature: signaturePreview(signature), bytes: body.length }, 'webhook delivery failed verification');
      return refuse(check.reason, 401, signature, at);
    }

    const preview = signaturePreview(signature);
    // Decoded once: stored as the payload and parsed (no copy of the bytes).
    const payload = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
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
    const invoiceId = parsed.kind === 'invoice' ? parsed.event.invoiceId : null;
    const originalDeliveryId = e.originalDeliveryId ?? e.deliveryId;
    const ids: DeliveryIds = {
      storeId: e.storeId,
      webhookId: e.webhookId,
      deliveryId: e.deliveryId,
      originalDeliveryId,
      eventType: e.type,
      invoiceId,
      isRedelivery: e.isRedelivery ?? null,
    };
    if (!stores.has(e.storeId)) {
      log.warn({ storeId: e.storeId, type: e.type }, 'verified webhook delivery from a store that is not configured');
      await record({ receivedAt: at, verified: true, result: 'unknown_store', httpStatus: 422, signaturePreview: preview, payload, ...ids }, [
        { storeId: UNKNOWN_LABEL, counter: 'requests', label: event },
        { storeId: UNKNOWN_LABEL, counter: 'verification_failures', label: 'unknown_store' },
      ]);
      return { status: 422, result: 'unknown_store' };
    }

    let result: DeliveryResult;
    let otherStore: string | undefined;
    try {
      ({ result, otherStore } = (await writer.run({
        kind: 'delivery',
        at,
        webhookId: e.webhookId,
        originalDeliveryId,
        entry: { signaturePreview: preview, payload, ...ids },
        storeId: e.storeId,
        event,
        ...(parsed.kind === 'invoice' ? { invoice: invoiceChange(parsed.event) } : {}),
      })) as DeliveryWriteResult);
    } catch (err) {
      const status = isTransientDbError(err) ? 503 : 500;
      log.error({ err, storeId: e.storeId, type: e.type, status }, 'webhook delivery could not be stored; BTCPay will retry it');
      await recordError(e.storeId, event, preview, ids, status, at);
      return { status, result: 'error' };
    }
    if (otherStore !== undefined) {
      log.warn({ invoiceId, storeId: e.storeId, knownStore: otherStore }, 'webhook names another store for a known invoice; invoice left unchanged');
    }

    log.debug({ storeId: e.storeId, type: e.type, invoiceId, result }, 'webhook delivery stored');
    if (result === 'accepted' && invoiceId !== null) refresh?.schedule(e.storeId, invoiceId);
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

  async function recordRefused(result: 'too_large' | 'malformed', status: number, signature: string | undefined): Promise<void> {
    try {
      await record({ receivedAt: now(), verified: false, result, httpStatus: status, signaturePreview: signaturePreview(signature) }, [
        { storeId: UNKNOWN_LABEL, counter: 'requests', label: UNKNOWN_LABEL },
      ]);
    } catch (err) {
      log.error({ err }, 'could not record a refused webhook request');
    }
  }

  let rateLimited = 0;
  async function flushRateLimited(): Promise<void> {
    const n = rateLimited;
    if (n === 0) return;
    rateLimited = 0;
    try {
      await record(undefined, [{ storeId: UNKNOWN_LABEL, counter: 'requests', label: UNKNOWN_LABEL, by: n }]);
    } catch (err) {
      rateLimited += n;
      log.warn({ err }, 'could not record rate-limited webhook requests; will retry');
    }
  }
  let rateLimitTimer: NodeJS.Timeout | undefined;
  function countRateLimited(): void {
    rateLimited += 1;
    if (!rateLimitTimer) {
      rateLimitTimer = setTimeout(() => {
        rateLimitTimer = undefined;
        void flushRateLimited();
      }, 1000);
      rateLimitTimer.unref();
    }
  }

  async function prune(): Promise<number> {
    if (!o.retention) return 0;
    let total = 0;
    // Small batches, each its own statement, yielding in between so ingest is never held up.
    for (let i = 0; i < 10_000; i++) {
      const n = await pruneBatch(o.db, { now: now(), retentionDays: o.retention.retentionDays, maxRows: o.retention.maxRows });
      total += n;
      if (n === 0) break;
      await new Promise((r) => setImmediate(r));
    }
    if (total > 0) log.debug({ deleted: total }, 'webhook log pruned');
    return total;
  }

  let pruneTimer: NodeJS.Timeout | undefined;
  let pruning: Promise<unknown> = Promise.resolve();
  if (o.retention) {
    const run = () => {
      pruning = prune().catch((err: unknown) => log.warn({ err }, 'webhook log pruning failed'));
    };
    run();
    pruneTimer = setInterval(run, o.retention.intervalMs ?? 60_000);
    pruneTimer.unref();
  }

  return {
    receive,
    recordRefused,
    countRateLimited,
    prune,
    async close() {
      if (pruneTimer) clearInterval(pruneTimer);
      if (rateLimitTimer) clearTimeout(rateLimitTimer);
      rateLimitTimer = undefined;
      await flushRateLimited();
      refresh?.close();
      await pruning;
      await writer.close();
    },
  };
}
