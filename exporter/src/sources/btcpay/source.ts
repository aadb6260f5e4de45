// The BTCPay source as main.ts wires it: one Greenfield client, one InvoiceSyncJob per store, and
// store discovery when no store id is configured.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import type { Logger } from '../../log.js';
import type { SyncContext, SyncJob } from '../../sources/sync-job.js';
import { SyncError } from '../sync-error.js';
import { CrowdfundFollower } from './crowdfund/follower.js';
import { GreenfieldClient } from './greenfield-client.js';
import { InvoiceSyncJob } from './invoice-sync.js';
import { StoreRatesReader } from './store-rates.js';
import { ensureStoreTotals, type StatusChangeHook } from '../../store/invoices.js';

export interface BtcpayConnection {
  url: string;
  apiKey: string;
  /** Empty: every store the key can see (needs btcpay.store.canviewstoresettings). */
  storeIds: string[];
  requestTimeoutMs: number;
  webhookSecret: string | undefined;
  /** BTCPAY_CROWDFUND_APP_IDS: apps always followed (the only ones when the key cannot list apps). */
  crowdfundAppIds?: string[];
  /** BTCPAY_CROWDFUND_ALL_STORE_INVOICES: apps counting every invoice of their store. */
  crowdfundAllStoreInvoices?: string[];
}

/** What the source needs from the scheduler. */
export interface JobHost {
  add(job: SyncJob): void;
  runJob(job: SyncJob, trigger: string): Promise<unknown>;
}

export interface BtcpaySourceOptions {
  connection: BtcpayConnection;
  db: Kysely<Database>;
  log: Logger;
  recentWindowSeconds: number;
  jobs: JobHost;
  onStatusChange?: StatusChangeHook;
  /** Runs after each successful scheduled sync of a store (e.g. reading webhook delivery failures). */
  afterStoreSync?: (storeId: string, signal: AbortSignal) => Promise<void>;
  /** Clock (unix seconds); tests pin it to the simulator's. */
  now?: () => number;
}

export const STORE_DISCOVERY_SOURCE = 'btcpay:stores';

export class BtcpaySource {
  readonly client: GreenfieldClient;
  private readonly storeJobs = new Map<string, InvoiceSyncJob>();
  /** Crowdfund apps: computed after each store sync and after webhook-triggered refreshes. */
  private readonly crowdfund: CrowdfundFollower;
  /** The store's BTC rates, read after each successful store sync. */
  private readonly rates: StoreRatesReader;

  constructor(private readonly opts: BtcpaySourceOptions) {
    this.client = new GreenfieldClient({
      baseUrl: opts.connection.url,
      apiKey: opts.connection.apiKey,
      timeoutMs: opts.connection.requestTimeoutMs,
      log: opts.log.child({ component: 'greenfield' }),
    });
    this.crowdfund = new CrowdfundFollower({
      db: opts.db,
      client: this.client,
      log: opts.log.child({ component: 'crowdfund' }),
      appIds: opts.connection.crowdfundAppIds ?? [],
      allStoreInvoices: opts.connection.crowdfundAllStoreInvoices ?? [],
      followedStores: () => this.storeIds,
      now: opts.now,
    });
    this.rates = new StoreRatesReader({ db: opts.db, client: this.client, log: opts.log.child({ component: 'store-rates' }), now: opts.now });
  }

  get connection(): BtcpayConnection {
    return this.opts.connection;
  }

  get webhookSecret(): string | undefined {
    return this.opts.connection.webhookSecret;
  }

  /** The sync job of a store (the webhook receiver calls refreshInvoices on it). */
  storeJob(storeId: string): InvoiceSyncJob | undefined {
    return this.storeJobs.get(storeId);
  }

  get storeIds(): string[] {
    return [...this.storeJobs.keys()];
  }

  /** Registers the jobs; configured stores show zeros in /metrics from now on. */
  async start(): Promise<void> {
    const ids = this.opts.connection.storeIds;
    if (ids.length === 0) {
      this.opts.jobs.add(new StoreDiscoveryJob(this.client, (found) => this.addStores(found, true)));
      return;
    }
    await this.addStores(ids, false);
  }

  private async addStores(ids: string[], runNow: boolean): Promise<void> {
    const added: SyncJob[] = [];
    for (const storeId of ids) {
      if (this.storeJobs.has(storeId)) continue;
      await ensureStoreTotals(this.opts.db, storeId);
      const job = new InvoiceSyncJob({
        db: this.opts.db,
        client: this.client,
        storeId,
        recentWindowSeconds: this.opts.recentWindowSeconds,
        log: this.opts.log.child({ source: `btcpay:${storeId}` }),
        onStatusChange: this.opts.onStatusChange,
        followUp: this.crowdfund,
        now: this.opts.now,
      });
      this.storeJobs.set(storeId, job);
      const after = this.opts.afterStoreSync;
      const scheduled: SyncJob = {
        source: job.source,
        run: async (ctx) => {
          await job.run(ctx);
          await this.rates.sync(storeId, ctx.signal);
          if (after) await after(storeId, ctx.signal);
        },
      };
      this.opts.jobs.add(scheduled);
      added.push(scheduled);
    }
    // Discovered stores sync at once (the scheduler records each run under its own source).
    if (runNow) await Promise.all(added.map((job) => this.opts.jobs.runJob(job, 'discovered')));
  }
}

/** Lists the stores the key can see and hands new ones over (source `btcpay:stores`). */
class StoreDiscoveryJob implements SyncJob {
  readonly source = STORE_DISCOVERY_SOURCE;
  constructor(
    private readonly client: GreenfieldClient,
    private readonly onStores: (ids: string[]) => Promise<void>,
  ) {}

  async run(ctx: SyncContext): Promise<void> {
    let ids: string[];
    try {
      ids = (await this.client.listStores(ctx.signal)).map((s) => s.id);
    } catch (err) {
      if (err instanceof SyncError && err.reason === 'missing_permission') {
        throw new SyncError(
          'missing_permission',
          'BTCPAY_STORE_IDS is empty, so the exporter asks BTCPay for every store the API key can see, which needs the permission btcpay.store.canviewstoresettings; the key lacks it. Set BTCPAY_STORE_IDS to the store ids to export (btcpay.store.canviewinvoices is enough then), or grant the permission.',
          { cause: err },
        );
      }
      throw err;
    }
    ctx.progress({ fetched: ids.length });
    if (ids.length === 0) ctx.log.warn('the BTCPay API key sees no store; nothing to sync');
    else ctx.log.info({ stores: ids }, 'BTCPay stores found');
    await this.onStores(ids);
  }
}
