// Coalesces targeted invoice fetches: a burst of webhooks for the same invoices (ReceivedPayment,
// Processing, Settled within seconds) becomes one refresh call per store after a short delay.
import type { Logger } from '../log.js';

export type RefreshInvoices = (storeId: string, invoiceIds: string[]) => void | Promise<void>;

export interface RefreshDebouncer {
  /** Asks for a fetch of the invoice; repeated asks before the flush are merged. */
  schedule(storeId: string, invoiceId: string): void;
  /** Pending invoice ids per store (tests, diagnostics). */
  pending(): Map<string, string[]>;
  /** Drops pending work; the next sync catches up with anything not fetched. */
  close(): void;
}

export interface RefreshDebouncerOptions {
  refreshInvoices: RefreshInvoices;
  log: Logger;
  /** Delay from the first ask to the flush; fixed, so constant traffic cannot postpone it forever. */
  delayMs?: number;
  /** Flush at once when a store has this many pending invoices. */
  maxBatch?: number;
}

export function createRefreshDebouncer(o: RefreshDebouncerOptions): RefreshDebouncer {
  const delayMs = o.delayMs ?? 2000;
  const maxBatch = o.maxBatch ?? 100;
  const queued = new Map<string, { ids: Set<string>; timer: NodeJS.Timeout }>();
  let closed = false;

  const flush = (storeId: string) => {
    const entry = queued.get(storeId);
    if (!entry) return;
    clearTimeout(entry.timer);
    queued.delete(storeId);
    const ids = [...entry.ids];
    try {
      // A failed refresh is not fatal: the invoice stays open and the next sync fetches it.
      Promise.resolve(o.refreshInvoices(storeId, ids)).catch((err: unknown) =>
        o.log.warn({ storeId, invoices: ids.length, err }, 'targeted invoice refresh failed'),
      );
    } catch (err) {
      o.log.warn({ storeId, invoices: ids.length, err }, 'targeted invoice refresh failed');
    }
  };

  return {
    schedule(storeId, invoiceId) {
      if (closed) return;
      let entry = queued.get(storeId);
      if (!entry) {
        const timer = setTimeout(() => flush(storeId), delayMs);
        timer.unref();
        entry = { ids: new Set(), timer };
        queued.set(storeId, entry);
      }
      entry.ids.add(invoiceId);
      if (entry.ids.size >= maxBatch) flush(storeId);
    },
    pending() {
      return new Map([...queued].map(([k, v]) => [k, [...v.ids]]));
    },
    close() {
      closed = true;
      for (const e of queued.values()) clearTimeout(e.timer);
      queued.clear();
    },
  };
}
