// Demo mode's BTCPay: the simulator in-process with about 30 days of history in two stores and new
// invoices every few seconds, Crowdfund apps (one receiving live contributions), a least-privilege
// API key, and a webhook to the exporter itself.
import type { Logger } from '../../log.js';
import { PERM } from './api-keys.js';
import { setupDemoCrowdfund, type DemoCrowdfund } from './crowdfund-demo.js';
import { generateHistory } from './history.js';
import { Rng } from './rng.js';
import { BtcpaySimulator, type SimulatorOptions } from './simulator.js';
import { LiveTraffic } from './traffic.js';

export interface DemoBtcpayOptions {
  log: Logger;
  days?: number;
  invoicesPerDay?: number;
  /** Mean wait between live invoices; 0 turns live traffic off. */
  liveIntervalMs?: number;
  /** Mean wait between live contributions to the demo crowdfund; 0 turns them off. */
  crowdfundIntervalMs?: number;
  seed?: number;
  /** Where the simulator listens (default 127.0.0.1 on a free port). */
  host?: string;
  port?: number;
  /** Number of stores (default 2). */
  stores?: number;
  compat?: SimulatorOptions['compat'];
  /** API key permissions (default: view the settings, invoices and rates of each store, and manage its webhooks). */
  permissions?: (storeIds: string[]) => string[];
}

export interface DemoBtcpay {
  simulator: BtcpaySimulator;
  url: string;
  apiKey: string;
  storeIds: string[];
  webhookSecret: string;
  /** The demo's Crowdfund apps (the least-privilege key cannot list them, so they are named). */
  crowdfund: DemoCrowdfund;
  crowdfundAppIds: string[];
  crowdfundAllStoreInvoices: string[];
  /** Creates the stores' webhook to `webhookUrl` and starts live traffic. */
  connect(webhookUrl: string): void;
  close(): Promise<void>;
}

export async function startDemoBtcpay(opts: DemoBtcpayOptions): Promise<DemoBtcpay> {
  const seed = opts.seed ?? 21_000_000;
  const simulator = new BtcpaySimulator({ seed, log: opts.log, compat: opts.compat });
  // The crowdfund store offers on-chain, Lightning and LNURL-pay (for the payment mix) and rates
  // two currency pairs; the shops on-chain and Lightning, and their own currency.
  const stores = Array.from({ length: opts.stores ?? 2 }, (_, i) =>
    simulator.addStore({
      name: i === 0 ? 'Demo crowdfund' : `Demo shop ${i}`,
      defaultCurrency: i % 2 === 0 ? 'USD' : 'EUR',
      ...(i === 0 ? { paymentMethods: ['BTC-CHAIN', 'BTC-LN', 'BTC-LNURL'], defaultCurrencyPairs: ['BTC_USD', 'BTC_EUR'] } : {}),
    }),
  );
  const storeIds = stores.map((s) => s.id);
  const rng = new Rng(seed + 1);
  let invoices = 0;
  for (const id of storeIds) {
    invoices += generateHistory(simulator, id, { days: opts.days ?? 30, invoicesPerDay: opts.invoicesPerDay ?? 50, rng });
  }
  const crowdfund = setupDemoCrowdfund(simulator, storeIds, { rng: new Rng(seed + 2), intervalMs: opts.crowdfundIntervalMs ?? 5000 });
  // Least privilege, as a real deployment should use: view the store (its invoices and its rates,
  // for the "at today's rate" view), manage webhooks.
  const apiKey = simulator.addApiKey(
    opts.permissions?.(storeIds) ?? storeIds.flatMap((id) => [`${PERM.viewStoreSettings}:${id}`, `${PERM.modifyWebhooks}:${id}`]),
  );
  const webhookSecret = rng.base58(16);
  const url = await simulator.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  opts.log.info({ url, stores: storeIds, invoices }, 'demo mode: BTCPay simulator started');
  const traffic = new LiveTraffic(simulator, { storeIds, intervalMs: opts.liveIntervalMs ?? 4000, rng });
  return {
    simulator,
    url,
    apiKey,
    storeIds,
    webhookSecret,
    crowdfund,
    crowdfundAppIds: crowdfund.appIds,
    crowdfundAllStoreInvoices: crowdfund.allStoreInvoices,
    connect(webhookUrl: string) {
      for (const id of storeIds) simulator.createWebhook(id, { url: webhookUrl, secret: webhookSecret });
      if ((opts.liveIntervalMs ?? 4000) > 0) traffic.start();
      crowdfund.start();
    },
    async close() {
      traffic.stop();
      crowdfund.stop();
      await simulator.close();
    },
  };
}
