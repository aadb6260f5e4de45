// Retention of the delivery log: bounded by age and by rows, in batches, never touching counters,
// and never forgetting an idempotency key while its accepted log row is still there.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createWebhookReceiver } from '../../exporter/src/webhooks/receiver.js';
import { signBody } from '../../exporter/src/webhooks/signature.js';
import { openTestDb } from '../helpers/db.js';
import { btcpayBytes, FACTS_SECRET, invoiceEvent, newId } from '../webhooks/fixtures.js';

const log = pino({ level: 'silent' });
const STORE = 'RetentionStore1111111111111111111111111111111';
const DAY = 86_400;

describe('webhook log retention', () => {
  it('prunes old and surplus rows but keeps counters and dedupes a late redelivery', async () => {
    const { db, sqlite } = await openTestDb();
    let now = 1_763_000_000;
    const receiver = createWebhookReceiver({
      db,
      sqlite,
      log,
      secret: FACTS_SECRET,
      storeIds: () => [STORE],
      now: () => now,
      retention: { retentionDays: 2, maxRows: 100, intervalMs: 3_600_000 },
    });
    const receive = (ev: Record<string, unknown>, secret = FACTS_SECRET) => {
      const bytes = btcpayBytes(ev);
      return receiver.receive(bytes, signBody(bytes, secret));
    };

    const old = invoiceEvent({ type: 'InvoiceCreated', storeId: STORE, invoiceId: newId('I') });
    expect((await receive(old)).result).toBe('accepted');
    for (let i = 0; i < 5; i++) expect((await receive(old, 'bad')).status).toBe(401);

    now += 3 * DAY;
    const recent = invoiceEvent({ type: 'InvoiceCreated', storeId: STORE, invoiceId: newId('I') });
    expect((await receive(recent)).result).toBe('accepted');
    for (let i = 0; i < 150; i++) await receive(invoiceEvent({ type: 'PayoutCreated', storeId: STORE }));

    const countersBefore = await db.selectFrom('webhook_counters').selectAll().orderBy('store_id').orderBy('counter').orderBy('label').execute();
    const deleted = await receiver.prune();
    expect(deleted).toBeGreaterThan(0);

    const rows = await db.selectFrom('webhook_deliveries').select(['id', 'received_at']).execute();
    expect(rows.length).toBeLessThanOrEqual(100);
    expect(rows.every((r) => r.received_at >= now - 2 * DAY)).toBe(true);
    expect(await db.selectFrom('webhook_counters').selectAll().orderBy('store_id').orderBy('counter').orderBy('label').execute()).toEqual(countersBefore);

    // The old key is gone with its log row; the recent one survived the row cap and still dedupes.
    const keys = await db.selectFrom('webhook_seen').select('original_delivery_id').execute();
    expect(keys.map((k) => k.original_delivery_id)).not.toContain(old.deliveryId);
    expect((await receive({ ...recent, deliveryId: newId(), isRedelivery: true })).result).toBe('duplicate');
    await receiver.close();
  });
});
