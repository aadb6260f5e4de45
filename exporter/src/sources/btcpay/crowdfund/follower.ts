// Follows the Crowdfund apps of each synced store. After every store sync (inside the store's lock,
// source `btcpay:<storeId>`): find the apps, read their settings, attribute the window's invoices
// by BTCPay's search term, make sure those invoices are stored with their payments, recompute each
// app's progress. After a webhook-triggered refresh: recompute the apps the refreshed invoices
// belong to, finding the apps of a brand-new invoice with the same search, narrowed to its
// creation second.
import type { Kysely } from 'kysely';
import type { CrowdfundAppRow, Database } from '../../../store/schema.js';
import type { Logger } from '../../../log.js';
import type { SyncContext } from '../../../sources/sync-job.js';
import { SyncError, reasonOf } from '../../sync-error.js';
import type { GreenfieldClient } from '../greenfield-client.js';
import type { Invoice } from '../greenfield-schemas.js';
import type { LockedStore, StoreFollowUp } from '../invoice-sync.js';
import { belongingInvoices, crowdfundSearchTerm } from './attribution.js';
import { appsOfInvoice, attributeInvoices, removeCrowdfundApp, replaceAttribution, saveCrowdfundApp } from '../../../store/crowdfund.js';
import { recomputeCrowdfundProgress } from './recompute.js';
import { resetWindow } from './reset-window.js';
import { crowdfundAppRecord, progressSettingsOf, type CrowdfundApp } from './settings.js';

export type CrowdfundApi = Pick<GreenfieldClient, 'listStoreApps' | 'getCrowdfundApp' | 'listInvoices'>;

export interface CrowdfundFollowerOptions {
  db: Kysely<Database>;
  client: CrowdfundApi;
  log: Logger;
  /** BTCPAY_CROWDFUND_APP_IDS: always followed, and the only apps when the key cannot list apps. */
  appIds: readonly string[];
  /** BTCPAY_CROWDFUND_ALL_STORE_INVOICES: apps that count every invoice of their store. */
  allStoreInvoices: readonly string[];
  /** Stores the exporter syncs (an app of any other store cannot be computed). */
  followedStores: () => readonly string[];
  now?: () => number;
  /** Invoices per list request. */
  pageSize?: number;
}

/** Invoice ids already searched for after a refresh; their search terms never change. */
const PROBED_CACHE_LIMIT = 10_000;

export class CrowdfundFollower implements StoreFollowUp {
  private readonly now: () => number;
  private readonly pageSize: number;
  private readonly log: Logger;
  /** Store of each configured app, learned from its settings. */
  private readonly storeOfApp = new Map<string, string>();
  private readonly told = new Set<string>();
  private readonly probed = new Set<string>();

  constructor(private readonly opts: CrowdfundFollowerOptions) {
    this.now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.pageSize = opts.pageSize ?? 100;
    this.log = opts.log;
  }

  // ---- after a scheduled store sync ---------------------------------------------------------

  async afterSync(ctx: SyncContext, store: LockedStore): Promise<void> {
    const storeId = store.storeId;
    const now = this.now();
    const errors: Array<{ appId: string | undefined; err: unknown }> = [];
    const { discovered, denied } = await this.discover(storeId, ctx.signal).catch((err: unknown) => {
      errors.push({ appId: undefined, err });
      return { discovered: undefined, denied: false };
    });
    const stored = await this.storedApps(storeId);
    const configured = this.opts.appIds.filter((id) => (this.storeOfApp.get(id) ?? storeId) === storeId);
    // Listed: those apps. Denied (no permission): the configured ones only. Listing failed for
    // another reason (BTCPay down for a moment): keep following the apps already known.
    const base = discovered ?? (denied ? [] : stored.map((a) => a.app_id));
    const follow = [...new Set([...base, ...configured])];
    const authoritative = discovered !== undefined || denied;

    const apps: CrowdfundApp[] = [];
    for (const appId of follow) {
      try {
        const app = await this.readSettings(appId, storeId, ctx.signal);
        if (app) apps.push(app);
      } catch (err) {
        errors.push({ appId, err });
      }
    }
    if (authoritative) {
      // Apps no longer listed (deleted, archived) or no longer configured stop being exported.
      const keep = new Set(follow);
      for (const a of stored) {
        if (keep.has(a.app_id)) continue;
        await removeCrowdfundApp(this.opts.db, a.app_id);
        ctx.log.info({ storeId, appId: a.app_id }, 'crowdfund app no longer listed by BTCPay or configured; not followed any more');
      }
    }

    let fetched = 0;
    const searched = apps.filter((a) => !this.countsAllStoreInvoices(a.id));
    const found = new Map<string, Invoice[]>();
    for (const app of searched) {
      try {
        const invoices = await this.search(storeId, app.id, resetWindow(app, now)?.start, now, ctx.signal);
        found.set(app.id, invoices);
        fetched += invoices.length;
      } catch (err) {
        errors.push({ appId: app.id, err });
      }
    }
    const foundIds = new Map([...found].map(([id, list]) => [id, new Set(list.map((i) => i.id))]));
    const searchedIds = [...found.keys()];
    for (const [appId, invoices] of found) {
      const mine = belongingInvoices(appId, invoices, searchedIds, (other) => foundIds.get(other));
      const own = new Set(mine);
      await this.ensureStored(store, invoices.filter((i) => own.has(i.id)), ctx.signal);
      const change = await replaceAttribution(this.opts.db, appId, mine, now);
      if (change.added > 0 || change.removed > 0) ctx.log.debug({ storeId, appId, ...change }, 'crowdfund invoices attributed');
    }

    let written = 0;
    for (const app of apps) {
      // An app whose search failed keeps its last stored progress.
      if (!this.countsAllStoreInvoices(app.id) && !found.has(app.id)) continue;
      const p = await recomputeCrowdfundProgress(this.opts.db, app.id, now);
      if (!p) continue;
      written++;
      ctx.log.info(
        { storeId, appId: app.id, settled: p.settled, pending: p.pending, contributors: p.contributors, windowInvoices: p.windowInvoices, currency: app.targetCurrency },
        'crowdfund progress computed',
      );
    }
    ctx.progress({ fetched, written });

    if (errors.length > 0) {
      const first = errors[0]!;
      const reason = reasonOf(first.err);
      const message = first.err instanceof Error ? first.err.message : String(first.err);
      const where = first.appId ? `crowdfund app ${first.appId}` : 'crowdfund app discovery';
      throw new SyncError(reason, `${where}: ${message}${errors.length > 1 ? ` (and ${errors.length - 1} more crowdfund error(s))` : ''}`, {
        cause: first.err,
      });
    }
  }

