// The missed-webhook hook, called the way the invoice sync calls it: inside a transaction on a
// real database, with and without a matching verified delivery.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createInvoiceWriter, type InvoiceRecord, type StatusChange } from '../../exporter/src/store/invoices.js';
import { createWebhookReceiver } from '../../exporter/src/webhooks/receiver.js';
import { createMissedWebhookDetector } from '../../exporter/src/webhooks/missed-detector.js';
import { buildMetrics } from '../../exporter/src/metrics/build.js';
import { openTestDb } from '../helpers/db.js';
import { btcpayBytes, FACTS_SECRET, invoiceEvent, newId, sample } from './fixtures.js';
import { signBody } from '../../exporter/src/webhooks/signature.js';
import { startTestExporter } from '../helpers/exporter.js';
import { deliver } from './fixtures.js';

const log = pino({ level: 'silent' });
const STORE = 'MissedStore1111111111111111111111111111111111';

const invoice = (id: string, status: InvoiceRecord['status'], additionalStatus = 'None'): InvoiceRecord => ({
  id,
  storeId: STORE,
  status,
  additionalStatus,
  currency: 'USD',
  amount: '10',
  btcPaidSats: 1000,
  createdTime: 1_763_740_000,
  expirationTime: 1_763_740_900,
  monitoringExpiration: 1_763_830_000,
  archived: false,
  orderId: null,
  itemCode: null,
  amountsSynced: true,
  statusSource: 'sync',
});

describe('missed-webhook detector', () => {
  it('counts a sync-found status change that no verified webhook reported, and only that', async () => {
    const { db, sqlite } = await openTestDb();
    const detector = createMissedWebhookDetector({ log });
    const receiver = createWebhookReceiver({ db, sqlite, log, secret: FACTS_SECRET, storeIds: () => [STORE] });
    const metrics = buildMetrics({ db, mode: 'live', sources: () => [], webhookStores: () => [STORE], defaultMetrics: false });

    const reported = newId('I');
    const dropped = newId('I');
    const fellBack = newId('I');
    sqlite.transaction(() => createInvoiceWriter(sqlite).upsertPage([reported, dropped, fellBack].map((id) => invoice(id, 'Processing')), 1_763_741_000))();

    // A verified InvoiceSettled arrived for `reported` only (the other one was dropped).
    const ev = invoiceEvent({ type: 'InvoiceSettled', storeId: STORE, invoiceId: reported, extra: { manuallyMarked: false, overPaid: false } });
    const bytes = btcpayBytes(ev);
    expect((await receiver.receive(bytes, signBody(bytes, FACTS_SECRET))).status).toBe(200);
    // A forged delivery for `dropped` must not count as "reported".
    const forged = btcpayBytes(invoiceEvent({ type: 'InvoiceSettled', storeId: STORE, invoiceId: dropped }));
    expect((await receiver.receive(forged, signBody(forged, 'not the secret'))).status).toBe(401);

    const change = (invoiceId: string, to: StatusChange['to']): StatusChange => ({
      storeId: STORE,
      invoiceId,
      from: { status: 'Processing', additionalStatus: 'None' },
      to,
      detectedAt: 1_763_750_000,
    });
    await db.transaction().execute(async (trx) => {
      await detector(trx, change(reported, { status: 'Settled', additionalStatus: 'None' }), sqlite);
      await detector(trx, change(dropped, { status: 'Settled', additionalStatus: 'None' }), sqlite);
      // Processing → New (double spend): BTCPay sends no event for it, so nothing was missed.
      await detector(trx, change(fellBack, { status: 'New', additionalStatus: 'None' }), sqlite);
    });

    const text = (await metrics.render(false)).body;
    expect(sample(text, 'btcpay_webhook_missed_total', { store: STORE })).toBe(1);
    await receiver.close();
  });

  it('writes only inside the transaction it is given, so a rolled-back sync page counts nothing', async () => {
    const { db, sqlite } = await openTestDb();
    const detector = createMissedWebhookDetector({ log });
    await expect(
      db.transaction().execute(async (trx) => {
        await detector(trx, {
          storeId: STORE,
          invoiceId: newId('I'),
          from: { status: 'New', additionalStatus: 'None' },
          to: { status: 'Expired', additionalStatus: 'None' },
          detectedAt: 1,
        }, sqlite);
        throw new Error('page failed');
      }),
    ).rejects.toThrow('page failed');
    const rows = await db.selectFrom('webhook_counters').selectAll().where('counter', '=', 'missed').execute();
    expect(rows).toEqual([]);
  });
});

describe('a sync after dropped deliveries (over HTTP)', () => {
  it('raises btcpay_webhook_missed_total on /metrics', async () => {
    const exp = await startTestExporter(
      { DEMO: 'false', BTCPAY_URL: 'http://127.0.0.1:9', BTCPAY_API_KEY: 'k', BTCPAY_STORE_IDS: STORE, BTCPAY_WEBHOOK_SECRET: FACTS_SECRET, WEBHOOK_RATE_LIMIT: '0' },
      { schedule: false },
    );
    const detector = createMissedWebhookDetector({ log });
    const hook = `${exp.url}/webhooks/btcpay`;
    const ids = [newId('I'), newId('I'), newId('I')];
    // All three invoices were created and announced; only the first one's settlement arrived.
    for (const id of ids) expect((await deliver(hook, invoiceEvent({ type: 'InvoiceCreated', storeId: STORE, invoiceId: id }), FACTS_SECRET)).status).toBe(200);
    expect((await deliver(hook, invoiceEvent({ type: 'InvoiceSettled', storeId: STORE, invoiceId: ids[0]! }), FACTS_SECRET)).status).toBe(200);

    // What the invoice sync does for one page: write what the API says, and call the hook for
    // every status change against the stored row, in the same transaction.
    const { sqlite } = exp.database;
    await exp.database.db.transaction().execute(async (trx) => {
      for (const id of ids) {
        const res = createInvoiceWriter(sqlite).upsert(invoice(id, 'Settled'), 1_763_760_000);
        const prev = res.previous!;
        if (prev.status !== 'Settled') {
          await detector(trx, { storeId: STORE, invoiceId: id, from: { status: prev.status, additionalStatus: prev.additionalStatus }, to: { status: 'Settled', additionalStatus: 'None' }, detectedAt: 1_763_760_000 }, sqlite);
        }
      }
    });

    const text = await (await fetch(`${exp.url}/metrics`)).text();
    expect(sample(text, 'btcpay_webhook_missed_total', { store: STORE })).toBe(2);
  });
});
