// What the history reads from the store: the raised invoices of a store ordered by raise time, and
// the creation times of its invoices. Raw better-sqlite3 statements iterated row by row, so memory
// does not grow with the number of invoices. The raise times are computed and sorted once, into an
// indexed temporary table on disk (temp_store FILE), which every series then reads in order.
import type BetterSqlite3 from 'better-sqlite3';
import { raiseTimeSql } from '../store/raise-time.js';

/** One invoice that counts as raised now (invoices.counts_as_raised, the live collectors' rule). */
export interface RaisedInvoice {
  /** Raise time: the latest received_date of its accounted payments, else its creation time. */
  at: number;
  /** invoices.btc_paid_sats: what btcpay_raised_sats adds for it. */
  sats: number;
  currency: string;
  /** Exact decimal price; null for a top-up invoice without an amount. */
  amount: string | null;
}

/** The tables the history reads; a database without them was never migrated. */
const REQUIRED_TABLES = ['invoices', 'invoice_payments', 'store_totals'] as const;

/** Raise time per raised invoice, by the one rule the export and the status page use too (store/raise-time.ts). */
const RAISED = `
  select i.store_id, i.btc_paid_sats as sats, i.currency, i.amount, ${raiseTimeSql('i')} as at
  from invoices i
  where i.counts_as_raised = 1`;

export class HistoryReader {
  private materialised = false;

  constructor(private readonly sqlite: BetterSqlite3.Database) {}

  /**
   * Computes every raised invoice's raise time once (up to `until`) into temp.history_raised,
   * indexed for the per-store and per-currency passes. A temporary table works on a read-only
   * connection; on disk, its size does not count against memory.
   */
  materialise(until: number): void {
    // better-sqlite3's default page cache is 16 MB per database, which a large history fills (the
    // temporary table and its index builds too): 2 MB each keeps memory flat at any size.
    this.sqlite.pragma('cache_size = -2000');
    this.sqlite.pragma('temp_store = FILE');
    this.sqlite.pragma('temp.cache_size = -2000');
    this.sqlite.exec('drop table if exists temp.history_raised');
    this.sqlite.prepare(`create temp table history_raised as select store_id, at, sats, currency, amount from (${RAISED}) where at <= ?`).run(until);
    this.sqlite.exec(`create index temp.history_raised_time on history_raised (store_id, at);
                      create index temp.history_raised_currency on history_raised (store_id, currency, at)`);
    this.materialised = true;
  }

  /** Tables the history needs that the database lacks (empty: it can be read). */
  missingTables(): string[] {
    const have = new Set(
      (this.sqlite.prepare("select name from sqlite_master where type = 'table'").all() as Array<{ name: string }>).map((r) => r.name),
    );
    return REQUIRED_TABLES.filter((t) => !have.has(t));
  }

  /** Creation time of the oldest invoice of any store, or undefined when there is none. */
  earliestInvoice(): number | undefined {
    const row = this.sqlite.prepare('select min(created_time) as t from invoices').get() as { t: number | null };
    return row.t ?? undefined;
  }

  /** Every store the live collector exports (store_totals), plus any store an invoice names. */
  stores(): string[] {
    const rows = this.sqlite
      .prepare('select store_id from store_totals union select distinct store_id from invoices order by 1')
      .all() as Array<{ store_id: string }>;
    return rows.map((r) => r.store_id);
  }

  /** Price currencies of a store's raised invoices that have a price (btcpay_raised_amount series). */
  raisedCurrencies(store: string): string[] {
    const rows = this.sqlite
      .prepare('select distinct currency from invoices where store_id = ? and counts_as_raised = 1 and amount is not null order by 1')
      .all(store) as Array<{ currency: string }>;
    return rows.map((r) => r.currency);
  }

  /** A store's raised invoices (only those priced in `currency`, when given) raised by `until`, oldest raise first. */
  raised(store: string, until: number, currency?: string): IterableIterator<RaisedInvoice> {
    if (!this.materialised) this.materialise(until);
    const byCurrency = currency === undefined ? '' : ' and currency = @currency and amount is not null';
    const stmt = this.sqlite.prepare(`select at, sats, currency, amount from temp.history_raised where store_id = @store${byCurrency} and at <= @until order by at`);
    return stmt.iterate(currency === undefined ? { store, until } : { store, until, currency }) as IterableIterator<RaisedInvoice>;
  }

  /** Creation times of a store's invoices up to `until`, ascending. */
  created(store: string, until: number): IterableIterator<{ at: number }> {
    return this.sqlite
      .prepare('select created_time as at from invoices where store_id = ? and created_time <= ? order by created_time')
      .iterate(store, until) as IterableIterator<{ at: number }>;
  }
}
