// Assembles the registry with every collector. main.ts and the docs test both use this, so the
// documented metric list is checked against exactly what a running exporter registers.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { VERSION } from '../version.js';
import { AngorCollector } from './angor-collector.js';
import { BtcpayCollector } from './btcpay-collector.js';
import { MetricsRegistry } from './registry.js';
import { SyncCollector } from './sync-collector.js';
import { CrowdfundCollector } from './crowdfund-collector.js';
import { WebhookCollector } from './webhook-collector.js';

export interface BuildMetricsOptions {
  db: Kysely<Database>;
  mode: 'demo' | 'live';
  /** Sync sources this process runs (exported before their first run). */
  sources: () => string[];
  defaultMetrics?: boolean;
  /** Register the Angor collector (ANGOR_ENABLE); default true so the docs test sees every metric. */
  angor?: boolean;
  /** Clock for values derived from dates at scrape time (Angor lifecycle); unix seconds. */
  now?: () => number;
  /** BTCPay stores whose webhooks are accepted (webhook metrics are exported per store). */
  webhookStores?: () => readonly string[];
}

export function buildMetrics(opts: BuildMetricsOptions): MetricsRegistry {
  const metrics = new MetricsRegistry({ version: VERSION, mode: opts.mode, defaultMetrics: opts.defaultMetrics });
  metrics.add(new SyncCollector(metrics.registry, opts.db, opts.sources));
  metrics.add(new CrowdfundCollector(metrics.registry, opts.db));
  if (opts.angor !== false) metrics.add(new AngorCollector(metrics.registry, opts.db, opts.now));
  metrics.add(new WebhookCollector(metrics.registry, opts.db, opts.webhookStores ?? (() => [])));
  metrics.add(new BtcpayCollector(metrics.registry, opts.db));
  return metrics;
}
