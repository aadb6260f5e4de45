// The one invoice writer. Sync pages (upsertPage) and the webhook writer thread (upsert, inside the
// group commit) write invoice rows through the same prepared statements, and every write moves the
// running totals (invoice-totals.ts) by the difference in the same transaction; payments of the
// same invoices go through replacePayments (invoice-payments.ts). Synchronous: the caller owns
// the transaction, on the connection behind it (sqliteOf(db) inside a kysely transaction).
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely, Transaction } from 'kysely';
import { prepared, sqliteOf } from './connection.js';
import { replaceInvoicePayments, type InvoicePayments } from './invoice-payments.js';
import { ensureZeroTotals, TotalsDelta, type TotalsSink } from './invoice-totals.js';
import { decodeMethodSplit, encodeMethodSplit, type MethodSplit } from './method-split.js';
import type { Database, InvoiceRow, InvoiceStatus } from './schema.js';

export type Db = Kysely<Database> | Transaction<Database>;

export interface InvoiceRecord {
  id: string;
  storeId: string;
  status: InvoiceStatus;
  additionalStatus: string;
  currency: string;
  amount: string | null;
  btcPaidSats: number;
  /**
   * btcPaidSats by payment method (BTC-CHAIN, BTC-LN, BTC-LNURL, ...), from the same payment
   * methods; omitted while they were never read (then the totals count it as UNKNOWN_METHOD).
   */
  btcPaidByMethod?: MethodSplit;
  createdTime: number;
  expirationTime: number;
  monitoringExpiration: number;
  archived: boolean;
  orderId: string | null;
  itemCode: string | null;
  amountsSynced: boolean;
  statusSource: 'sync' | 'webhook';
}

/** Settled invoices count as raised; so do Expired ones paid late (they received the full amount). */
export function countsAsRaised(status: InvoiceStatus, additionalStatus: string): boolean {
  return status === 'Settled' || (status === 'Expired' && additionalStatus === 'PaidLate');
}

/** Final: nothing can change any more. An Expired invoice can still turn PaidLate until monitoring ends. */
export function isFinal(status: InvoiceStatus, monitoringExpiration: number, now: number): boolean {
  if (status === 'Settled' || status === 'Invalid') return true;
  if (status === 'Expired') return now >= monitoringExpiration;
  return false;
}

function toRow(rec: InvoiceRecord, now: number): InvoiceRow {
  return {
    id: rec.id,
    store_id: rec.storeId,
    status: rec.status,
    additional_status: rec.additionalStatus,
    currency: rec.currency,
    amount: rec.amount,
    btc_paid_sats: rec.btcPaidSats,
    btc_paid_by_method: encodeMethodSplit(rec.btcPaidByMethod),
    created_time: rec.createdTime,
    expiration_time: rec.expirationTime,
    monitoring_expiration: rec.monitoringExpiration,
    archived: rec.archived ? 1 : 0,
    order_id: rec.orderId,
    item_code: rec.itemCode,
    counts_as_raised: countsAsRaised(rec.status, rec.additionalStatus) ? 1 : 0,
    is_final: isFinal(rec.status, rec.monitoringExpiration, now) ? 1 : 0,
    amounts_synced: rec.amountsSynced ? 1 : 0,
    status_source: rec.statusSource,
    updated_at: now,
  };
}

export function rowToRecord(row: InvoiceRow): InvoiceRecord {
  return {
    id: row.id,
    storeId: row.store_id,
    status: row.status,
    additionalStatus: row.additional_status,
    currency: row.currency,
    amount: row.amount,
    btcPaidSats: row.btc_paid_sats,
    ...(row.btc_paid_by_method === '{}' ? {} : { btcPaidByMethod: decodeMethodSplit(row.btc_paid_by_method) }),
    createdTime: row.created_time,
    expirationTime: row.expiration_time,
    monitoringExpiration: row.monitoring_expiration,
    archived: row.archived === 1,
    orderId: row.order_id,
    itemCode: row.item_code,
    amountsSynced: row.amounts_synced === 1,
    statusSource: row.status_source === 'webhook' ? 'webhook' : 'sync',
  };
}

/** Columns whose change matters; updated_at and is_final alone do not make a write. */
function sameContent(a: InvoiceRow, b: InvoiceRow): boolean {
  return (
    a.store_id === b.store_id &&
    a.status === b.status &&
    a.additional_status === b.additional_status &&
    a.currency === b.currency &&
    a.amount === b.amount &&
    a.btc_paid_sats === b.btc_paid_sats &&
    a.btc_paid_by_method === b.btc_paid_by_method &&
    a.created_time === b.created_time &&
    a.expiration_time === b.expiration_time &&
    a.monitoring_expiration === b.monitoring_expiration &&
    a.archived === b.archived &&
    a.order_id === b.order_id &&
    a.item_code === b.item_code &&
    a.is_final === b.is_final &&
    a.amounts_synced === b.amounts_synced &&
    a.status_source === b.status_source
  );
}

/** Makes sure a store's five status rows and totals row exist, so metrics show zeros from the start. */
export function ensureStoreTotals(db: Kysely<Database>, storeId: string): void {
  ensureZeroTotals(sqliteOf(db), storeId);
}

export interface UpsertResult {
  outcome: 'inserted' | 'updated' | 'unchanged';
  previous: InvoiceRecord | undefined;
}

