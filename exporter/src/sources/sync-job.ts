// The contract every source implements: a SyncJob the scheduler runs (at start-up, on the cron
// schedule, on POST /refresh), reporting progress through its SyncContext.
import type { Logger } from '../log.js';

export interface SyncContext {
  signal: AbortSignal;
  log: Logger;
  /** Jobs report what they fetched and wrote; the run record keeps the totals. */
  progress(counts: { fetched?: number; written?: number }): void;
}

export interface SyncJob {
  /** Source label: `btcpay:<storeId>` or `angor`. */
  readonly source: string;
  run(ctx: SyncContext): Promise<void>;
}
