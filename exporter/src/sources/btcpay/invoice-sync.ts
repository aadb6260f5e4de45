// Invoice sync of one BTCPay store (source `btcpay:<storeId>`).
//
// The list endpoint is newest first with offset paging, and new invoices shift the offsets, so
// every pass pages inside a fixed startDate/endDate window (both inclusive) with an explicit take
// and de-duplicates by id. The first run pulls the whole history and records a resume point after
// every page (in the page's own transaction), so a run killed part-way continues where it stopped.
// Later runs re-fetch a recent window plus every invoice that is not final yet: there is no
// "updated since" filter, and old invoices still change (expiry, late payment, confirmation).
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { sqliteOf, withRelaxedDurability } from '../../store/connection.js';
import type { Database } from '../../store/schema.js';
import type { Logger } from '../../log.js';
import type { SyncContext, SyncJob } from '../../sources/sync-job.js';
import { SyncError } from '../sync-error.js';
import { getCursor, setCursor } from '../../store/sync-runs.js';
import type { GreenfieldClient } from './greenfield-client.js';
import type { Invoice, PaymentMethod } from './greenfield-schemas.js';
import { invoiceToRecord } from './invoice-record.js';
import { createInvoiceWriter, ensureStoreTotals, getInvoices, type InvoiceRecord, type StatusChangeHook } from '../../store/invoices.js';

/** The client calls the sync needs (a narrower type keeps fakes in tests small). */
export type InvoiceApi = Pick<GreenfieldClient, 'listInvoices' | 'getInvoice' | 'getInvoicePaymentMethods'>;

export interface InvoiceSyncOptions {
  db: Kysely<Database>;
  client: InvoiceApi;
  storeId: string;
  /** Later runs re-fetch invoices created this many seconds back (SYNC_RECENT_WINDOW_HOURS). */
  recentWindowSeconds: number;
  log: Logger;
  /** Invoices per request (`take`). */
  pageSize?: number;
  /** Up to this many old non-final invoices are fetched by id; more widen the list window instead. */
  maxSingleFetches?: number;
  /** Parallel payment-method requests on servers older than 2.4 (no includePaymentMethods). */
  paymentMethodConcurrency?: number;
  onStatusChange?: StatusChangeHook;
  /** Work that builds on the store's invoices (crowdfund progress), run inside the store's lock. */
  followUp?: StoreFollowUp;
  now?: () => number;
}

/**
 * Runs after the store's invoices are written, while the store's lock is held, so a scheduled run
 * and a webhook-triggered refresh never interleave with it.
 */
export interface StoreFollowUp {
  /** After each scheduled run; a failure fails the run (source `btcpay:<storeId>`). */
  afterSync(ctx: SyncContext, store: LockedStore): Promise<void>;
  /** After a targeted refresh, with the invoices just fetched and stored. */
  afterRefresh(invoices: readonly Invoice[], store: LockedStore): Promise<void>;
}

/** What a follow-up may do with the store while its lock is held. */
export interface LockedStore {
  readonly storeId: string;
  /** Fetches invoices by id (with payment methods) and stores them through the one write path. */
  fetchAndStore(ids: readonly string[], signal?: AbortSignal): Promise<Invoice[]>;
}

/** Resume state kept in sync_state.cursor (JSON). */
interface Cursor {
  v: 1;
  phase: 'history' | 'incremental';
  /** Fixed end of the first sync's window (unix s). */
  historyEnd: number;
  /** First sync only: invoices created at or before this are still to fetch. */
  resumeEnd?: number;
  /** End of the last completed incremental window; the next window starts no later than this. */
  syncedUntil?: number;
}

interface Item {
  invoice: Invoice;
  /** undefined: not known now, keep what is stored. */
  methods: PaymentMethod[] | undefined;
}

