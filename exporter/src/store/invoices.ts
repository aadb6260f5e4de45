// The one set of rules for writing invoices. Webhooks go through createInvoiceWriter (prepared
// statements, inside the group commit), the sync's pages through upsertInvoices (batched), and
// upsertInvoice is the reference both are property-tested against. All keep the running totals
// (per status, raised sats, contributions, raised amount per currency) in the same transaction as
// the invoice rows, so a scrape reads a handful of rows at any history size.
import type BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely, type Transaction } from 'kysely';
import { prepared } from './connection.js';
import { addDecimalStrings, parseDecimal, plain, subtractDecimalStrings, type Decimal } from '../money.js';
import type { BatchHooks } from './group-commit.js';
import type { Database, InvoiceRow, InvoiceStatus } from './schema.js';
import { INVOICE_STATUSES } from './schema.js';

export type Db = Kysely<Database> | Transaction<Database>;

export interface InvoiceRecord {
  id: string;
  storeId: string;
  status: InvoiceStatus;
  additionalStatus: string;
  currency: string;
  amount: string | null;
  btcPaidSats: number;
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
export async function ensureStoreTotals(db: Db, storeId: string): Promise<void> {
  await db
    .insertInto('invoice_status_totals')
    .values(INVOICE_STATUSES.map((status) => ({ store_id: storeId, status, invoices: 0 })))
    .onConflict((oc) => oc.doNothing())
    .execute();
  await db
    .insertInto('store_totals')
    .values({ store_id: storeId, raised_sats: 0, contributions: 0, last_invoice_created: null })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

async function addToTotals(db: Db, row: InvoiceRow, sign: 1 | -1): Promise<void> {
  await db
    .insertInto('invoice_status_totals')
    .values({ store_id: row.store_id, status: row.status, invoices: sign })
    .onConflict((oc) =>
      oc.columns(['store_id', 'status']).doUpdateSet((eb) => ({ invoices: eb('invoice_status_totals.invoices', '+', sign) })),
    )
    .execute();
  if (row.counts_as_raised === 1) {
    await db
      .updateTable('store_totals')
      .set((eb) => ({
        raised_sats: eb('raised_sats', '+', sign * row.btc_paid_sats),
        contributions: eb('contributions', '+', sign),
      }))
      .where('store_id', '=', row.store_id)
      .execute();
    if (row.amount !== null) {
      const current = await db
        .selectFrom('store_raised_amounts')
        .select('amount')
        .where('store_id', '=', row.store_id)
        .where('currency', '=', row.currency)
        .executeTakeFirst();
      const base = current?.amount ?? '0';
      const next = sign === 1 ? addDecimalStrings(base, row.amount) : subtractDecimalStrings(base, row.amount);
      await db
        .insertInto('store_raised_amounts')
        .values({ store_id: row.store_id, currency: row.currency, amount: next })
        .onConflict((oc) => oc.columns(['store_id', 'currency']).doUpdateSet({ amount: next }))
        .execute();
    }
  }
}

export interface UpsertResult {
  /** 'inserted', 'updated' or 'unchanged' */
  outcome: 'inserted' | 'updated' | 'unchanged';
  previous: InvoiceRecord | undefined;
}

/**
 * Inserts or replaces one invoice and moves the running totals by the difference. Call it inside
 * a transaction (db.transaction().execute(trx => upsertInvoice(trx, ...))) so the row and its totals
 * commit together.
 */
export async function upsertInvoice(db: Db, rec: InvoiceRecord, now: number): Promise<UpsertResult> {
  const next = toRow(rec, now);
  const prev = await db.selectFrom('invoices').selectAll().where('id', '=', rec.id).executeTakeFirst();
  if (prev && sameContent(prev, next)) return { outcome: 'unchanged', previous: rowToRecord(prev) };

  await ensureStoreTotals(db, next.store_id);
  if (prev) {
    await addToTotals(db, prev, -1);
    await db.updateTable('invoices').set(next).where('id', '=', rec.id).execute();
  } else {
    await db.insertInto('invoices').values(next).execute();
  }
  await addToTotals(db, next, 1);
  await db
    .updateTable('store_totals')
    .set({
      last_invoice_created: sql<number>`max(coalesce(last_invoice_created, ${next.created_time}), ${next.created_time})`,
    })
    .where('store_id', '=', next.store_id)
    .execute();
  return { outcome: prev ? 'updated' : 'inserted', previous: prev ? rowToRecord(prev) : undefined };
}

// ---- pages of invoices (the sync) ------------------------------------------------------------

const INVOICE_COLUMNS = [
  'id', 'store_id', 'status', 'additional_status', 'currency', 'amount', 'btc_paid_sats', 'created_time',
  'expiration_time', 'monitoring_expiration', 'archived', 'order_id', 'item_code', 'counts_as_raised',
  'is_final', 'amounts_synced', 'status_source', 'updated_at',
] as const satisfies ReadonlyArray<keyof InvoiceRow>;
const SELECT_BY_IDS = 'select * from invoices where id in (select value from json_each(?))';
const INSERT_INVOICE = `insert into invoices (${INVOICE_COLUMNS.join(', ')}) values (${INVOICE_COLUMNS.map((c) => `@${c}`).join(', ')})`;
const UPDATE_INVOICE = `update invoices set ${INVOICE_COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = @${c}`).join(', ')} where id = @id`;

/**
 * What a set of invoice writes does to the running totals, summed up so each total is written once
 * per page. Exact: counts and sats are integers, amounts decimals, so the order of the additions
 * does not matter and the result equals upsertInvoice applied one invoice at a time.
 */
class TotalsDelta {
  private readonly statuses = new Map<string, { store: string; status: string; n: number }>();
  private readonly raised = new Map<string, { sats: number; contributions: number }>();
  private readonly amounts = new Map<string, { store: string; currency: string; sum: Decimal }>();
  private readonly lastCreated = new Map<string, number>();

  add(row: InvoiceRow, sign: 1 | -1): void {
    const key = `${row.store_id}\u0000${row.status}`;
    const s = this.statuses.get(key) ?? { store: row.store_id, status: row.status, n: 0 };
    s.n += sign;
    this.statuses.set(key, s);
    if (sign === 1) this.lastCreated.set(row.store_id, Math.max(this.lastCreated.get(row.store_id) ?? row.created_time, row.created_time));
    if (row.counts_as_raised !== 1) return;
    const r = this.raised.get(row.store_id) ?? { sats: 0, contributions: 0 };
    r.sats += sign * row.btc_paid_sats;
    r.contributions += sign;
    this.raised.set(row.store_id, r);
    if (row.amount === null) return;
    const akey = `${row.store_id}\u0000${row.currency}`;
    const a = this.amounts.get(akey);
    const amount = parseDecimal(row.amount);
    const signed = sign === 1 ? amount : amount.negated();
    if (a) a.sum = a.sum.plus(signed);
    else this.amounts.set(akey, { store: row.store_id, currency: row.currency, sum: signed });
  }

  /** Writes the sums; stores that got a new or changed invoice get their zero rows first. */
  apply(sqlite: BetterSqlite3.Database): void {
    for (const store of this.lastCreated.keys()) {
      for (const status of INVOICE_STATUSES) {
        prepared(sqlite, 'insert into invoice_status_totals (store_id, status, invoices) values (?, ?, 0) on conflict do nothing').run(store, status);
      }
      prepared(sqlite, 'insert into store_totals (store_id, raised_sats, contributions, last_invoice_created) values (?, 0, 0, null) on conflict do nothing').run(store);
    }
    for (const s of this.statuses.values()) {
      prepared(
        sqlite,
        'insert into invoice_status_totals (store_id, status, invoices) values (?, ?, ?) on conflict (store_id, status) do update set invoices = invoices + excluded.invoices',
      ).run(s.store, s.status, s.n);
    }
    for (const [store, r] of this.raised) {
      prepared(sqlite, 'update store_totals set raised_sats = raised_sats + ?, contributions = contributions + ? where store_id = ?').run(r.sats, r.contributions, store);
    }
    for (const a of this.amounts.values()) {
      const current = prepared(sqlite, 'select amount from store_raised_amounts where store_id = ? and currency = ?').get(a.store, a.currency) as
        | { amount: string }
        | undefined;
      const next = plain(parseDecimal(current?.amount ?? '0').plus(a.sum));
      prepared(
        sqlite,
        'insert into store_raised_amounts (store_id, currency, amount) values (?, ?, ?) on conflict (store_id, currency) do update set amount = excluded.amount',
      ).run(a.store, a.currency, next);
    }
    for (const [store, created] of this.lastCreated) {
      prepared(sqlite, 'update store_totals set last_invoice_created = max(coalesce(last_invoice_created, ?), ?) where store_id = ?').run(created, created, store);
    }
  }
}

/**
 * upsertInvoice for a page of invoices: the same rules and results, with cached prepared
 * statements and each running total written once per page instead of once per invoice (the first
 * sync of a large store spent most of its time preparing kysely's statements). Synchronous; call
 * it inside the page's transaction on the connection behind it (sqliteOf(db)).
 */
export function upsertInvoices(sqlite: BetterSqlite3.Database, recs: readonly InvoiceRecord[], now: number): UpsertResult[] {
  if (recs.length === 0) return [];
  const current = new Map<string, InvoiceRow>();
  for (const row of prepared(sqlite, SELECT_BY_IDS).all(JSON.stringify(recs.map((r) => r.id))) as InvoiceRow[]) current.set(row.id, row);
  const delta = new TotalsDelta();
  const results: UpsertResult[] = [];
  for (const rec of recs) {
    const next = toRow(rec, now);
    const prev = current.get(rec.id);
    if (prev && sameContent(prev, next)) {
      results.push({ outcome: 'unchanged', previous: rowToRecord(prev) });
      continue;
    }
    if (prev) {
      delta.add(prev, -1);
      prepared(sqlite, UPDATE_INVOICE).run(next);
    } else {
      prepared(sqlite, INSERT_INVOICE).run(next);
    }
    delta.add(next, 1);
    // A second record for the same id in one page sees this one, as one-by-one upserts would.
    current.set(rec.id, next);
    results.push({ outcome: prev ? 'updated' : 'inserted', previous: prev ? rowToRecord(prev) : undefined });
  }
  delta.apply(sqlite);
  return results;
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

/** getInvoice and upsertInvoice, synchronous on prepared statements. */
export interface InvoiceWriter {
  get(id: string): InvoiceRecord | undefined;
  /** The stored row as is (pass it to upsert to spare a second read). */
  getRow(id: string): InvoiceRow | undefined;
  /** `current`: the row just read in the same transaction (null: known absent); read if omitted. */
  upsert(rec: InvoiceRecord, now: number, current?: InvoiceRow | null): UpsertResult;
}

/**
 * The same write path as upsertInvoice (same rows, same running totals) on prepared
 * better-sqlite3 statements, for hot paths that write many invoices per transaction
 * and cannot await in it (the webhook receiver's group commit). The caller owns the transaction.
 * test/store/invoice-writer.test.ts keeps the two in step.
 */
/** Where an InvoiceWriter can send its running-total changes instead of writing them at once. */
export interface TotalsSink {
  add(row: InvoiceRow, sign: 1 | -1): void;
}

/**
 * Running totals summed over a group-commit batch and written once per distinct row before
 * COMMIT: the same end state as writing them per invoice (TotalsDelta is exact), with a job's
 * changes joining the sums only once its savepoint was released.
 */
export function createBatchTotals(sqlite: BetterSqlite3.Database): TotalsSink & BatchHooks {
  let job: Array<[InvoiceRow, 1 | -1]> = [];
  let batch = new TotalsDelta();
  return {
    add(row, sign) {
      job.push([row, sign]);
    },
    begin() {
      job = [];
      batch = new TotalsDelta();
    },
    jobEnded(released) {
      if (released) for (const [row, sign] of job) batch.add(row, sign);
      job = [];
    },
    end() {
      batch.apply(sqlite);
      batch = new TotalsDelta();
    },
  };
}

/** `totals`: send running-total changes there (createBatchTotals) instead of writing them at once. */
export function createInvoiceWriter(sqlite: BetterSqlite3.Database, totals?: TotalsSink): InvoiceWriter {
  const select = sqlite.prepare<[string], InvoiceRow>('select * from invoices where id = ?');
  const ensureStatuses = sqlite.prepare(
    `insert into invoice_status_totals (store_id, status, invoices) values ${INVOICE_STATUSES.map(() => '(?, ?, 0)').join(', ')} on conflict do nothing`,
  );
  const ensureStore = sqlite.prepare(
    'insert into store_totals (store_id, raised_sats, contributions, last_invoice_created) values (?, 0, 0, null) on conflict do nothing',
  );
  const addStatus = sqlite.prepare(
    `insert into invoice_status_totals (store_id, status, invoices) values (?, ?, ?)
     on conflict (store_id, status) do update set invoices = invoice_status_totals.invoices + excluded.invoices`,
  );
  const addRaised = sqlite.prepare('update store_totals set raised_sats = raised_sats + ?, contributions = contributions + ? where store_id = ?');
  const selectAmount = sqlite.prepare<[string, string], { amount: string }>(
    'select amount from store_raised_amounts where store_id = ? and currency = ?',
  );
  const putAmount = sqlite.prepare(
    `insert into store_raised_amounts (store_id, currency, amount) values (?, ?, ?)
     on conflict (store_id, currency) do update set amount = excluded.amount`,
  );
  const insert = sqlite.prepare(
    `insert into invoices (${INVOICE_COLUMNS.join(', ')}) values (${INVOICE_COLUMNS.map((c) => `@${c}`).join(', ')})`,
  );
  const update = sqlite.prepare(
    `update invoices set ${INVOICE_COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = @${c}`).join(', ')} where id = @id`,
  );
  const lastCreated = sqlite.prepare(
    'update store_totals set last_invoice_created = max(coalesce(last_invoice_created, ?), ?) where store_id = ?',
  );

  const addToTotalsSync = (row: InvoiceRow, sign: 1 | -1, statusMoves: boolean) => {
    if (statusMoves) addStatus.run(row.store_id, row.status, sign);
    if (row.counts_as_raised !== 1) return;
    addRaised.run(sign * row.btc_paid_sats, sign, row.store_id);
    if (row.amount === null) return;
    const base = selectAmount.get(row.store_id, row.currency)?.amount ?? '0';
    const next = sign === 1 ? addDecimalStrings(base, row.amount) : subtractDecimalStrings(base, row.amount);
    putAmount.run(row.store_id, row.currency, next);
  };

  return {
    get(id) {
      const row = select.get(id);
      return row ? rowToRecord(row) : undefined;
    },
    getRow: (id) => select.get(id),
    upsert(rec, now, current) {
      const next = toRow(rec, now);
      const prev = current === undefined ? select.get(rec.id) : (current ?? undefined);
      if (prev && sameContent(prev, next)) return { outcome: 'unchanged', previous: rowToRecord(prev) };
      if (totals) {
        if (prev) {
          totals.add(prev, -1);
          update.run(next);
        } else {
          insert.run(next);
        }
        totals.add(next, 1);
        return { outcome: prev ? 'updated' : 'inserted', previous: prev ? rowToRecord(prev) : undefined };
      }
      // Same end state as upsertInvoice with fewer statements: an update within one store
      // skips what it cannot change (the store's rows exist since its insert; a status total
      // taken and given back; a creation time already counted).
      const sameStore = prev !== undefined && prev.store_id === next.store_id;
      if (!sameStore) {
        ensureStatuses.run(INVOICE_STATUSES.flatMap((status) => [next.store_id, status]));
        ensureStore.run(next.store_id);
      }
      const statusMoves = !sameStore || prev.status !== next.status;
      if (prev) {
        addToTotalsSync(prev, -1, statusMoves);
        update.run(next);
      } else {
        insert.run(next);
      }
      addToTotalsSync(next, 1, statusMoves);
      if (!sameStore || prev.created_time !== next.created_time) lastCreated.run(next.created_time, next.created_time, next.store_id);
      return { outcome: prev ? 'updated' : 'inserted', previous: prev ? rowToRecord(prev) : undefined };
    },
  };
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
 * missed webhooks). It must only write through `db` so it commits with the page.
 */
export type StatusChangeHook = (db: Db, change: StatusChange) => Promise<void>;
