// Bookkeeping of sync runs: one row per run, the latest state per source, and error counters.
import type { Kysely } from 'kysely';
import type { Database, SyncStateRow } from './schema.js';

export async function startRun(db: Kysely<Database>, source: string, now: number): Promise<number> {
  const row = await db
    .insertInto('sync_runs')
    .values({ source, started_at: now, outcome: 'running', items_fetched: 0, items_written: 0 })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('sync_state')
    .values({ source, last_attempt_at: now })
    .onConflict((oc) => oc.column('source').doUpdateSet({ last_attempt_at: now }))
    .execute();
  return row.id;
}

export interface RunOutcome {
  ok: boolean;
  finishedAt: number;
  durationSeconds: number;
  itemsFetched: number;
  itemsWritten: number;
  errorReason?: string;
  errorMessage?: string;
}

export async function finishRun(db: Kysely<Database>, runId: number, source: string, o: RunOutcome): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('sync_runs')
      .set({
        finished_at: o.finishedAt,
        outcome: o.ok ? 'success' : 'error',
        error_reason: o.errorReason ?? null,
        error_message: o.errorMessage ?? null,
        items_fetched: o.itemsFetched,
        items_written: o.itemsWritten,
      })
      .where('id', '=', runId)
      .execute();
    await trx
      .updateTable('sync_state')
      .set({
        last_outcome: o.ok ? 'success' : 'error',
        last_duration_seconds: o.durationSeconds,
        last_error_reason: o.ok ? null : (o.errorReason ?? 'internal'),
        ...(o.ok ? { last_success_at: o.finishedAt } : {}),
      })
      .where('source', '=', source)
      .execute();
    if (!o.ok) {
      const reason = o.errorReason ?? 'internal';
      await trx
        .insertInto('sync_error_counts')
        .values({ source, reason, count: 1 })
        .onConflict((oc) => oc.columns(['source', 'reason']).doUpdateSet((eb) => ({ count: eb('sync_error_counts.count', '+', 1) })))
        .execute();
    }
  });
}

/** Runs left 'running' by a crash or kill are closed as interrupted at start-up. */
export async function closeInterruptedRuns(db: Kysely<Database>, now: number): Promise<number> {
  const res = await db
    .updateTable('sync_runs')
    .set({ outcome: 'error', finished_at: now, error_reason: 'aborted', error_message: 'interrupted (process stopped)' })
    .where('outcome', '=', 'running')
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

export async function getSyncStates(db: Kysely<Database>): Promise<SyncStateRow[]> {
  return db.selectFrom('sync_state').selectAll().orderBy('source').execute();
}

export async function getCursor(db: Kysely<Database>, source: string): Promise<string | null> {
  const row = await db.selectFrom('sync_state').select('cursor').where('source', '=', source).executeTakeFirst();
  return row?.cursor ?? null;
}

export async function setCursor(db: Kysely<Database>, source: string, cursor: string | null): Promise<void> {
  await db
    .insertInto('sync_state')
    .values({ source, cursor })
    .onConflict((oc) => oc.column('source').doUpdateSet({ cursor }))
    .execute();
}
