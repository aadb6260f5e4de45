// The write path for crowdfund apps: settings snapshots, invoice attribution and computed progress.
// Each function is one transaction, so a scrape never sees an app half-written. The collector reads
// these tables only.
import type { Kysely, Transaction } from 'kysely';
import type { CrowdfundAppRow, Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** What the database keeps of a perk (enough for labels and titles). */
export interface StoredPerk {
  id: string;
  title: string;
  disabled: boolean;
  priceType: string | null;
  price: string | null;
  inventory: number | null;
}

/** A Crowdfund app's settings as the store keeps them (sources/btcpay/crowdfund/settings.ts makes it). */
export interface CrowdfundAppRecord {
  id: string;
  storeId: string;
  title: string;
  appName: string | null;
  enabled: boolean;
  archived: boolean;
  targetCurrency: string;
  targetAmount: string | null;
  enforceTargetAmount: boolean;
  startDate: number | null;
  endDate: number | null;
  resetEvery: string;
  resetEveryAmount: number;
  perks: StoredPerk[];
}

/** A computed progress (sources/btcpay/crowdfund/progress.ts CrowdfundProgress fits it). */
export interface CrowdfundProgressRecord {
  windowStart: number | null;
  nextReset: number | null;
  settled: string;
  pending: string;
  raisedSats: number;
  contributors: number;
  perkCounts: Readonly<Record<string, number>>;
}

export async function saveCrowdfundApp(
  db: Kysely<Database>,
  app: CrowdfundAppRecord,
  opts: { allStoreInvoices: boolean; now: number },
): Promise<void> {
  const perks = app.perks;
  const row = {
    app_id: app.id,
    store_id: app.storeId,
    title: app.title,
    app_name: app.appName,
    enabled: app.enabled ? 1 : 0,
    archived: app.archived ? 1 : 0,
    target_currency: app.targetCurrency,
    target_amount: app.targetAmount,
    enforce_target_amount: app.enforceTargetAmount ? 1 : 0,
    start_date: app.startDate,
    end_date: app.endDate,
    reset_every: app.resetEvery,
    reset_every_amount: app.resetEveryAmount,
    perks_json: JSON.stringify(perks),
    all_store_invoices: opts.allStoreInvoices ? 1 : 0,
    updated_at: opts.now,
  };
  const { app_id: _key, ...update } = row;
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('crowdfund_apps').values(row).onConflict((oc) => oc.column('app_id').doUpdateSet(update)).execute();
    // Perks removed from the template stop being exported.
    const ids = perks.map((p) => p.id);
    let del = trx.deleteFrom('crowdfund_perk_contributions').where('app_id', '=', app.id);
    if (ids.length > 0) del = del.where('perk_id', 'not in', ids);
    await del.execute();
  });
}

/** Forgets an app (no longer configured or deleted in BTCPay); attribution and progress go too. */
export async function removeCrowdfundApp(db: Db, appId: string): Promise<void> {
  await db.deleteFrom('crowdfund_apps').where('app_id', '=', appId).execute();
}

/** Records that invoices belong to an app; existing pairs are kept. */
export async function attributeInvoices(db: Db, appId: string, invoiceIds: readonly string[]): Promise<void> {
  if (invoiceIds.length === 0) return;
  // SQLite limits bound parameters; 400 pairs (800 values) per statement stays far below it.
  for (let i = 0; i < invoiceIds.length; i += 400) {
    const values = invoiceIds.slice(i, i + 400).map((invoice_id) => ({ app_id: appId, invoice_id }));
    await db.insertInto('crowdfund_app_invoices').values(values).onConflict((oc) => oc.doNothing()).execute();
  }
}

/** The apps an invoice belongs to (a verified webhook recomputes only those). */
export async function appsOfInvoice(db: Db, invoiceId: string): Promise<string[]> {
  const rows = await db.selectFrom('crowdfund_app_invoices').select('app_id').where('invoice_id', '=', invoiceId).execute();
  return rows.map((r) => r.app_id);
}

/**
 * Makes `invoiceIds` the app's invoices. Rows of invoices created after `listedUntil` (the pinned
 * end of the listing that produced the set) stay: a webhook may have attributed them meanwhile.
 */
export async function replaceAttribution(
  db: Kysely<Database>,
  appId: string,
  invoiceIds: readonly string[],
  listedUntil: number,
): Promise<{ added: number; removed: number }> {
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('crowdfund_app_invoices as a')
      .leftJoin('invoices as i', 'i.id', 'a.invoice_id')
      .select(['a.invoice_id', 'i.created_time'])
      .where('a.app_id', '=', appId)
      .execute();
    const wanted = new Set(invoiceIds);
    const have = new Set(current.map((r) => r.invoice_id));
    const stale = current
      .filter((r) => !wanted.has(r.invoice_id) && !(r.created_time !== null && r.created_time > listedUntil))
      .map((r) => r.invoice_id);
    for (let i = 0; i < stale.length; i += 400) {
      await trx.deleteFrom('crowdfund_app_invoices').where('app_id', '=', appId).where('invoice_id', 'in', stale.slice(i, i + 400)).execute();
    }
    const fresh = invoiceIds.filter((id) => !have.has(id));
    await attributeInvoices(trx, appId, fresh);
    return { added: fresh.length, removed: stale.length };
  });
}

/** Stores a computed progress: the progress row and one count per perk of the app, atomically. */
export async function saveCrowdfundProgress(
  db: Db,
  appId: string,
  progress: CrowdfundProgressRecord,
  now: number,
): Promise<void> {
  // Inside a caller's transaction (read, compute, write as one unit) or in its own.
  const inTransaction = <T>(fn: (trx: Db) => Promise<T>): Promise<T> =>
    db.isTransaction ? fn(db) : (db as Kysely<Database>).transaction().execute(fn);
  await inTransaction(async (trx) => {
    const app = await trx.selectFrom('crowdfund_apps').select('perks_json').where('app_id', '=', appId).executeTakeFirst();
    if (!app) throw new Error(`crowdfund app ${appId} is not stored; save its settings first`);
    const row = {
      app_id: appId,
      settled_amount: progress.settled,
      pending_amount: progress.pending,
      raised_sats: progress.raisedSats,
      contributors: progress.contributors,
      window_start: progress.windowStart,
      next_reset: progress.nextReset,
      computed_at: now,
    };
    const { app_id: _key, ...update } = row;
    await trx.insertInto('crowdfund_progress').values(row).onConflict((oc) => oc.column('app_id').doUpdateSet(update)).execute();
    // Only the app's own perks: itemCode is free text on API-created invoices, labels must stay bounded.
    await trx.deleteFrom('crowdfund_perk_contributions').where('app_id', '=', appId).execute();
    const perks = storedPerks(app.perks_json);
    if (perks.length > 0) {
      await trx
        .insertInto('crowdfund_perk_contributions')
        .values(perks.map((p) => ({ app_id: appId, perk_id: p.id, contributions: progress.perkCounts[p.id] ?? 0 })))
        .execute();
    }
  });
}

export function storedPerks(json: string): StoredPerk[] {
  const parsed: unknown = JSON.parse(json);
  return Array.isArray(parsed) ? (parsed as StoredPerk[]) : [];
}
