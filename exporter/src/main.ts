// Composition root: config → database → sources → http → scheduler, and graceful shutdown.
// Nothing here computes anything; it only wires the parts together.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setupBtcpay } from './wiring/btcpay.js';
import type { DemoBtcpay } from './demo/btcpay-simulator/demo.js';
import type { BtcpaySource } from './sources/btcpay/source.js';
import { createDeliveryFailureChecker, ensureWebhookRegistered } from './sources/btcpay/webhook-registration.js';
import { createWebhookReceiver, type WebhookReceiver } from './webhooks/receiver.js';
import { recentDeliveries } from './store/webhook-log.js';
import { createMissedWebhookDetector } from './webhooks/missed-detector.js';
import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './store/connection.js';
import { isMigrated, migrateToLatest } from './store/migrator.js';
import { createApp } from './http/app.js';
import { invoiceExportRoutes } from './http/invoice-export-routes.js';
import type { LandingSource } from './http/landing.js';
import { webhookLandingSection, webhookRoutes } from './http/webhook-routes.js';
import { createLogger, maskSecret, type Logger } from './log.js';
import { buildMetrics } from './metrics/build.js';
import type { MetricsRegistry } from './metrics/registry.js';
import { Scheduler } from './scheduler/scheduler.js';
import { closeInterruptedRuns } from './store/sync-runs.js';
import { VERSION } from './version.js';

export interface Exporter {
  config: Config;
  log: Logger;
  database: DatabaseHandle;
  scheduler: Scheduler;
  metrics: MetricsRegistry;
  server: Server;
  /** The BTCPay webhook receiver, when BTCPay is used (live or demo). */
  webhooks: WebhookReceiver | undefined;
  /** The BTCPay source (live or the demo simulator); undefined when BTCPay is not used. */
  btcpay: BtcpaySource | undefined;
  /** Demo mode's in-process BTCPay simulator. */
  demo: DemoBtcpay | undefined;
  /** Base URL the HTTP server listens on (with the real port when PORT=0). */
  url: string;
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** Start the scheduler (initial sync + cron). Tests may turn it off. */
  schedule?: boolean;
  /** Clock (unix seconds) for values derived from dates, e.g. Angor lifecycle; tests pin it. */
  now?: () => number;
}

function landingSources(config: Config, demoLanding: LandingSource | undefined): LandingSource[] {
  const out: LandingSource[] = [];
  if (demoLanding) out.push(demoLanding);
  if (config.btcpay) {
    out.push({
      name: 'BTCPay Server',
      details: [
        ['URL', config.btcpay.url],
        ['Stores', config.btcpay.storeIds.join(', ') || '(all stores the key can see)'],
        ['API key', maskSecret(config.btcpay.apiKey)],
        ['Webhook secret', maskSecret(config.btcpay.webhookSecret)],
      ],
    });
  }
  if (config.angor.enabled) {
    out.push({
      name: `Angor (${config.angor.network})`,
      details: [
        ['Indexers', config.mode === 'demo' ? `demo data from ${config.angor.demoFile}` : config.angor.indexerUrls.join(', ')],
        ['Nostr relays', config.mode === 'demo' ? '(not used in demo mode)' : config.angor.relays.join(', ')],
        ['Projects', config.angor.projects.join(', ') || '(all)'],
      ],
    });
  }
  out.push({
    name: 'Exporter',
    details: [
      ['Database', config.databasePath],
      ['Sync schedule', config.syncSchedule],
      ['Metrics token', maskSecret(config.metricsToken)],
      ['Admin token', maskSecret(config.adminToken)],
    ],
  });
  return out;
}

/** Migrations, then the sync runs an earlier process left open. */
async function prepareStore(database: DatabaseHandle, log: Logger): Promise<void> {
  const applied = await migrateToLatest(database.db);
  if (applied.length > 0) log.info({ applied }, 'database migrated');
  const interrupted = await closeInterruptedRuns(database.db, Math.floor(Date.now() / 1000));
  if (interrupted > 0) log.warn({ interrupted }, 'closed sync runs left open by an earlier stop');
}

