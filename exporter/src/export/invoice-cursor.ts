// Reads the stored invoices for an export, newest first across all stores, one row at a time.
// Each export has its own query-only connection to the database file and one read transaction on
// it: every row comes from one snapshot (WAL readers see the database as of their first read,
// whatever is committed meanwhile), and the exporter's main connection stays free for scrapes and
// syncs while a client downloads slowly. Memory does not grow with the number of invoices: each
// store is read in pages of PAGE_ROWS along its (store_id, created_time) index and the stores'
// pages are merged here, so nothing sorts (or holds) the whole table.
import BetterSqlite3 from 'better-sqlite3';
import { BUSY_TIMEOUT_MS } from '../store/connection.js';
import { raiseTimeSql } from '../store/raise-time.js';
import type { InvoiceStatus } from '../store/schema.js';
import type { InvoiceFilters } from './parameters.js';

/** One exported invoice: the stored values, times as ISO 8601 UTC. */
export interface ExportedInvoice {
  store: string;
  invoice_id: string;
  created_time: string;
  status: InvoiceStatus;
  additional_status: string;
  currency: string;
  /** BTCPay's exact decimal string; null for top-up invoices without a price. */
  amount: string | null;
  btc_paid_sats: number;
  counts_as_raised: boolean;
  /** db/raise-time.ts: latest accounted payment, else creation time; null when not raised. */
  raise_time: string | null;
  order_id: string | null;
  item_code: string | null;
  archived: boolean;
}

/** Column order of the CSV and key order of the JSON objects. */
export const EXPORT_COLUMNS = [
  'store',
  'invoice_id',
  'created_time',
  'status',
  'additional_status',
  'currency',
  'amount',
  'btc_paid_sats',
  'counts_as_raised',
  'raise_time',
  'order_id',
  'item_code',
  'archived',
] as const satisfies ReadonlyArray<keyof ExportedInvoice>;

interface StoredRow {
  store_id: string;
  id: string;
  created_time: number;
  status: InvoiceStatus;
  additional_status: string;
  currency: string;
  amount: string | null;
  btc_paid_sats: number;
  counts_as_raised: number;
  raise_time: number | null;
  order_id: string | null;
  item_code: string | null;
  archived: number;
}

/** Unix seconds as ISO 8601 UTC without milliseconds (`2025-01-31T12:00:00Z`). */
export function isoSeconds(t: number): string {
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}

/** The exported columns of `invoices i`, the raise time computed by the one rule (db/raise-time.ts). */
export const EXPORT_SELECT = `i.store_id, i.id, i.created_time, i.status, i.additional_status, i.currency, i.amount,
  i.btc_paid_sats, i.counts_as_raised, ${raiseTimeSql('i')} as raise_time, i.order_id, i.item_code, i.archived`;

/** Rows per page of one store. */
const PAGE_ROWS = 1000;

type Params = Record<string, string | number>;

/**
 * One page of one store's invoices, newest first (ties by id), after the keyset (@t, @id) when
 * `after`. The (store_id, created_time) index delivers the order, so nothing sorts the whole table.
 */
function pageQuery(filters: InvoiceFilters, after: boolean): { sql: string; params: Params } {
  const where = ['i.store_id = @store'];
  const params: Params = {};
  if (filters.statuses && filters.statuses.length > 0) {
    where.push(`i.status in (${filters.statuses.map((_, n) => `@status${n}`).join(', ')})`);
    filters.statuses.forEach((s, n) => (params[`status${n}`] = s));
  }
  if (filters.from !== undefined) {
    where.push('i.created_time >= @from');
    params.from = filters.from;
  }
  if (filters.to !== undefined) {
    where.push('i.created_time <= @to');
    params.to = filters.to;
  }
  if (filters.raised !== undefined) {
    where.push('i.counts_as_raised = @raised');
    params.raised = filters.raised ? 1 : 0;
  }
  if (after) where.push('i.created_time <= @t and (i.created_time < @t or i.id < @id)');
  const sql = `select ${EXPORT_SELECT} from invoices i where ${where.join(' and ')}
    order by i.created_time desc, i.id desc limit ${PAGE_ROWS}`;
  return { sql, params };
}