function parseCursor(raw: string | null): Cursor | undefined {
  if (raw === null) return undefined;
  try {
    const c = JSON.parse(raw) as Partial<Cursor>;
    if (c.v === 1 && (c.phase === 'history' || c.phase === 'incremental') && typeof c.historyEnd === 'number') {
      return c as Cursor;
    }
  } catch {
    // fall through: an unreadable cursor means a fresh first sync, which is safe (idempotent).
  }
  return undefined;
}

/** WAL pages (4 KiB) before a checkpoint while sync pages are written (SQLite's default is 1000). */
const PAGE_WAL_AUTOCHECKPOINT = 4000;

const iso = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

/** Serialises the scheduled run and webhook-triggered refreshes of one store. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.tail.then(fn, fn);
    this.tail = p.catch(() => undefined);
    return p;
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new SyncError('aborted', 'sync aborted (the exporter is stopping)');
}

export class InvoiceSyncJob implements SyncJob {
  readonly source: string;
  readonly storeId: string;
  private readonly pageSize: number;
  private readonly maxSingleFetches: number;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly mutex = new Mutex();
  /** The connection behind opts.db, for the page writes' prepared statements. */
  private readonly sqlite: BetterSqlite3.Database;
  /** Whether the server embeds payment methods (includePaymentMethods, BTCPay 2.4+). Detected once. */
  private embed: 'unknown' | 'yes' | 'no' = 'unknown';

  constructor(private readonly opts: InvoiceSyncOptions) {
    this.storeId = opts.storeId;
    this.source = `btcpay:${opts.storeId}`;
    this.pageSize = opts.pageSize ?? 500;
    this.maxSingleFetches = opts.maxSingleFetches ?? 200;
    this.concurrency = opts.paymentMethodConcurrency ?? 4;
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.sqlite = sqliteOf(opts.db);
  }

  run(ctx: SyncContext): Promise<void> {
    return this.mutex.run(async () => {
      await this.sync(ctx);
      await this.opts.followUp?.afterSync(ctx, this.locked(ctx.log));
    });
  }

  /**
   * Fetches the given invoices by id and stores them (the webhook receiver calls this after a
   * verified event). Shares the store's lock with the scheduled run, so the two never interleave.
   */
  refreshInvoices(invoiceIds: string[]): Promise<void> {
    const ids = [...new Set(invoiceIds)];
    if (ids.length === 0) return Promise.resolve();
    return this.mutex.run(async () => {
      const locked = this.locked(this.opts.log);
      const invoices = await locked.fetchAndStore(ids);
      await this.opts.followUp?.afterRefresh(invoices, locked);
    });
  }

  /** The store handle given to follow-ups; only ever created while the lock is held. */
  private locked(log: Logger): LockedStore {
    return {
      storeId: this.storeId,
      fetchAndStore: async (ids, signal) => {
        const out: Invoice[] = [];
        for (let i = 0; i < ids.length; i += 50) {
          throwIfAborted(signal);
          const invoices = await this.fetchByIds(ids.slice(i, i + 50), signal, log);
          await this.writePage(await this.withMethods(invoices, signal), undefined);
          out.push(...invoices);
        }
        return out;
      },
    };
  }

  private async sync(ctx: SyncContext): Promise<void> {
    await ensureStoreTotals(this.opts.db, this.storeId);
    let cursor = parseCursor(await getCursor(this.opts.db, this.source));
    if (cursor === undefined || cursor.phase === 'history') cursor = await this.history(ctx, cursor);
    await this.incremental(ctx, cursor);
  }

  // ---- first sync ---------------------------------------------------------------------------

  private async history(ctx: SyncContext, resume: Cursor | undefined): Promise<Cursor> {
    const start = this.now();
    const cursor: Cursor = resume ?? { v: 1, phase: 'history', historyEnd: start, resumeEnd: start };
    if (!resume) await setCursor(this.opts.db, this.source, JSON.stringify(cursor));
    const endDate = cursor.resumeEnd ?? cursor.historyEnd;
    const total = await this.count(endDate, ctx.signal);
    ctx.log.info(
      { storeId: this.storeId, invoices: total, createdUntil: iso(endDate) },
      resume ? 'resuming the first sync of the invoice history' : 'first sync of the invoice history',
    );

    // Ids of the last two pages only: a page shifted by an invoice created or removed meanwhile
    // repeats the previous page's last ids, never older ones; a set of every id would be the one
    // thing of the first sync that grows with the store (≈ 10 MB at 100,000 invoices, 100 MB at 1M).
    // A repeat that got past it anyway would be harmless: writing an unchanged invoice moves no total.
    const seen = new RecentIds();
    let skip = 0;
    let fetched = 0;
    let written = 0;
    let lastStep = -1;
    const fetchPage = (from: number) => {
      const p = this.opts.client.listInvoices(
        this.storeId,
        { endDate, skip: from, take: this.pageSize, includeArchived: true, includePaymentMethods: this.embed !== 'no' },
        ctx.signal,
      );
      p.catch(() => undefined); // awaited below; a failure while a page is written must not go unhandled
      return p;
    };
    let pending = fetchPage(0);
    for (;;) {
      throwIfAborted(ctx.signal);
      const page = await pending;
      skip += page.length;
      const done = page.length < this.pageSize;
      // The next page is requested before this one is written, so BTCPay prepares it meanwhile
      // (the write is synchronous SQLite work; one turn of the event loop puts the request on the
      // wire first). Pages are still written one at a time, in order, each with its resume point.
      if (!done) {
        pending = fetchPage(skip);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const next: Cursor = done
        ? { v: 1, phase: 'incremental', historyEnd: cursor.historyEnd, syncedUntil: cursor.historyEnd }
        : { ...cursor, resumeEnd: Math.min(...page.map((i) => i.createdTime)) };
      const fresh = this.fresh(page, seen);
      seen.nextPage();
      const pageWritten = await this.writePage(await this.withMethods(fresh, ctx.signal), next);
      fetched += page.length;
      written += pageWritten;
      ctx.progress({ fetched: page.length, written: pageWritten });

      const percent = total > 0 ? Math.min(100, Math.floor((fetched / total) * 100)) : 100;
      const step = Math.floor(percent / 5);
      if (step !== lastStep || done) {
        lastStep = step;
        ctx.log.info(
          { storeId: this.storeId, fetched, total, percent, written, reachedCreated: page.length ? iso(Math.min(...page.map((i) => i.createdTime))) : undefined },
          done ? 'invoice history synced' : 'invoice history sync progress',
        );
      }
      if (done) return next;
    }
  }

  /** Invoices created at or before endDate, found with take=1 probes (a few dozen requests at 100k). */
  private async count(endDate: number, signal: AbortSignal | undefined): Promise<number> {
    const has = async (skip: number) =>
      (await this.opts.client.listInvoices(this.storeId, { endDate, skip, take: 1, includeArchived: true }, signal)).length > 0;
    if (!(await has(0))) return 0;
    let lo = 0;
    let hi = 1;
    while (await has(hi)) {
      lo = hi;
      hi *= 2;
    }
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await has(mid)) lo = mid;
      else hi = mid;
    }
    return lo + 1;
  }

  // ---- later syncs --------------------------------------------------------------------------

  private async incremental(ctx: SyncContext, cursor: Cursor): Promise<void> {
    const now = this.now();
    // Never leave a gap: after a long outage the window reaches back to where the last one ended.
    const start = Math.min(now - this.opts.recentWindowSeconds, cursor.syncedUntil ?? cursor.historyEnd);
    const inWindow = await this.syncWindow(ctx, start, now);

    const open = await this.opts.db
      .selectFrom('invoices')
      .select(['id', 'created_time'])
      .where('store_id', '=', this.storeId)
      .where('is_final', '=', 0)
      .where('created_time', '<', start)
      .orderBy('created_time')
      .execute();
    let reopened = 0;
    if (open.length > this.maxSingleFetches) {
      reopened = await this.syncWindow(ctx, open[0]!.created_time, start - 1);
    } else {
      for (let i = 0; i < open.length; i += 50) {
        throwIfAborted(ctx.signal);
        const invoices = await this.fetchByIds(open.slice(i, i + 50).map((o) => o.id), ctx.signal, ctx.log);
        const written = await this.writePage(await this.withMethods(invoices, ctx.signal), undefined);
        ctx.progress({ fetched: invoices.length, written });
        reopened += invoices.length;
      }
    }
    await setCursor(this.opts.db, this.source, JSON.stringify({ ...cursor, phase: 'incremental', syncedUntil: now }));
    ctx.log.info(
      { storeId: this.storeId, windowStart: iso(start), inWindow, olderOpenInvoices: open.length, refetchedOlder: reopened },
      'invoices re-synced',
    );
  }

  /** Pages through [startDate, endDate]; returns the number of invoices fetched. */
  private async syncWindow(ctx: SyncContext, startDate: number, endDate: number): Promise<number> {
    const seen = new Set<string>();
    let skip = 0;
    for (;;) {
      throwIfAborted(ctx.signal);
      const page = await this.opts.client.listInvoices(
        this.storeId,
        { startDate, endDate, skip, take: this.pageSize, includeArchived: true, includePaymentMethods: this.embed !== 'no' },
        ctx.signal,
      );
      skip += page.length;
      const written = await this.writePage(await this.withMethods(this.fresh(page, seen), ctx.signal), undefined);
      ctx.progress({ fetched: page.length, written });
      if (page.length < this.pageSize) return skip;
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private fresh(page: Invoice[], seen: { has(id: string): boolean; add(id: string): unknown }): Invoice[] {
    const out: Invoice[] = [];
    for (const inv of page) {
      if (seen.has(inv.id) || inv.storeId !== this.storeId) continue;
      seen.add(inv.id);
      out.push(inv);
    }
    return out;
  }

  private async fetchByIds(ids: string[], signal: AbortSignal | undefined, log: Logger): Promise<Invoice[]> {
    const out: Invoice[] = [];
    await this.pool(ids, async (id) => {
      try {
        out.push(await this.opts.client.getInvoice(this.storeId, id, { includePaymentMethods: this.embed !== 'no' }, signal));
      } catch (err) {
        // BTCPay answers 403 (sometimes 404) for an id it no longer knows; the list still works,
        // so this is about one invoice, not the key. Keep the stored row and go on.
        if (err instanceof SyncError && (err.reason === 'missing_permission' || err.reason === 'not_found')) {
          log.warn({ storeId: this.storeId, invoiceId: id, reason: err.reason }, 'invoice could not be re-fetched; keeping the stored state');
          return;
        }
        throw err;
      }
    });
    return out;
  }

  /**
   * Attaches payment methods. BTCPay 2.4+ embeds them (includePaymentMethods=true); older servers
   * silently ignore the flag, which shows as empty lists, so the first such page is probed through
   * the payment-methods endpoint once and the answer is remembered.
   */
  private async withMethods(invoices: Invoice[], signal: AbortSignal | undefined): Promise<Item[]> {
    if (invoices.length === 0) return [];
    if (this.embed === 'yes') return invoices.map((invoice) => ({ invoice, methods: invoice.paymentMethods ?? [] }));
    if (this.embed === 'unknown') {
      if (invoices.some((i) => (i.paymentMethods?.length ?? 0) > 0)) {
        this.embed = 'yes';
        return invoices.map((invoice) => ({ invoice, methods: invoice.paymentMethods ?? [] }));
      }
      const first = invoices[0]!;
      const probe = await this.opts.client.getInvoicePaymentMethods(this.storeId, first.id, signal);
      if (probe.length === 0) {
        // Still undecided (this invoice really has none); the others stay "not known now".
        return invoices.map((invoice) => ({ invoice, methods: invoice === first ? [] : undefined }));
      }
      this.embed = 'no';
      this.opts.log.info(
        { storeId: this.storeId },
        'BTCPay does not embed payment methods in invoices (server older than 2.4); fetching them per invoice',
      );
    }
    // Older server: one request per invoice, except final invoices whose amounts we already have.
    const stored = await this.opts.db
      .selectFrom('invoices')
      .select(['id', 'status', 'additional_status', 'is_final', 'amounts_synced'])
      .where('id', 'in', invoices.map((i) => i.id))
      .execute();
    const known = new Map(stored.map((r) => [r.id, r]));
    const items: Item[] = invoices.map((invoice) => ({ invoice, methods: undefined }));
    const need = items.filter(({ invoice }) => {
      const row = known.get(invoice.id);
      return !(row && row.is_final === 1 && row.amounts_synced === 1 && row.status === invoice.status && row.additional_status === invoice.additionalStatus);
    });
    await this.pool(need, async (item) => {
      item.methods = await this.opts.client.getInvoicePaymentMethods(this.storeId, item.invoice.id, signal);
    });
    return items;
  }

  private async pool<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length) await fn(items[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, items.length) }, worker));
  }

  /**
   * One transaction: the invoices, their payments, their totals, status-change hooks and the
   * cursor. The rows go through cached prepared statements on the connection behind the
   * transaction (the store's InvoiceWriter); the hooks read through `trx` and write on that connection.
   */
  private async writePage(items: Item[], cursor: Cursor | undefined): Promise<number> {
    if (items.length === 0 && cursor === undefined) return 0;
    const now = this.now();
    const write = (db: Kysely<Database>) => db.transaction().execute(async (trx) => {
      // Payment methods not known now: keep the stored amounts (older servers, final invoices).
      const unknown = items.filter((i) => i.methods === undefined).map((i) => i.invoice.id);
      const previous = unknown.length > 0 ? await getInvoices(trx, unknown) : new Map<string, InvoiceRecord>();
      const recs = items.map(({ invoice, methods }) => invoiceToRecord(invoice, methods, methods === undefined ? previous.get(invoice.id) : undefined));
      const writer = createInvoiceWriter(this.sqlite);
      const results = writer.upsertPage(recs, now);
      writer.replacePayments(items.flatMap(({ invoice, methods }) => (methods === undefined ? [] : [{ invoiceId: invoice.id, methods }])));
      let written = 0;
      for (const [i, res] of results.entries()) {
        const rec = recs[i]!;
        if (res.outcome !== 'unchanged') written++;
        const prev = res.previous;
        if (
          res.outcome === 'updated' &&
          prev &&
          this.opts.onStatusChange &&
          (prev.status !== rec.status || prev.additionalStatus !== rec.additionalStatus)
        ) {
          await this.opts.onStatusChange(trx, {
            storeId: this.storeId,
            invoiceId: rec.id,
            from: { status: prev.status, additionalStatus: prev.additionalStatus },
            to: { status: rec.status, additionalStatus: rec.additionalStatus },
            detectedAt: now,
          }, this.sqlite);
        }
      }
      if (cursor) await setCursor(trx, this.source, JSON.stringify(cursor));
      return written;
    });
    // A page lost to a power cut is fetched again (its resume point is lost with it), so its commit
    // need not wait for the disk; fewer, larger checkpoints too (a page dirties a few hundred
    // pages of random-key indexes). Webhook commits stay fully durable.
    return withRelaxedDurability(this.opts.db, write, { walAutocheckpoint: PAGE_WAL_AUTOCHECKPOINT });
  }
}

/** The ids of the current and the previous page (the first sync's bounded de-duplication). */
class RecentIds {
  #previous = new Set<string>();
  #current = new Set<string>();
  has(id: string): boolean {
    return this.#current.has(id) || this.#previous.has(id);
  }
  add(id: string): void {
    this.#current.add(id);
  }
  /** The page was taken in: its ids become the previous page's. */
  nextPage(): void {
    this.#previous = this.#current;
    this.#current = new Set();
  }
}
