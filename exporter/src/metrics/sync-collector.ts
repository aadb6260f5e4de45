// Sync health per source, read from sync_state and sync_error_counts (a few rows per scrape).
import { Counter, Gauge } from 'prom-client';
import type { Kysely } from 'kysely';
import { readSyncTotals } from '../store/running-totals.js';
import type { Database } from '../store/schema.js';
import { SYNC_ERROR_REASONS } from './labels.js';
import type { Collector, PromRegistry } from './registry.js';

export class SyncCollector implements Collector {
  readonly name = 'sync';
  private readonly up: Gauge<'source'>;
  private readonly lastSuccess: Gauge<'source'>;
  private readonly duration: Gauge<'source'>;
  private readonly errors: Counter<'source' | 'reason'>;

  /** `sources` are the sources this process runs, exported before their first run. */
  constructor(
    registry: PromRegistry,
    private readonly db: Kysely<Database>,
    private readonly sources: () => string[],
  ) {
    this.up = new Gauge({
      name: 'crowdfund_sync_up',
      help: 'Whether the last sync run of a source succeeded (1) or not (0, also before the first run ends).',
      labelNames: ['source'] as const,
      registers: [registry],
    });
    this.lastSuccess = new Gauge({
      name: 'crowdfund_sync_last_success_timestamp_seconds',
      help: 'Unix time of the last successful sync run of a source; 0 if it never succeeded.',
      labelNames: ['source'] as const,
      registers: [registry],
    });
    this.duration = new Gauge({
      name: 'crowdfund_sync_duration_seconds',
      help: 'Duration of the last finished sync run of a source.',
      labelNames: ['source'] as const,
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'crowdfund_sync_errors_total',
      help: 'Failed sync runs per source and reason, persisted across restarts.',
      labelNames: ['source', 'reason'] as const,
      registers: [registry],
    });
  }

  async collect(): Promise<void> {
    const { states, errors: errorRows } = await readSyncTotals(this.db);
    const sources = new Set([...this.sources(), ...states.map((s) => s.source)]);
    this.up.reset();
    this.lastSuccess.reset();
    this.duration.reset();
    this.errors.reset();
    for (const source of sources) {
      const s = states.find((r) => r.source === source);
      this.up.set({ source }, s?.last_outcome === 'success' ? 1 : 0);
      this.lastSuccess.set({ source }, s?.last_success_at ?? 0);
      this.duration.set({ source }, s?.last_duration_seconds ?? 0);
      for (const reason of SYNC_ERROR_REASONS) this.errors.inc({ source, reason }, 0);
    }
    for (const e of errorRows) {
      if (sources.has(e.source)) this.errors.inc({ source: e.source, reason: e.reason }, e.count);
    }
  }
}
