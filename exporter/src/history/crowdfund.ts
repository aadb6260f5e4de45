// The history of two Crowdfund-app series, by the live rules (btcpay/crowdfund/progress.ts) applied
// to each app's invoices as they stood at each step (docs/history.md): an invoice is there from its
// creation, with the payments received by then, and has its current status from its raise time
// (latest accounted payment, else creation) on, New before. Reset windows are BTCPay's own.
//   btcpay_crowdfund_raised_sats{app}:   BTC behind the counted payments, settled and pending alike
//   btcpay_crowdfund_contributors{app}:  Settled or Processing invoices of the window
// The settled/pending split, perks and targets are not written: they depend on payment statuses
// and app settings over time, which the database keeps as of now only. A goal that resets, with
// invoices attributed by search term, has its history from its current window's start only: the
// sync attributes the current window's invoices, so earlier windows may lack some.
// One app's invoices are in memory at a time, as in the live recompute (recompute.ts).
import type BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { progressSettingsOf } from '../sources/btcpay/crowdfund/settings.js';
import { contribution, type ProgressInvoice } from '../sources/btcpay/crowdfund/progress.js';
import { loadProgressInvoices } from '../sources/btcpay/crowdfund/recompute.js';
import { resetWindow, type ResetWindow } from '../sources/btcpay/crowdfund/reset-window.js';
import type { CrowdfundAppRow, Database } from '../store/schema.js';
import { CROWDFUND_METRICS } from '../metrics/crowdfund-collector.js';
import { Decimal } from '../money.js';
import { ceilToStep, withTarget, type FamilySpec, type HistoryRange } from './series.js';

const ZERO = new Decimal(0);
const SATS_PER_BTC = new Decimal(100_000_000);

/** The moment an invoice takes its current status in the history: its raise time. */
export function statusTime(inv: ProgressInvoice): number {
  let latest: number | undefined;
  for (const pm of inv.paymentMethods) {
    for (const p of pm.payments) if (p.status !== 'Invalid' && (latest === undefined || p.receivedDate > latest)) latest = p.receivedDate;
  }
  return latest ?? inv.createdTime;
}

/** The invoice as it stood at t (created by then). */
export function invoiceAt(inv: ProgressInvoice, raisedAt: number, t: number): ProgressInvoice {
  const current = t >= raisedAt;
  return {
    ...inv,
    status: current ? inv.status : 'New',
    additionalStatus: current ? inv.additionalStatus : 'None',
    paymentMethods: inv.paymentMethods.map((pm) => ({ ...pm, payments: pm.payments.filter((p) => p.receivedDate <= t) })),
  };
}

interface Share {
  btc: Decimal;
  contributor: boolean;
}

/**
 * Raised sats and contributors of one app at every boundary from its first invoice on. Running
 * sums, each invoice's share replaced when one of its payments arrives; recomputed for the
 * window's invoices when the window resets.
 */
async function* appHistory(
  db: Kysely<Database>,
  app: CrowdfundAppRow,
  since: number,
  range: HistoryRange,
): AsyncGenerator<readonly [number, number, number]> {
  const settings = progressSettingsOf(app);
  const target = settings.targetCurrency.toUpperCase();
  const softCap = !settings.enforceTargetAmount;
  const invoices = (await loadProgressInvoices(db, app, null)).sort((a, b) => a.createdTime - b.createdTime);
  if (invoices.length === 0) return;
  const raisedAt = new Map(invoices.map((inv) => [inv, statusTime(inv)]));
  // When an invoice's state can change: its creation and each payment.
  const events = invoices
    .flatMap((inv) => [inv.createdTime, ...inv.paymentMethods.flatMap((pm) => pm.payments.map((p) => p.receivedDate))].map((at) => ({ at, inv })))
    .sort((a, b) => a.at - b.at);

  // What computeCrowdfundProgress adds for one window invoice: BTC of a target-currency invoice,
  // and a contributor when it is Settled or Processing (any currency).
  const share = (inv: ProgressInvoice, t: number): Share => {
    const then = invoiceAt(inv, raisedAt.get(inv)!, t);
    return {
      btc: then.currency.toUpperCase() === target ? contribution(then, softCap).btc : ZERO,
      contributor: then.status === 'Settled' || then.status === 'Processing',
    };
  };

  let btc = ZERO;
  let contributors = 0;
  const shares = new Map<ProgressInvoice, Share>();
  let window: ResetWindow | null | undefined;
  let windowStart: number | null | undefined;
  let e = 0;
  const first = ceilToStep(Math.max(invoices[0]!.createdTime, since), range.step);
  for (let t = Math.max(range.start, first); t <= range.end; t += range.step) {
    if (window === undefined || (window !== null && t >= window.next)) window = resetWindow(settings, t);
    const start = window?.start ?? null;
    const changed = new Set<ProgressInvoice>();
    if (start !== windowStart) {
      // A new window (or the first step): only invoices created since its start count.
      windowStart = start;
      btc = ZERO;
      contributors = 0;
      shares.clear();
      for (const inv of invoices) if ((start === null || inv.createdTime >= start) && inv.createdTime <= t) changed.add(inv);
    }
    for (; e < events.length && events[e]!.at <= t; e++) {
      const inv = events[e]!.inv;
      if (start === null || inv.createdTime >= start) changed.add(inv);
    }
    for (const inv of changed) {
      const before = shares.get(inv);
      if (before) {
        btc = btc.minus(before.btc);
        if (before.contributor) contributors -= 1;
      }
      const now = share(inv, t);
      shares.set(inv, now);
      btc = btc.plus(now.btc);
      if (now.contributor) contributors += 1;
    }
    yield [t, btc.times(SATS_PER_BTC).floor().toNumber(), contributors];
  }
}

/**
 * Since when an app's stored invoices are complete: always when it counts every store invoice
 * or its goal never resets; else from the window its progress was last computed for (the window
 * the sync attributed invoices in). Undefined: not yet computed, nothing to write.
 */
function completeSince(sqlite: BetterSqlite3.Database, app: CrowdfundAppRow, until: number): number | undefined {
  if (app.all_store_invoices === 1 || resetWindow(progressSettingsOf(app), until) === null) return -Infinity;
  const row = sqlite.prepare('select window_start from crowdfund_progress where app_id = ?').get(app.app_id) as { window_start: number | null } | undefined;
  return row?.window_start ?? undefined;
}

/** The two Crowdfund families, one series per followed app; none when the database has no apps table. */
export function crowdfundFamilies(sqlite: BetterSqlite3.Database, opts: { job: string; instance: string; until: number }): FamilySpec[] {
  const hasApps = sqlite.prepare("select 1 from sqlite_master where type = 'table' and name = 'crowdfund_apps'").get() !== undefined;
  if (!hasApps) return [];
  const apps = (sqlite.prepare('select * from crowdfund_apps order by app_id').all() as CrowdfundAppRow[]).flatMap((app) => {
    const since = completeSince(sqlite, app, opts.until);
    return since === undefined ? [] : [{ app, since }];
  });
  // kysely on the same connection (inside the caller's read transaction), for the live loader.
  // Never destroyed: that would close the caller's connection.
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const m = CROWDFUND_METRICS;
  const series = (pick: 1 | 2) =>
    apps.map(({ app, since }) => ({
      labels: withTarget([['app', app.app_id]], opts),
      samples: async function* (range: HistoryRange) {
        for await (const s of appHistory(db, app, since, range)) yield [s[0], s[pick]] as const;
      },
    }));
  return [
    { ...m.raisedSats, series: series(1) },
    { ...m.contributors, series: series(2) },
  ];
}
