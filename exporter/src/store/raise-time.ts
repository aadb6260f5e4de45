// The raise-time rule, defined once. An invoice that counts as raised (invoices.counts_as_raised,
// set by store/invoices.ts countsAsRaised: Settled, or Expired and PaidLate) was raised at
// the latest received_date of its accounted payments (Processing or Settled, any payment method);
// one raised without any accounted payment (marked settled) at its creation time. An invoice that
// does not count as raised has no raise time (NULL).
//
// Everything that places raised money in time uses this expression: the invoice export's
// raise_time column, the status page's 24 h / 7 d sums and its raised-per-day chart, and the
// OpenMetrics history. Until a raised invoice's payments are synced (a webhook told the status,
// the targeted fetch has not landed yet) its raise time is its creation time.
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './schema.js';

/** Payment statuses that count (BTCPay's "accounted" payments); anything else is treated as Invalid. */
export const ACCOUNTED_PAYMENT_STATUSES = ['Processing', 'Settled'] as const;

const DAY = 86_400;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The raise time of the `invoices` row aliased `alias`, as SQL text (unix seconds or NULL), for
 * raw better-sqlite3 statements. `alias` must be a plain identifier.
 */
export function raiseTimeSql(alias = 'invoices'): string {
  if (!IDENTIFIER.test(alias)) throw new Error(`raiseTimeSql: "${alias}" is not a plain SQL identifier`);
  const accounted = ACCOUNTED_PAYMENT_STATUSES.map((s) => `'${s}'`).join(', ');
  return (
    `(case when ${alias}.counts_as_raised = 1 then coalesce(` +
    `(select max(rt_p.received_date) from invoice_payments rt_p where rt_p.invoice_id = ${alias}.id and rt_p.status in (${accounted})), ` +
    `${alias}.created_time) end)`
  );
}

/** raiseTimeSql as a kysely expression, e.g. `.select(raiseTime('i').as('raise_time'))`. */
export function raiseTime(alias = 'invoices'): RawBuilder<number | null> {
  return sql<number | null>`${sql.raw(raiseTimeSql(alias))}`;
}

export interface RaisedInWindow {
  store_id: string;
  /** Sats of the raised invoices (btc_paid_sats, as in btcpay_raised_sats). */
  sats: number;
  /** Number of raised invoices (as in btcpay_contributions). */
  contributions: number;
}

export interface RaisedDay extends RaisedInWindow {
  /** Start of the UTC day, unix seconds. */
  day: number;
}

/**
 * Invoices whose raise time can fall in [from, to]: those with an accounted payment received then,
 * and those created then (raised without payments). A superset; the rule itself filters. Both
 * halves are index range scans (invoice_payments_received, invoices_store_created), so the cost
 * follows the window, not the history.
 */
function candidates(from: number, to: number): RawBuilder<unknown> {
  return sql`(
    select invoice_id from invoice_payments where received_date between ${from} and ${to}
    union all
    select id from invoices where store_id in (select store_id from store_totals) and created_time between ${from} and ${to}
  )`;
}

/** Sats and contributions per store of the invoices raised in [from, to] (unix seconds, inclusive). */
export async function raisedBetween(db: Kysely<Database>, from: number, to: number): Promise<RaisedInWindow[]> {
  const q = sql<RaisedInWindow>`
    select i.store_id as store_id, coalesce(sum(i.btc_paid_sats), 0) as sats, count(*) as contributions
    from invoices i
    where i.id in ${candidates(from, to)} and i.counts_as_raised = 1 and ${raiseTime('i')} between ${from} and ${to}
    group by i.store_id
    order by i.store_id`;
  return (await q.execute(db)).rows;
}

/** Raised sats and contributions per store and UTC day, for the days from `fromDay`'s to `toDay`'s (unix seconds). */
export async function raisedPerDay(db: Kysely<Database>, fromDay: number, toDay: number): Promise<RaisedDay[]> {
  const from = Math.floor(fromDay / DAY) * DAY;
  const to = Math.floor(toDay / DAY) * DAY + DAY - 1;
  const q = sql<RaisedDay>`
    select store_id, day, coalesce(sum(sats), 0) as sats, count(*) as contributions from (
      select i.store_id as store_id, i.btc_paid_sats as sats, (${raiseTime('i')} / ${sql.lit(DAY)}) * ${sql.lit(DAY)} as day
      from invoices i
      where i.id in ${candidates(from, to)} and i.counts_as_raised = 1
    )
    where day between ${from} and ${to}
    group by store_id, day
    order by store_id, day`;
  return (await q.execute(db)).rows;
}