/** SQLite's BINARY order of two strings (UTF-8 bytes, that is code points), as -1, 0 or 1. */
export function compareBinary(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length < b.length ? -1 : 1;
  // UTF-16 code units order like code points except around surrogates.
  const x = a.codePointAt(i)!;
  const y = b.codePointAt(i)!;
  return x < y ? -1 : 1;
}

/** Newest first; ties by id, descending, as SQLite orders them. */
const newerFirst = (a: StoredRow, b: StoredRow) => b.created_time - a.created_time || compareBinary(b.id, a.id);

function toExported(r: StoredRow): ExportedInvoice {
  return {
    store: r.store_id,
    invoice_id: r.id,
    created_time: isoSeconds(r.created_time),
    status: r.status,
    additional_status: r.additional_status,
    currency: r.currency,
    amount: r.amount,
    btc_paid_sats: r.btc_paid_sats,
    counts_as_raised: r.counts_as_raised === 1,
    raise_time: r.raise_time === null ? null : isoSeconds(r.raise_time),
    order_id: r.order_id,
    item_code: r.item_code,
    archived: r.archived === 1,
  };
}

/** The database cannot be exported from (missing, not migrated, unreadable). */
export class ExportSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportSourceError';
  }
}

export interface InvoiceCursor {
  /** The rows; iterate once. Ending the iteration early (break, return()) closes the cursor. */
  rows: Generator<ExportedInvoice, void, undefined>;
  /** Rows handed out so far. */
  readonly count: number;
  /** Closes the connection; safe to call more than once, also when never iterated. */
  close(): void;
}

/**
 * Opens the database file `path` query-only and prepares the export. Fails here, before the first
 * row, when the file is missing or holds no migrated exporter database.
 */
export function openInvoiceCursor(path: string, filters: InvoiceFilters): InvoiceCursor {
  let db: BetterSqlite3.Database;
  try {
    db = new BetterSqlite3(path, { fileMustExist: true });
  } catch (err) {
    throw new ExportSourceError(`cannot open the database ${path}: ${(err as Error).message}`);
  }
  const close = () => {
    if (db.open) db.close();
  };
  try {
    db.pragma('query_only = ON');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // A 2 MB page cache instead of the default 16 MB: an export reads each page about once, and the
    // cache would otherwise grow with the database up to that size.
    db.pragma('cache_size = -2000');
    // One read transaction for the whole export: every page comes from the same snapshot.
    db.exec('begin');
    const stores =
      filters.store !== undefined
        ? [filters.store]
        : (db.prepare('select distinct store_id from invoices order by store_id').pluck().all() as string[]);
    const first = pageQuery(filters, false);
    const next = pageQuery(filters, true);
    const firstPage = db.prepare<[Params], StoredRow>(first.sql);
    const nextPage = db.prepare<[Params], StoredRow>(next.sql);
    let count = 0;
    /** Each store's pages, merged newest first across stores. */
    function* rows(): Generator<ExportedInvoice, void, undefined> {
      try {
        const heads = stores.map((store) => {
          const page = firstPage.all({ ...first.params, store });
          return { store, page, at: 0, full: page.length === PAGE_ROWS };
        });
        for (;;) {
          let best: (typeof heads)[number] | undefined;
          for (const h of heads) {
            if (h.at === h.page.length) {
              if (!h.full) continue;
              const last = h.page[h.page.length - 1]!;
              h.page = nextPage.all({ ...next.params, store: h.store, t: last.created_time, id: last.id });
              h.at = 0;
              h.full = h.page.length === PAGE_ROWS;
              if (h.page.length === 0) continue;
            }
            if (!best || newerFirst(h.page[h.at]!, best.page[best.at]!) < 0) best = h;
          }
          if (!best) return;
          count += 1;
          yield toExported(best.page[best.at++]!);
        }
      } finally {
        close();
      }
    }
    return {
      rows: rows(),
      get count() {
        return count;
      },
      close,
    };
  } catch (err) {
    close();
    const message = (err as Error).message;
    throw new ExportSourceError(
      /no such (table|column)/.test(message)
        ? `${path} is not a migrated crowdfund-exporter database (${message}); run "crowdfund-exporter migrate" or start the exporter once`
        : `cannot read invoices from ${path}: ${message}`,
    );
  }
}