  /**
   * Crowdfund apps the store lists (needs btcpay.store.canmodifystoresettings). Without that
   * permission BTCPay answers 403: then only configured (and already known) apps are followed.
   */
  private async discover(storeId: string, signal: AbortSignal | undefined): Promise<{ discovered: string[] | undefined; denied: boolean }> {
    try {
      const apps = await this.opts.client.listStoreApps(storeId, signal);
      return { discovered: apps.filter((a) => a.appType === 'Crowdfund' && a.archived !== true).map((a) => a.id), denied: false };
    } catch (err) {
      if (!(err instanceof SyncError) || (err.reason !== 'missing_permission' && err.reason !== 'not_found')) throw err;
      this.tellOnce(`no-listing:${storeId}`, () => {
        const ids = this.opts.appIds;
        const fields = { storeId, reason: err.reason, followed: ids };
        const why = `The BTCPay API key cannot list the apps of store ${storeId} (that needs btcpay.store.canmodifystoresettings)`;
        if (ids.length > 0) this.log.info(fields, `${why}; following the Crowdfund apps named in BTCPAY_CROWDFUND_APP_IDS instead`);
        else this.log.warn(fields, `${why}, and BTCPAY_CROWDFUND_APP_IDS is empty: no Crowdfund app is followed. Name the app ids there (any key may read an app's settings).`);
      });
      return { discovered: undefined, denied: true };
    }
  }

  /** Reads and stores an app's settings; undefined when it is gone or belongs to another store. */
  private async readSettings(appId: string, storeId: string, signal: AbortSignal | undefined): Promise<CrowdfundApp | undefined> {
    let app: CrowdfundApp;
    try {
      app = await this.opts.client.getCrowdfundApp(appId, signal);
    } catch (err) {
      if (!(err instanceof SyncError) || err.reason !== 'not_found') throw err;
      // 404: deleted, or not a Crowdfund app. Forget it; a configured id is tried again next time.
      const existed = await this.opts.db.selectFrom('crowdfund_apps').select('app_id').where('app_id', '=', appId).executeTakeFirst();
      await removeCrowdfundApp(this.opts.db, appId);
      const configured = this.opts.appIds.includes(appId);
      if (existed || configured) {
        this.log.warn(
          { storeId, appId },
          configured
            ? `BTCPAY_CROWDFUND_APP_IDS names ${appId}, but BTCPay has no Crowdfund app with that id`
            : 'crowdfund app not found any more (deleted); not followed any more',
        );
      }
      return undefined;
    }
    this.storeOfApp.set(appId, app.storeId);
    if (app.storeId !== storeId) {
      if (!this.opts.followedStores().includes(app.storeId)) {
        this.tellOnce(`foreign:${appId}`, () =>
          this.log.warn(
            { appId, appStoreId: app.storeId },
            `crowdfund app ${appId} belongs to store ${app.storeId}, which the exporter does not sync; add that store to BTCPAY_STORE_IDS to follow the app`,
          ),
        );
      }
      return undefined;
    }
    await saveCrowdfundApp(this.opts.db, crowdfundAppRecord(app), { allStoreInvoices: this.countsAllStoreInvoices(appId), now: this.now() });
    return app;
  }

