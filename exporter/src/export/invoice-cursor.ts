// Reads the stored invoices for an export, newest first, one row at a time. Each export has its
// own query-only connection to the database file: its rows come from one snapshot (WAL readers see
// the database as of their first read, whatever is committed meanwhile), the exporter's main
// connection stays free for scrapes and syncs while a client downloads slowly, and memory does not
// grow with the number of invoices (better-sqlite3 steps the statement as the consumer pulls).
import BetterSqlite3 from 'better-sqlite3';
import { BUSY_TIMEOUT_MS } from '../db/connection.js';
import { raiseTimeSql } from '../db/raise-time.js';
import type { InvoiceStatus } from '../db/schema.js';
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

/** The export's query and its parameters; newest first across all stores, ties by id. */
export function exportQuery(filters: InvoiceFilters): { sql: string; params: Record<string, string | number> } {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  if (filters.store !== undefined) {
    where.push('i.store_id = @store');
    params.store = filters.store;
  }
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
  const sql = `select i.store_id, i.id, i.created_time, i.status, i.additional_status, i.currency, i.amount,
      i.btc_paid_sats, i.counts_as_raised, ${raiseTimeSql('i')} as raise_time, i.order_id, i.item_code, i.archived
    from invoices i
    ${where.length > 0 ? `where ${where.join(' and ')}` : ''}
    order by i.created_time desc, i.id desc`;
  return { sql, params };
}

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
  let stmt: BetterSqlite3.Statement<[Record<string, string | number>], StoredRow>;
  try {
    db.pragma('query_only = ON');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const q = exportQuery(filters);
    stmt = db.prepare<[Record<string, string | number>], StoredRow>(q.sql);
    const params = q.params;
    let count = 0;
    function* rows(): Generator<ExportedInvoice, void, undefined> {
      try {
        for (const r of stmt.iterate(params)) {
          count += 1;
          yield toExported(r);
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
