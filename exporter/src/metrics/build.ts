// Assembles the registry with every collector. main.ts and the docs test both use this, so the
// documented metric list is checked against exactly what a running exporter registers.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { VERSION } from '../version.js';
import { BtcpayCollector } from './btcpay-collector.js';
import { MetricsRegistry } from './registry.js';
import { SyncCollector } from './sync-collector.js';

export interface BuildMetricsOptions {
  db: Kysely<Database>;
  mode: 'demo' | 'live';
  /** Sync sources this process runs (exported before their first run). */
  sources: () => string[];
  defaultMetrics?: boolean;
}

export function buildMetrics(opts: BuildMetricsOptions): MetricsRegistry {
  const metrics = new MetricsRegistry({ version: VERSION, mode: opts.mode, defaultMetrics: opts.defaultMetrics });
  metrics.add(new SyncCollector(metrics.registry, opts.db, opts.sources));
  metrics.add(new BtcpayCollector(metrics.registry, opts.db));
  return metrics;
}