  /**
   * Every invoice of the store with the app's search term created in [startDate, endDate],
   * archived included. Paged inside the fixed window (new invoices shift offsets) and de-duplicated.
   */
  private async search(storeId: string, appId: string, startDate: number | undefined, endDate: number, signal: AbortSignal | undefined): Promise<Invoice[]> {
    const seen = new Map<string, Invoice>();
    for (let skip = 0; ; ) {
      if (signal?.aborted) throw new SyncError('aborted', 'sync aborted (the exporter is stopping)');
      const page = await this.opts.client.listInvoices(
        storeId,
        { textSearch: crowdfundSearchTerm(appId), includeArchived: true, startDate, endDate, skip, take: this.pageSize },
        signal,
      );
      for (const inv of page) if (inv.storeId === storeId && !seen.has(inv.id)) seen.set(inv.id, inv);
      skip += page.length;
      if (page.length < this.pageSize) return [...seen.values()];
    }
  }

  /**
   * The progress is computed from stored invoices and payments. The invoice sync keeps them fresh;
   * fetch (with payment methods) any the search found that the database lacks, knows only from a
   * webhook, or holds in another state than the search just reported.
   */
  private async ensureStored(store: LockedStore, invoices: readonly Invoice[], signal: AbortSignal | undefined): Promise<void> {
    if (invoices.length === 0) return;
    const known = new Map<string, { status: string; additional_status: string; amounts_synced: number }>();
    const ids = invoices.map((i) => i.id);
    for (let i = 0; i < ids.length; i += 400) {
      const rows = await this.opts.db
        .selectFrom('invoices')
        .select(['id', 'status', 'additional_status', 'amounts_synced'])
        .where('id', 'in', ids.slice(i, i + 400))
        .execute();
      for (const r of rows) known.set(r.id, r);
    }
    const stale = invoices
      .filter((inv) => {
        const row = known.get(inv.id);
        return !row || row.amounts_synced !== 1 || row.status !== inv.status || row.additional_status !== inv.additionalStatus;
      })
      .map((inv) => inv.id);
    if (stale.length > 0) await store.fetchAndStore(stale, signal);
  }

  // ---- after a webhook-triggered refresh ----------------------------------------------------

  async afterRefresh(invoices: readonly Invoice[], store: LockedStore): Promise<void> {
    if (invoices.length === 0) return;
    const storeId = store.storeId;
    const apps = await this.storedApps(storeId);
    if (apps.length === 0) return;
    const now = this.now();
    const affected = new Set<string>();
    for (const a of apps) if (a.all_store_invoices === 1) affected.add(a.app_id);

    const unattributed: Invoice[] = [];
    for (const inv of invoices) {
      const of = await appsOfInvoice(this.opts.db, inv.id);
      for (const id of of) affected.add(id);
      if (of.length === 0 && !this.probed.has(inv.id)) unattributed.push(inv);
    }
    const searched = apps.filter((a) => a.all_store_invoices !== 1);
    if (unattributed.length > 0 && searched.length > 0) {
      for (const appId of await this.probe(storeId, searched, unattributed, now)) affected.add(appId);
      if (this.probed.size + unattributed.length > PROBED_CACHE_LIMIT) this.probed.clear();
      for (const inv of unattributed) this.probed.add(inv.id);
    }
    for (const appId of affected) await recomputeCrowdfundProgress(this.opts.db, appId, now);
    if (affected.size > 0) this.log.debug({ storeId, apps: [...affected], invoices: invoices.length }, 'crowdfund progress updated after a webhook');
  }

  /** Searches each app's term over the creation times of new invoices; attributes and returns the apps that matched. */
  private async probe(storeId: string, apps: readonly CrowdfundAppRow[], invoices: readonly Invoice[], now: number): Promise<string[]> {
    const times = invoices.map((i) => i.createdTime);
    const from = Math.min(...times);
    const to = Math.max(...times);
    const wanted = new Set(invoices.map((i) => i.id));
    const foundIds = new Map<string, Set<string>>();
    for (const a of apps) {
      const windowStart = resetWindow(progressSettingsOf(a), now)?.start;
      if (windowStart !== undefined && to < windowStart) continue;
      const start = windowStart === undefined ? from : Math.max(from, windowStart);
      const hits = await this.search(storeId, a.app_id, start, to, undefined);
      foundIds.set(a.app_id, new Set(hits.filter((h) => wanted.has(h.id)).map((h) => h.id)));
    }
    const ids = [...foundIds.keys()];
    const matched: string[] = [];
    for (const [appId, hits] of foundIds) {
      const mine = belongingInvoices(appId, invoices.filter((i) => hits.has(i.id)), ids, (other) => foundIds.get(other));
      if (mine.length === 0) continue;
      await attributeInvoices(this.opts.db, appId, mine);
      matched.push(appId);
    }
    return matched;
  }

  // ---- helpers ------------------------------------------------------------------------------

  private countsAllStoreInvoices(appId: string): boolean {
    return this.opts.allStoreInvoices.includes(appId);
  }

  private storedApps(storeId: string): Promise<CrowdfundAppRow[]> {
    return this.opts.db.selectFrom('crowdfund_apps').selectAll().where('store_id', '=', storeId).execute();
  }

  private tellOnce(key: string, fn: () => void): void {
    if (this.told.has(key)) return;
    this.told.add(key);
    fn();
  }
}
