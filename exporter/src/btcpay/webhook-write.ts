// What one webhook request writes, as plain data, and the synchronous function that writes it.
// The receiver (main thread) decides everything it can without the database (verification,
// parsing, labels, the status an event reports, the placeholder for an unknown invoice) and hands
// a WebhookWriteJob to the writer (webhook-writer.ts), which runs it in its own savepoint of a
// group commit, usually on a worker thread with its own connection. Jobs and results survive
// structured cloning: no functions, no class instances.
import type BetterSqlite3 from 'better-sqlite3';
import { createInvoiceWriter, type InvoiceRecord } from './invoice-store.js';
import { createDeliveryLogWriter, type DeliveryLogEntry, type DeliveryResult, type WebhookCounter } from './webhook-log.js';
import { shouldApply, type StatusPair } from './webhook-status.js';

export interface CounterBump {
  storeId: string;
  counter: WebhookCounter;
  label?: string;
  by?: number;
}

/** A request whose outcome is known without the database: its log row (if any) and counters. */
export interface RecordJob {
  kind: 'record';
  entry?: DeliveryLogEntry;
  bumps: CounterBump[];
}

/** What a verified invoice event may do to its invoice; the rest is read in the transaction. */
export interface InvoiceChange {
  invoiceId: string;
  storeId: string;
  /** The status the event reports, if it reports one (webhook-status.ts statusFromEvent). */
  reported: StatusPair | undefined;
  manuallyMarked: boolean;
  /** Inserted when the database does not know the invoice yet. */
  placeholder: InvoiceRecord;
}

/** A verified delivery from a followed store: deduplicated, logged, counted, applied. */
export interface DeliveryJob {
  kind: 'delivery';
  at: number;
  webhookId: string;
  originalDeliveryId: string;
  /** The log row without its result, which depends on the idempotency key. */
  entry: Omit<DeliveryLogEntry, 'result' | 'httpStatus' | 'verified' | 'receivedAt'>;
  storeId: string;
  /** The `event` label of btcpay_webhook_requests_total. */
  event: string;
  /** Present for invoice events; absent for events that are logged and ignored. */
  invoice?: InvoiceChange;
}

export type WebhookWriteJob = RecordJob | DeliveryJob;

export interface DeliveryWriteResult {
  result: DeliveryResult;
  /** Set when the event names a known invoice of another store (the invoice was left alone). */
  otherStore?: string;
}

export type WebhookWriteResult = DeliveryWriteResult | null;

/** Prepares the statements once; the returned function runs one job inside the caller's transaction. */
export function createWebhookJobRunner(sqlite: BetterSqlite3.Database): (job: WebhookWriteJob) => WebhookWriteResult {
  const w = createDeliveryLogWriter(sqlite);
  const invoices = createInvoiceWriter(sqlite);

  function applyInvoiceChange(c: InvoiceChange, at: number): string | undefined {
    const existing = invoices.get(c.invoiceId);
    if (!existing) {
      invoices.upsert(c.placeholder, at);
      return undefined;
    }
    if (existing.storeId !== c.storeId) return existing.storeId;
    if (c.reported && shouldApply(existing, c.reported, c.manuallyMarked)) {
      invoices.upsert({ ...existing, ...c.reported, statusSource: 'webhook' }, at);
    }
    return undefined;
  }

  function delivery(j: DeliveryJob): DeliveryWriteResult {
    const fresh = w.markSeen(j.webhookId, j.originalDeliveryId, j.at);
    const result: DeliveryResult = !fresh ? 'duplicate' : j.invoice ? 'accepted' : 'ignored';
    w.logDelivery({ ...j.entry, receivedAt: j.at, verified: true, result, httpStatus: 200 });
    w.bumpCounter(j.storeId, 'requests', j.event);
    if (!fresh) w.bumpCounter(j.storeId, 'duplicates');
    w.setLastVerified(j.storeId, j.at);
    const otherStore = fresh && j.invoice ? applyInvoiceChange(j.invoice, j.at) : undefined;
    return otherStore === undefined ? { result } : { result, otherStore };
  }

  return (job) => {
    if (job.kind === 'delivery') return delivery(job);
    if (job.entry) w.logDelivery(job.entry);
    for (const b of job.bumps) w.bumpCounter(b.storeId, b.counter, b.label, b.by);
    return null;
  };
}
