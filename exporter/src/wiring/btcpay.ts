// Builds the BTCPay source from the configuration: the live server, or in demo mode the simulator
// started in-process (its stores are reset first, as the simulated history is regenerated).
import type { Kysely } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from '../store/schema.js';
import type { LandingSource } from '../http/landing.js';
import { maskSecret, type Logger } from '../log.js';
import { forgetStores } from '../store/forget-stores.js';
import type { StatusChangeHook } from '../store/invoices.js';
import type { DemoBtcpay } from '../demo/btcpay-simulator/demo.js';
import { BtcpaySource, type JobHost } from '../sources/btcpay/source.js';

export interface BtcpaySetup {
  source: BtcpaySource | undefined;
  demo: DemoBtcpay | undefined;
  /** The landing page's entry for the demo's simulator. */
  landing: LandingSource | undefined;
  close(): Promise<void>;
}

function demoLanding(demo: DemoBtcpay): LandingSource {
  return {
    name: 'BTCPay Server (built-in simulator)',
    details: [
      ['URL', demo.url],
      ['Stores', demo.storeIds.join(', ')],
      ['API key', maskSecret(demo.apiKey)],
      ['Webhook secret', maskSecret(demo.webhookSecret)],
    ],
  };
}

export async function setupBtcpay(
  config: Config,
  deps: {
    db: Kysely<Database>;
    log: Logger;
    jobs: JobHost;
    onStatusChange?: StatusChangeHook;
    afterStoreSync?: (storeId: string, signal: AbortSignal) => Promise<void>;
    now?: () => number;
  },
): Promise<BtcpaySetup> {
  let demo: DemoBtcpay | undefined;
  if (config.mode === 'demo') {
    // The simulator is loaded only in demo mode, so a live exporter does not carry it in memory.
    const { startDemoBtcpay } = await import('../demo/btcpay-simulator/demo.js');
    demo = await startDemoBtcpay({ log: deps.log });
    await forgetStores(deps.db, demo.storeIds);
  }
  const connection = config.btcpay
    ? { ...config.btcpay }
    : demo
      ? {
          url: demo.url,
          apiKey: demo.apiKey,
          storeIds: demo.storeIds,
          requestTimeoutMs: 10_000,
          webhookSecret: demo.webhookSecret,
          crowdfundAppIds: demo.crowdfundAppIds,
          crowdfundAllStoreInvoices: demo.crowdfundAllStoreInvoices,
        }
      : undefined;
  const source = connection
    ? new BtcpaySource({
        connection,
        db: deps.db,
        log: deps.log,
        recentWindowSeconds: config.syncRecentWindowSeconds,
        jobs: deps.jobs,
        onStatusChange: deps.onStatusChange,
        afterStoreSync: deps.afterStoreSync,
        now: deps.now,
      })
    : undefined;
  try {
    await source?.start();
  } catch (err) {
    await demo?.close();
    throw err;
  }
  return { source, demo, landing: demo ? demoLanding(demo) : undefined, close: async () => demo?.close() };
}
