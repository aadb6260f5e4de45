// The exporter's metrics registry. Collectors read the database when a scrape arrives; each one
// is timed and its success exported (node_exporter's scrape_collector_success pattern), so a
// broken collector shows up as a series instead of a failed scrape.
import { Gauge, Registry, collectDefaultMetrics, openMetricsContentType, type RegistryContentType } from 'prom-client';
import { replaceEventLoopDelayStats } from './event-loop-delay.js';

export const METRIC_PREFIX = 'crowdfund_';

/** The prom-client registry type collectors register their metrics in. */
export type PromRegistry = Registry<RegistryContentType>;

export interface Collector {
  /** Short name, the `collector` label of crowdfund_scrape_collector_*. */
  readonly name: string;
  /** Reads the database and sets this collector's gauges. Must not call any remote API. */
  collect(): Promise<void> | void;
}

export interface RenderedMetrics {
  contentType: string;
  body: string;
}

export class MetricsRegistry {
  readonly registry = new Registry<RegistryContentType>();
  private readonly collectors: Collector[] = [];
  private readonly success: Gauge<'collector'>;
  private readonly duration: Gauge<'collector'>;
  private lock: Promise<unknown> = Promise.resolve();

  constructor(opts: { version: string; mode: string; defaultMetrics?: boolean }) {
    if (opts.defaultMetrics !== false) {
      collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
      // prom-client names these gauges *_total, which only counters may be (promtool check
      // metrics flags them); the per-type crowdfund_nodejs_active_{handles,requests,resources} hold the same counts.
      for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) {
        this.registry.removeSingleMetric(`${METRIC_PREFIX}nodejs_${name}`);
      }
      // prom-client exports NaN for these when two scrapes come within 10 ms.
      replaceEventLoopDelayStats(this.registry, METRIC_PREFIX);
    }
    const info = new Gauge({
      name: 'crowdfund_build_info',
      help: 'Build and run-mode information of the exporter; always 1.',
      labelNames: ['version', 'mode', 'nodejs_version'] as const,
      registers: [this.registry],
    });
    info.set({ version: opts.version, mode: opts.mode, nodejs_version: process.version }, 1);
    this.success = new Gauge({
      name: 'crowdfund_scrape_collector_success',
      help: 'Whether a collector read the database successfully during this scrape (1) or failed (0).',
      labelNames: ['collector'] as const,
      registers: [this.registry],
    });
    this.duration = new Gauge({
      name: 'crowdfund_scrape_collector_duration_seconds',
      help: 'How long a collector took during this scrape.',
      labelNames: ['collector'] as const,
      registers: [this.registry],
    });
  }

  add(collector: Collector): void {
    this.collectors.push(collector);
  }

  /** Runs every collector; failures are recorded, never thrown. Returns the failures. */
  async collect(onError?: (collector: string, err: unknown) => void): Promise<string[]> {
    const failed: string[] = [];
    for (const c of this.collectors) {
      const start = performance.now();
      try {
        await c.collect();
        this.success.set({ collector: c.name }, 1);
      } catch (err) {
        failed.push(c.name);
        this.success.set({ collector: c.name }, 0);
        onError?.(c.name, err);
      }
      this.duration.set({ collector: c.name }, (performance.now() - start) / 1000);
    }
    return failed;
  }

  /**
   * Collects and serialises. prom-client fixes the format per registry, so the OpenMetrics variant
   * switches it for the duration of one render; renders are serialised so they never interleave.
   */
  render(openMetrics: boolean, onError?: (collector: string, err: unknown) => void): Promise<RenderedMetrics> {
    const run = async (): Promise<RenderedMetrics> => {
      await this.collect(onError);
      const type: RegistryContentType = openMetrics ? openMetricsContentType : Registry.PROMETHEUS_CONTENT_TYPE;
      // prom-client's OpenMetrics render strips `_total` from counter names in place, so every
      // later text-format render would lose it too: put the names back afterwards.
      const counters = this.registry.getMetricsAsArray().filter((m) => String(m.type) === 'counter');
      const names = counters.map((m) => m.name);
      this.registry.setContentType(type);
      try {
        return { contentType: type, body: await this.registry.metrics() };
      } finally {
        counters.forEach((m, i) => (m.name = names[i]!));
        this.registry.setContentType(Registry.PROMETHEUS_CONTENT_TYPE);
      }
    };
    const p = this.lock.then(run, run);
    this.lock = p.catch(() => undefined);
    return p;
  }
}