const INVOICE_COLUMNS = [
  'id', 'store_id', 'status', 'additional_status', 'currency', 'amount', 'btc_paid_sats', 'btc_paid_by_method', 'created_time',
  'expiration_time', 'monitoring_expiration', 'archived', 'order_id', 'item_code', 'counts_as_raised',
  'is_final', 'amounts_synced', 'status_source', 'updated_at',
] as const satisfies ReadonlyArray<keyof InvoiceRow>;
const SELECT_BY_ID = 'select * from invoices where id = ?';
const SELECT_BY_IDS = 'select * from invoices where id in (select value from json_each(?))';
const INSERT_INVOICE = `insert into invoices (${INVOICE_COLUMNS.join(', ')}) values (${INVOICE_COLUMNS.map((c) => `@${c}`).join(', ')})`;
const UPDATE_INVOICE = `update invoices set ${INVOICE_COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = @${c}`).join(', ')} where id = @id`;

export interface InvoiceWriter {
  get(id: string): InvoiceRecord | undefined;
  /** The stored row as is (pass it to upsert to spare a second read). */
  getRow(id: string): InvoiceRow | undefined;
  /** One invoice. `current`: the row just read in the same transaction (null: known absent); read if omitted. */
  upsert(rec: InvoiceRecord, now: number, current?: InvoiceRow | null): UpsertResult;
  /** A page of invoices: one read for all of them, each total written once per page. */
  upsertPage(recs: readonly InvoiceRecord[], now: number): UpsertResult[];
  /** Replaces the stored payment methods and payments of these invoices (after their rows exist). */
  replacePayments(entries: readonly InvoicePayments[]): void;
}

/**
 * `totals`: where the running-total changes go. Without one, each upsert or page applies its own
 * TotalsDelta at once; the webhook writer passes createBatchTotals to write them once per batch.
 */
export function createInvoiceWriter(sqlite: BetterSqlite3.Database, totals?: TotalsSink): InvoiceWriter {
  const select = (id: string) => prepared(sqlite, SELECT_BY_ID).get(id) as InvoiceRow | undefined;

  /** The write rule: unchanged content writes nothing; otherwise the old row leaves the totals and the new one joins them. */
  const write = (rec: InvoiceRecord, now: number, prev: InvoiceRow | undefined, delta: TotalsSink): UpsertResult => {
    const next = toRow(rec, now);
    if (prev && sameContent(prev, next)) return { outcome: 'unchanged', previous: rowToRecord(prev) };
    if (prev) {
      delta.add(prev, -1);
      prepared(sqlite, UPDATE_INVOICE).run(next);
    } else {
      prepared(sqlite, INSERT_INVOICE).run(next);
    }
    delta.add(next, 1);
    return { outcome: prev ? 'updated' : 'inserted', previous: prev ? rowToRecord(prev) : undefined };
  };
  const withDelta = <T>(fn: (delta: TotalsSink) => T): T => {
    if (totals) return fn(totals);
    const delta = new TotalsDelta();
    const out = fn(delta);
    delta.apply(sqlite);
    return out;
  };

  return {
    get(id) {
      const row = select(id);
      return row ? rowToRecord(row) : undefined;
    },
    getRow: select,
    upsert(rec, now, current) {
      const prev = current === undefined ? select(rec.id) : (current ?? undefined);
      return withDelta((delta) => write(rec, now, prev, delta));
    },
    upsertPage(recs, now) {
      if (recs.length === 0) return [];
      const rows = prepared(sqlite, SELECT_BY_IDS).all(JSON.stringify(recs.map((r) => r.id))) as InvoiceRow[];
      const current = new Map(rows.map((row) => [row.id, row]));
      return withDelta((delta) =>
        recs.map((rec) => {
          const result = write(rec, now, current.get(rec.id), delta);
          // A second record for the same id in one page sees this one, as one upsert after the other would.
          if (result.outcome !== 'unchanged') current.set(rec.id, toRow(rec, now));
          return result;
        }),
      );
    },
    replacePayments(entries) {
      replaceInvoicePayments(sqlite, entries);
    },
  };
}

/** The stored invoices among `ids`, by id (one query per 500 ids). */
export async function getInvoices(db: Db, ids: readonly string[]): Promise<Map<string, InvoiceRecord>> {
  const out = new Map<string, InvoiceRecord>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await db.selectFrom('invoices').selectAll().where('id', 'in', ids.slice(i, i + 500)).execute();
    for (const row of rows) out.set(row.id, rowToRecord(row));
  }
  return out;
}

export async function getInvoice(db: Db, id: string): Promise<InvoiceRecord | undefined> {
  const row = await db.selectFrom('invoices').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? rowToRecord(row) : undefined;
}

/** A status change the sync found (as opposed to one a webhook reported). */
export interface StatusChange {
  storeId: string;
  invoiceId: string;
  from: { status: InvoiceStatus; additionalStatus: string };
  to: { status: InvoiceStatus; additionalStatus: string };
  /** Unix seconds when the sync saw it. */
  detectedAt: number;
}

/**
 * Called by the invoice sync inside the page transaction for every invoice whose status or
 * additionalStatus changed since the database last saw it (the webhook module uses it to count
 * missed webhooks). It must only read through `db` and write through `sqlite` (the connection
 * behind it), so it commits with the page.
 */
export type StatusChangeHook = (db: Db, change: StatusChange, sqlite: BetterSqlite3.Database) => Promise<void>;