/** Listens on HOST:PORT; the URL has the real port (PORT=0) and a reachable host for 0.0.0.0 / ::. */
async function listen(app: ReturnType<typeof createApp>, config: Config): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return { server, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${addr.port}` };
}

/** Finishes in-flight requests; idle keep-alive sockets are closed at once. */
function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** Register (or find) the exporter's webhook in each store, in the background. */
function registerWebhooks(btcpay: BtcpaySource, url: string, secret: string, log: Logger): void {
  for (const storeId of btcpay.storeIds) void ensureWebhookRegistered({ client: btcpay.client, storeId, url, secret, log });
}

function onceOnly(fn: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= fn());
}

export async function startExporter(config: Config, opts: StartOptions = {}): Promise<Exporter> {
  const log = opts.log ?? createLogger(config.logLevel);
  const database = openDatabase(config.databasePath);
  const closers: Array<() => Promise<void>> = [];
  try {
    await prepareStore(database, log);

    const scheduler = new Scheduler({ db: database.db, log, schedule: config.syncSchedule });
    if (config.angor.enabled) {
      // Loaded only when used: Nostr and its WebSocket stack cost idle memory otherwise.
      const { createAngorSyncJob } = await import('./wiring/angor.js');
      scheduler.add(createAngorSyncJob({ angor: config.angor, mode: config.mode, db: database.db, log, now: opts.now }));
    }

    // BTCPay: the live server or, in demo mode, the simulator. The sync counts a status change no
    // verified webhook reported as missed, which only means something when a secret is set.
    const missed = createMissedWebhookDetector({ log });
    const webhookUrl = `${config.publicUrl}/webhooks/btcpay`;
    let btcpaySource: BtcpaySource | undefined;
    let deliveryFailures: ReturnType<typeof createDeliveryFailureChecker> | undefined;
    const { source: btcpay, demo, landing: demoLanding, close: closeBtcpay } = await setupBtcpay(config, {
      db: database.db,
      log,
      jobs: scheduler,
      onStatusChange: async (db, change, sqlite) => {
        if (btcpaySource?.webhookSecret !== undefined) await missed(db, change, sqlite);
      },
      // BTCPay's own delivery log (Failed / HttpError), where the key may read it.
      afterStoreSync: async (storeId) => {
        await deliveryFailures?.check(storeId);
      },
      now: opts.now,
    });
    btcpaySource = btcpay;
    if (btcpay) {
      deliveryFailures = createDeliveryFailureChecker({
        db: database.db,
        client: btcpay.client,
        log,
        url: config.publicUrlConfigured ? webhookUrl : undefined,
      });
    }
    closers.push(closeBtcpay);
    // Stores whose webhooks are accepted: the configured ones plus every store a sync job follows.
    const btcpayStores = () => [...new Set([...(config.btcpay?.storeIds ?? []), ...(btcpay?.storeIds ?? [])])];
    const metrics = buildMetrics({
      db: database.db,
      mode: config.mode,
      sources: () => scheduler.sources,
      angor: config.angor.enabled,
      now: opts.now,
      webhookStores: btcpayStores,
    });

    const webhooks = btcpay
      ? createWebhookReceiver({
          db: database.db,
          sqlite: database.sqlite,
          log,
          secret: btcpay.webhookSecret,
          storeIds: btcpayStores,
          // A verified event updates the status at once; the amounts come from this targeted fetch.
          refreshInvoices: (storeId, ids) => btcpay.storeJob(storeId)?.refreshInvoices(ids),
          retention: { retentionDays: config.webhooks.retentionDays, maxRows: config.webhooks.retentionMaxRows },
        })
      : undefined;
    if (webhooks) closers.push(() => webhooks.close());
    const recent = (limit: number) => recentDeliveries(database.db, limit);

    const app = createApp({
      mode: config.mode,
      db: database.db,
      metrics,
      log,
      metricsToken: config.metricsToken,
      adminToken: config.adminToken,
      isReady: () => isMigrated(database.db),
      refresh: () => {
        void scheduler.runAll('refresh');
        return scheduler.sources;
      },
      landingSources: landingSources(config, demoLanding),
      webhookUrl: btcpay ? webhookUrl : undefined,
      grafanaUrl: config.grafanaUrl,
      now: opts.now,
      mount: [
        invoiceExportRoutes({ databasePath: database.path, adminToken: config.adminToken, log }),
        ...(webhooks
          ? [
              webhookRoutes({
                receiver: webhooks,
                recent,
                log,
                maxBodyBytes: config.webhooks.maxBodyBytes,
                rateLimitPerSecond: config.webhooks.rateLimitPerSecond,
                apiToken: config.metricsToken,
              }),
            ]
          : []),
      ],
      landingSections: webhooks ? webhookLandingSection(recent) : undefined,
    });

    const { server, url } = await listen(app, config);
    log.info({ url, mode: config.mode, version: VERSION }, 'exporter listening');
    // The simulator delivers its webhooks to this very process.
    demo?.connect(`${url}/webhooks/btcpay`);
    // Live: register (or find) the exporter's webhook where the key allows it. Only with an
    // explicit PUBLIC_URL, since BTCPay must reach that address, and with the secret we verify with.
    if (config.btcpay && btcpay && config.publicUrlConfigured && config.btcpay.webhookSecret !== undefined) {
      registerWebhooks(btcpay, webhookUrl, config.btcpay.webhookSecret, log);
    }

    if (opts.schedule !== false) scheduler.start();

    const close = onceOnly(async () => {
      log.info('shutting down');
      await scheduler.stop();
      await closeServer(server);
      for (const c of closers.reverse()) await c();
      await database.close();
      log.info('stopped');
    });
    return { config, log, database, scheduler, metrics, webhooks, server, btcpay, demo, url, close };
  } catch (err) {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    await database.close();
    throw err;
  }
}
