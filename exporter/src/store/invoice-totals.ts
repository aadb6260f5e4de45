// The running totals kept next to the invoice rows (per status, raised sats, contributions, raised
// amount per currency, raised sats per payment method, last invoice created), so a scrape reads a
// handful of rows at any history size. Written in exactly one way: an invoice write adds its new row (+1) and takes back the row it
// replaced (-1) in a TotalsDelta, and the delta's sums are applied in the same transaction.
// rebuildTotals is the reference: it recomputes every total from the invoice rows (GROUP BY), for
// tests to compare with the running ones and for the benchmark seed to fill them in one go.
import type BetterSqlite3 from 'better-sqlite3';
import { prepared } from './connection.js';
import { parseDecimal, plain, type Decimal } from '../money.js';
import type { BatchHooks } from './group-commit.js';
import { decodeMethodSplit, raisedByMethod } from './method-split.js';
import { INVOICE_STATUSES, type InvoiceRow } from './schema.js';

const ENSURE_STATUS = 'insert into invoice_status_totals (store_id, status, invoices) values (?, ?, 0) on conflict do nothing';
const ENSURE_STORE =
  'insert into store_totals (store_id, raised_sats, contributions, last_invoice_created) values (?, 0, 0, null) on conflict do nothing';
const ADD_STATUS =
  'insert into invoice_status_totals (store_id, status, invoices) values (?, ?, ?) on conflict (store_id, status) do update set invoices = invoices + excluded.invoices';
const ADD_RAISED = 'update store_totals set raised_sats = raised_sats + ?, contributions = contributions + ? where store_id = ?';
const SELECT_AMOUNT = 'select amount from store_raised_amounts where store_id = ? and currency = ?';
const PUT_AMOUNT =
  'insert into store_raised_amounts (store_id, currency, amount) values (?, ?, ?) on conflict (store_id, currency) do update set amount = excluded.amount';
const LAST_CREATED = 'update store_totals set last_invoice_created = max(coalesce(last_invoice_created, ?), ?) where store_id = ?';
const ENSURE_METHOD = 'insert into store_payment_method_totals (store_id, payment_method, raised_sats) values (?, ?, 0) on conflict do nothing';
const ADD_METHOD =
  'insert into store_payment_method_totals (store_id, payment_method, raised_sats) values (?, ?, ?) on conflict (store_id, payment_method) do update set raised_sats = raised_sats + excluded.raised_sats';

/** A store's five status rows and its totals row, so metrics show zeros from the start. */
export function ensureZeroTotals(sqlite: BetterSqlite3.Database, storeId: string): void {
  for (const status of INVOICE_STATUSES) prepared(sqlite, ENSURE_STATUS).run(storeId, status);
  prepared(sqlite, ENSURE_STORE).run(storeId);
}

/**
 * What a set of invoice writes does to the running totals, summed so each total row is written
 * once. Exact: counts and sats are integers, amounts decimals, so the order of the additions does
 * not matter and one delta per invoice, per page or per group-commit batch ends in the same state.
 */
export class TotalsDelta {
  private readonly statuses = new Map<string, { store: string; status: string; n: number }>();
  private readonly raised = new Map<string, { sats: number; contributions: number }>();
  private readonly amounts = new Map<string, { store: string; currency: string; sum: Decimal }>();
  private readonly lastCreated = new Map<string, number>();
  /** Raised sats per (store, payment method); every method of an added row gets its row (0 until raised). */
  private readonly methods = new Map<string, { store: string; method: string; sats: number }>();

