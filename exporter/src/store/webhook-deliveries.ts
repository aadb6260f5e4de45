// What one webhook request writes, as plain data, and the synchronous function that writes it.
// The receiver (main thread) decides everything it can without the database (verification,
// parsing, labels, the status an event reports, the placeholder for an unknown invoice) and hands
// a WebhookWriteJob to the writer (store/write-thread.ts), which runs it in its own savepoint of a
// group commit, usually on a worker thread with its own connection. Jobs and results survive
// structured cloning: no functions, no class instances.
import type BetterSqlite3 from 'better-sqlite3';
import { createInvoiceWriter, rowToRecord, type InvoiceRecord } from './invoices.js';
import { createBatchTotals } from './invoice-totals.js';
import type { BatchHooks } from './group-commit.js';
import { createDeliveryLogWriter, type DeliveryLogEntry, type DeliveryResult, type WebhookCounter } from './webhook-log.js';
import { shouldApply, type StatusPair } from './invoice-status.js';

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
  /** The status the event reports, if it reports one (webhooks/event-status.ts statusFromEvent). */
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

export interface WebhookJobRunner {
  /** Runs one job inside the caller's savepoint. */
  run(job: WebhookWriteJob): WebhookWriteResult;
  /** Pass to the group commit: counters, last-verified times and running totals are written once per batch. */
  hooks: BatchHooks;
}

/**
 * Counter increments and last-verified times, summed per batch so each distinct row is written
 * once at the batch's end instead of once per delivery (about a third of the writer's
 * statements). A job's share joins the sums only after its savepoint was released: a delivery
 * rolled back leaves nothing behind.
 */
function counterSums(w: ReturnType<typeof createDeliveryLogWriter>): BatchHooks & {
  bump(storeId: string, counter: WebhookCounter, label?: string, by?: number): void;
  verified(storeId: string, at: number): void;
} {
  let jobBumps: Array<[storeId: string, counter: WebhookCounter, label: string, by: number]> = [];
  let jobVerified: Array<[storeId: string, at: number]> = [];
  const bumps = new Map<string, [storeId: string, counter: WebhookCounter, label: string, by: number]>();
  const verified = new Map<string, number>();
  const reset = () => {
    jobBumps = [];
    jobVerified = [];
    bumps.clear();
    verified.clear();
  };
  return {
    bump(storeId, counter, label = '', by = 1) {
      jobBumps.push([storeId, counter, label, by]);
    },
    verified(storeId, at) {
      jobVerified.push([storeId, at]);
    },
    begin: reset,
    jobEnded(released) {
      if (released) {
        for (const b of jobBumps) {
          const key = `${b[0]}\u0000${b[1]}\u0000${b[2]}`;
          const sum = bumps.get(key);
          if (sum) sum[3] += b[3];
          else bumps.set(key, [...b]);
        }
        for (const [store, at] of jobVerified) verified.set(store, Math.max(verified.get(store) ?? at, at));
      }
      jobBumps = [];
      jobVerified = [];
    },
    end() {
      for (const [store, counter, label, by] of bumps.values()) w.bumpCounter(store, counter, label, by);
      for (const [store, at] of verified) w.setLastVerified(store, at);
      reset();
    },
  };
}

/** Prepares the statements once; `run` runs one job inside the caller's transaction. */
export function createWebhookJobRunner(sqlite: BetterSqlite3.Database): WebhookJobRunner {
  const w = createDeliveryLogWriter(sqlite);
  const totals = createBatchTotals(sqlite);
  const invoices = createInvoiceWriter(sqlite, totals);
  const sums = counterSums(w);
  const hooks: BatchHooks = {
    begin() {
      sums.begin();
      totals.begin();
    },
    jobEnded(released) {
      sums.jobEnded(released);
      totals.jobEnded(released);
    },
    end() {
      sums.end();
      totals.end();
    },
  };

  function applyInvoiceChange(c: InvoiceChange, at: number): string | undefined {
    const existing = invoices.getRow(c.invoiceId);
    if (!existing) {
      invoices.upsert(c.placeholder, at, null);
      return undefined;
    }
    if (existing.store_id !== c.storeId) return existing.store_id;
    const rec = rowToRecord(existing);
    if (c.reported && shouldApply(rec, c.reported, c.manuallyMarked)) {
      invoices.upsert({ ...rec, ...c.reported, statusSource: 'webhook' }, at, existing);
    }
    return undefined;
  }

  function delivery(j: DeliveryJob): DeliveryWriteResult {
    const fresh = w.markSeen(j.webhookId, j.originalDeliveryId, j.at);
    const result: DeliveryResult = !fresh ? 'duplicate' : j.invoice ? 'accepted' : 'ignored';
    w.logDelivery({ ...j.entry, receivedAt: j.at, verified: true, result, httpStatus: 200 });
    sums.bump(j.storeId, 'requests', j.event);
    if (!fresh) sums.bump(j.storeId, 'duplicates');
    sums.verified(j.storeId, j.at);
    const otherStore = fresh && j.invoice ? applyInvoiceChange(j.invoice, j.at) : undefined;
    return otherStore === undefined ? { result } : { result, otherStore };
  }

  return {
    run(job) {
      if (job.kind === 'delivery') return delivery(job);
      if (job.entry) w.logDelivery(job.entry);
      for (const b of job.bumps) sums.bump(b.storeId, b.counter, b.label, b.by);
      return null;
    },
    hooks,
  };
}
