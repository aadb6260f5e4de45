// The writer sums counter increments and last-verified times per batch and writes them at its
// end: a job rolled back to its savepoint must leave none of its increments in the sums, and a
// batch that split after a failed end must not count anything twice.
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../exporter/src/store/connection.js';
import { migrateToLatest } from '../../exporter/src/store/migrator.js';
import { createGroupCommit, type GroupCommit } from '../../exporter/src/store/group-commit.js';
import { createWebhookJobRunner, type RecordJob } from '../../exporter/src/store/webhook-deliveries.js';
import { tempDbPath } from '../helpers/tmp.js';

const open: Array<{ h: DatabaseHandle; gc: GroupCommit }> = [];
afterEach(async () => {
  for (const { h, gc } of open.splice(0)) {
    await gc.close();
    await h.close();
  }
});

async function setup() {
  const h = openDatabase(tempDbPath('crowdfund-batch-counters-'));
  await migrateToLatest(h.db);
  const runner = createWebhookJobRunner(h.sqlite);
  const gc = createGroupCommit({ sqlite: h.sqlite, hooks: runner.hooks });
  open.push({ h, gc });
  const counters = () =>
    h.sqlite.prepare('select store_id, counter, label, count from webhook_counters order by store_id, counter, label').all();
  return { h, gc, runner, counters };
}

const bump = (storeId: string, by = 1): RecordJob => ({ kind: 'record', bumps: [{ storeId, counter: 'verification_failures', label: 'bad_signature', by }] });

describe('per-batch counter sums', () => {
  it('adds the increments of released jobs only, each row written once per batch', async () => {
    const { gc, runner, counters } = await setup();
    const results = await Promise.allSettled([
      gc.run(() => runner.run(bump('a'))),
      gc.run(() => {
        runner.run(bump('a', 10));
        runner.run(bump('b', 5));
        throw new Error('rolled back after staging');
      }),
      gc.run(() => runner.run(bump('a', 2))),
      gc.run(() => runner.run(bump('c'))),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(gc.stats().batches).toBe(1);
    expect(counters()).toEqual([
      { store_id: 'a', counter: 'verification_failures', label: 'bad_signature', count: 3 },
      { store_id: 'c', counter: 'verification_failures', label: 'bad_signature', count: 1 },
    ]);
  });

  it('keeps the last verified time at the largest of the batch, never moving it back', async () => {
    const { h, gc, runner } = await setup();
    const delivery = (at: number, id: string) =>
      gc.run(() =>
        runner.run({
          kind: 'delivery',
          at,
          webhookId: 'wh',
          originalDeliveryId: id,
          entry: { signaturePreview: null, storeId: 's' },
          storeId: 's',
          event: 'PayoutCreated',
        }),
      );
    await Promise.all([delivery(200, 'd1'), delivery(300, 'd2'), delivery(100, 'd1')]);
    await delivery(150, 'd3');
    expect(h.sqlite.prepare('select last_verified_at from webhook_store_state where store_id = ?').get('s')).toEqual({ last_verified_at: 300 });
    expect(h.sqlite.prepare("select label, count from webhook_counters where store_id = 's' order by counter, label").all()).toEqual([
      { label: '', count: 1 },
      { label: 'PayoutCreated', count: 4 },
    ]);
  });
});