  add(row: InvoiceRow, sign: 1 | -1): void {
    const key = `${row.store_id}\u0000${row.status}`;
    const s = this.statuses.get(key) ?? { store: row.store_id, status: row.status, n: 0 };
    s.n += sign;
    this.statuses.set(key, s);
    if (sign === 1) this.lastCreated.set(row.store_id, Math.max(this.lastCreated.get(row.store_id) ?? row.created_time, row.created_time));
    if (row.counts_as_raised !== 1) {
      // Not raised (yet): the methods its sats came through only get their rows, with 0.
      if (sign === 1) for (const method of Object.keys(decodeMethodSplit(row.btc_paid_by_method))) this.addMethod(row.store_id, method, 0);
      return;
    }
    for (const [method, sats] of raisedByMethod(row)) this.addMethod(row.store_id, method, sign * sats);
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

  private addMethod(store: string, method: string, sats: number): void {
    const key = `${store}\u0000${method}`;
    const m = this.methods.get(key);
    if (m) m.sats += sats;
    else this.methods.set(key, { store, method, sats });
  }

  /** Writes the sums (cached prepared statements); stores that got a new or changed invoice get their zero rows first. */
  apply(sqlite: BetterSqlite3.Database): void {
    for (const store of this.lastCreated.keys()) ensureZeroTotals(sqlite, store);
    for (const s of this.statuses.values()) {
      if (s.n !== 0) prepared(sqlite, ADD_STATUS).run(s.store, s.status, s.n);
    }
    for (const [store, r] of this.raised) {
      if (r.sats !== 0 || r.contributions !== 0) prepared(sqlite, ADD_RAISED).run(r.sats, r.contributions, store);
    }
    for (const a of this.amounts.values()) {
      const current = prepared(sqlite, SELECT_AMOUNT).get(a.store, a.currency) as { amount: string } | undefined;
      if (current !== undefined && a.sum.isZero()) continue;
      prepared(sqlite, PUT_AMOUNT).run(a.store, a.currency, plain(parseDecimal(current?.amount ?? '0').plus(a.sum)));
    }
    for (const [store, created] of this.lastCreated) prepared(sqlite, LAST_CREATED).run(created, created, store);
    for (const m of this.methods.values()) {
      if (m.sats !== 0) prepared(sqlite, ADD_METHOD).run(m.store, m.method, m.sats);
      else prepared(sqlite, ENSURE_METHOD).run(m.store, m.method);
    }
  }
}

/** Where an invoice writer sends its running-total changes. */
export interface TotalsSink {
  add(row: InvoiceRow, sign: 1 | -1): void;
}

/**
 * Running totals summed over a group-commit batch and written once per distinct row before
 * COMMIT, with a job's changes joining the sums only once its savepoint was released (a delivery
 * rolled back leaves nothing behind).
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

// ---- the reference ----------------------------------------------------------------------------

/**
 * Every running total, keyed by store (and status, currency or payment method); amounts as plain
 * decimal strings; zero amounts and zero method totals left out (a method's 0 row is a display aid).
 */
export interface TotalsSnapshot {
  statuses: Record<string, number>;
  stores: Record<string, { raisedSats: number; contributions: number; lastInvoiceCreated: number | null }>;
  amounts: Record<string, string>;
  methods: Record<string, number>;
}

/** What the running-total tables hold now. */
export function readTotals(sqlite: BetterSqlite3.Database): TotalsSnapshot {
  const out: TotalsSnapshot = { statuses: {}, stores: {}, amounts: {}, methods: {} };
  for (const r of sqlite.prepare('select store_id, status, invoices from invoice_status_totals').all() as Array<{ store_id: string; status: string; invoices: number }>) {
    out.statuses[`${r.store_id}/${r.status}`] = r.invoices;
  }
  for (const r of sqlite.prepare('select * from store_totals').all() as Array<{ store_id: string; raised_sats: number; contributions: number; last_invoice_created: number | null }>) {
    out.stores[r.store_id] = { raisedSats: r.raised_sats, contributions: r.contributions, lastInvoiceCreated: r.last_invoice_created };
  }
  for (const r of sqlite.prepare('select * from store_raised_amounts').all() as Array<{ store_id: string; currency: string; amount: string }>) {
    const amount = parseDecimal(r.amount);
    if (!amount.isZero()) out.amounts[`${r.store_id}/${r.currency}`] = plain(amount);
  }
  for (const r of sqlite.prepare('select * from store_payment_method_totals where raised_sats != 0').all() as Array<{ store_id: string; payment_method: string; raised_sats: number }>) {
    out.methods[`${r.store_id}/${r.payment_method}`] = r.raised_sats;
  }
  return out;
}

/**
 * The totals recomputed from the invoice rows (GROUP BY), for every store that has invoices or a
 * totals row. Amounts are summed exactly in decimal (SQLite would sum the strings as floats).
 */
export function computeTotals(sqlite: BetterSqlite3.Database): TotalsSnapshot {
  const out: TotalsSnapshot = { statuses: {}, stores: {}, amounts: {}, methods: {} };
  const stores = (sqlite.prepare('select store_id from store_totals union select distinct store_id from invoices').all() as Array<{ store_id: string }>).map(
    (r) => r.store_id,
  );
  for (const store of stores) {
    for (const status of INVOICE_STATUSES) out.statuses[`${store}/${status}`] = 0;
    out.stores[store] = { raisedSats: 0, contributions: 0, lastInvoiceCreated: null };
  }
  for (const r of sqlite.prepare('select store_id, status, count(*) n from invoices group by store_id, status').all() as Array<{ store_id: string; status: string; n: number }>) {
    out.statuses[`${r.store_id}/${r.status}`] = r.n;
  }
  const perStore = sqlite.prepare(
    `select store_id, max(created_time) last,
            coalesce(sum(case when counts_as_raised = 1 then btc_paid_sats end), 0) sats,
            count(case when counts_as_raised = 1 then 1 end) contributions
     from invoices group by store_id`,
  );
  for (const r of perStore.all() as Array<{ store_id: string; last: number; sats: number; contributions: number }>) {
    out.stores[r.store_id] = { raisedSats: r.sats, contributions: r.contributions, lastInvoiceCreated: r.last };
  }
  const sums = new Map<string, Decimal>();
  const raised = sqlite.prepare('select store_id, currency, amount from invoices where counts_as_raised = 1 and amount is not null order by store_id, currency');
  for (const r of raised.iterate() as Iterable<{ store_id: string; currency: string; amount: string }>) {
    const key = `${r.store_id}/${r.currency}`;
    sums.set(key, (sums.get(key) ?? parseDecimal('0')).plus(parseDecimal(r.amount)));
  }
  for (const [key, sum] of sums) if (!sum.isZero()) out.amounts[key] = plain(sum);
  for (const [key, sats] of methodTotals(sqlite)) if (sats !== 0) out.methods[key] = sats;
  return out;
}

/**
 * Raised sats per "store/method" from the invoice rows (raisedByMethod of every raised invoice),
 * with a 0 for every method any invoice of the store lists. Migration 008 fills the table the same way (in SQL).
 */
export function methodTotals(sqlite: BetterSqlite3.Database): Map<string, number> {
  const out = new Map<string, number>();
  const rows = sqlite.prepare("select store_id, counts_as_raised, btc_paid_sats, btc_paid_by_method from invoices where counts_as_raised = 1 or btc_paid_by_method != '{}'");
  for (const r of rows.iterate() as Iterable<Pick<InvoiceRow, 'store_id' | 'counts_as_raised' | 'btc_paid_sats' | 'btc_paid_by_method'>>) {
    const entries: Iterable<[string, number]> =
      r.counts_as_raised === 1 ? raisedByMethod(r) : Object.keys(decodeMethodSplit(r.btc_paid_by_method)).map((m) => [m, 0]);
    for (const [method, sats] of entries) {
      const key = `${r.store_id}/${method}`;
      out.set(key, (out.get(key) ?? 0) + sats);
    }
  }
  return out;
}

/** Replaces every running total by computeTotals (call inside a transaction). */
export function rebuildTotals(sqlite: BetterSqlite3.Database): void {
  const t = computeTotals(sqlite);
  sqlite.exec('delete from invoice_status_totals; delete from store_totals; delete from store_raised_amounts; delete from store_payment_method_totals;');
  const status = sqlite.prepare('insert into invoice_status_totals (store_id, status, invoices) values (?, ?, ?)');
  for (const [key, n] of Object.entries(t.statuses)) status.run(...splitKey(key), n);
  const store = sqlite.prepare('insert into store_totals (store_id, raised_sats, contributions, last_invoice_created) values (?, ?, ?, ?)');
  for (const [id, s] of Object.entries(t.stores)) store.run(id, s.raisedSats, s.contributions, s.lastInvoiceCreated);
  const amount = sqlite.prepare('insert into store_raised_amounts (store_id, currency, amount) values (?, ?, ?)');
  for (const [key, a] of Object.entries(t.amounts)) amount.run(...splitKey(key), a);
  const method = sqlite.prepare('insert into store_payment_method_totals (store_id, payment_method, raised_sats) values (?, ?, ?)');
  for (const [key, sats] of methodTotals(sqlite)) method.run(...splitKey(key), sats);
}

/** Store ids are BTCPay's base58 ids, so `/` separates them from a status or currency. */
function splitKey(key: string): [string, string] {
  const i = key.lastIndexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}
