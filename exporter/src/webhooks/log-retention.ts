// Bounded webhook log: on a timer, deletes log rows beyond the age or row limit and idempotency keys
// past the age limit (store/webhook-log.ts pruneBatch), in small batches that yield in between so
// ingest is never held up.
import type { Kysely } from 'kysely';
import type { Logger } from '../log.js';
import { pruneBatch } from '../store/webhook-log.js';
import type { Database } from '../store/schema.js';

export interface LogRetentionOptions {
  db: Kysely<Database>;
  log: Logger;
  now: () => number;
  retentionDays: number;
  maxRows: number;
  intervalMs?: number;
}

export interface LogRetention {
  /** Runs retention to completion once. */
  prune(): Promise<number>;
  /** Stops the timer and waits for a running prune. */
  close(): Promise<void>;
}

export function startLogRetention(o: LogRetentionOptions): LogRetention {
  async function prune(): Promise<number> {
    let total = 0;
    for (let i = 0; i < 10_000; i++) {
      const n = await pruneBatch(o.db, { now: o.now(), retentionDays: o.retentionDays, maxRows: o.maxRows });
      total += n;
      if (n === 0) break;
      await new Promise((r) => setImmediate(r));
    }
    if (total > 0) o.log.debug({ deleted: total }, 'webhook log pruned');
    return total;
  }
  let pruning: Promise<unknown> = Promise.resolve();
  const run = () => {
    pruning = prune().catch((err: unknown) => o.log.warn({ err }, 'webhook log pruning failed'));
  };
  run();
  const timer = setInterval(run, o.intervalMs ?? 60_000);
  timer.unref();
  return {
    prune,
    async close() {
      clearInterval(timer);
      await pruning;
    },
  };
}
