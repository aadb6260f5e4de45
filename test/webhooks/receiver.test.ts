// The receiver over real HTTP, inside a real exporter (test/helpers/exporter.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { getInvoice } from '../../exporter/src/store/invoices.js';
import { signBody } from '../../exporter/src/webhooks/signature.js';
import type { Exporter } from '../../exporter/src/main.js';
import { startTestExporter } from '../helpers/exporter.js';
import { tempDbPath } from '../helpers/tmp.js';
import {
  btcpayBytes,
  deliver,
  FACTS_SECRET,
  FACTS_STORE,
  invoiceEvent,
  newId,
  post,
  sample,
  SETTLED_BODY,
} from './fixtures.js';

const TOKEN = 'metrics-token-for-tests';
const STORES = {
  facts: FACTS_STORE,
  redelivery: 'StoreRedelivery11111111111111111111111111111',
  badsig: 'StoreBadSignature111111111111111111111111111',
  order: 'StoreOutOfOrder1111111111111111111111111111',
  crash: 'StoreCrash11111111111111111111111111111111111',
  misc: 'StoreMisc111111111111111111111111111111111111',
};

let exp: Exporter;
let dbPath: string;
let hook: string;

const baseEnv = () => ({
  DEMO: 'false',
  BTCPAY_URL: 'http://127.0.0.1:9',
  BTCPAY_API_KEY: 'api-key-for-tests',
  BTCPAY_STORE_IDS: Object.values(STORES).join(','),
  BTCPAY_WEBHOOK_SECRET: FACTS_SECRET,
  WEBHOOK_RATE_LIMIT: '0',
  WEBHOOK_MAX_BODY_BYTES: '4096',
  METRICS_TOKEN: TOKEN,
  DATABASE_PATH: dbPath,
});

async function metrics(e: Exporter = exp): Promise<string> {
  const res = await fetch(`${e.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return res.text();
}

const send = (event: Record<string, unknown>, secret = FACTS_SECRET) => deliver(hook, event, secret);

beforeAll(async () => {
  dbPath = tempDbPath('crowdfund-webhooks-http-');
  exp = await startTestExporter(baseEnv(), { schedule: false });
  hook = `${exp.url}/webhooks/btcpay`;
});

describe('webhook receiver over HTTP', () => {
  it('accepts FACTS.md\'s settled example and records a placeholder invoice', async () => {
    const res = await post(hook, SETTLED_BODY, 'sha256=4334f966eeed5a92e0ff86f7a9a8f2d1030743c0914cf1f52614ab52afa93de7');
    expect(res).toEqual({ status: 200, body: { result: 'accepted' } });
    const inv = await getInvoice(exp.database.db, 'MoNmZKJVdVAYUV73AA8sCP');
    expect(inv).toMatchObject({ status: 'Settled', additionalStatus: 'None', amountsSynced: false, statusSource: 'webhook', btcPaidSats: 0, amount: null, orderId: 'order-1042' });
    const m = await metrics();
    expect(sample(m, 'btcpay_webhook_requests_total', { store: FACTS_STORE, event: 'InvoiceSettled' })).toBe(1);
    expect(sample(m, 'btcpay_webhook_last_verified_timestamp_seconds', { store: FACTS_STORE })).toBeGreaterThan(1_700_000_000);
    // Expected label values are there before they occur.
    expect(sample(m, 'btcpay_webhook_verification_failures_total', { store: STORES.misc, reason: 'unknown_store' })).toBe(0);
    expect(sample(m, 'btcpay_webhook_missed_total', { store: STORES.misc })).toBe(0);
    expect(sample(m, 'btcpay_webhook_delivery_failures', { store: STORES.misc })).toBe(0);
    expect(sample(m, 'btcpay_webhook_requests_total', { store: STORES.misc, event: 'InvoiceExpired' })).toBe(0);
  });

  it('also answers on the old path POST /webhook', async () => {
    const ev = invoiceEvent({ type: 'InvoiceCreated', storeId: STORES.misc, invoiceId: newId('I') });
    const bytes = btcpayBytes(ev);
    expect((await post(`${exp.url}/webhook`, bytes, signBody(bytes, FACTS_SECRET))).status).toBe(200);
  });

  it('counts a redelivery and an exact replay once, as duplicates', async () => {
    const store = STORES.redelivery;
    const invoiceId = newId('I');
    const first = invoiceEvent({ type: 'InvoiceProcessing', storeId: store, invoiceId, extra: { overPaid: false } });
    expect((await send(first)).body).toEqual({ result: 'accepted' });
    // BTCPay's retry: new deliveryId, same originalDeliveryId, isRedelivery true.
    const retry = { ...first, deliveryId: newId(), isRedelivery: true };
    expect(await send(retry)).toEqual({ status: 200, body: { result: 'duplicate' } });
    // An exact replay of the first request: same bytes, same signature.
    expect(await send(first)).toEqual({ status: 200, body: { result: 'duplicate' } });

    const totals = await exp.database.db.selectFrom('invoice_status_totals').selectAll().where('store_id', '=', store).execute();
    expect(totals.find((t) => t.status === 'Processing')?.invoices).toBe(1);
    const accepted = await exp.database.db
      .selectFrom('webhook_deliveries')
      .select('result')
      .where('original_delivery_id', '=', first.deliveryId as string)
      .execute();
    expect(accepted.map((r) => r.result).sort()).toEqual(['accepted', 'duplicate', 'duplicate']);
    const m = await metrics();
    expect(sample(m, 'btcpay_webhook_requests_total', { store, event: 'InvoiceProcessing' })).toBe(3);
    expect(sample(m, 'btcpay_webhook_duplicates_total', { store })).toBe(2);
  });

  it('never changes an invoice on a bad or missing signature', async () => {
    const store = STORES.badsig;
    const invoiceId = newId('I');
    expect((await send(invoiceEvent({ type: 'InvoiceProcessing', storeId: store, invoiceId }))).status).toBe(200);
    const before = await getInvoice(exp.database.db, invoiceId);
    const m0 = await metrics();

    const settled = invoiceEvent({ type: 'InvoiceSettled', storeId: store, invoiceId, extra: { manuallyMarked: false, overPaid: false } });
    const bytes = btcpayBytes(settled);
    expect((await send(settled, 'wrong-secret')).status).toBe(401);
    expect((await post(hook, bytes)).status).toBe(401);
    // A valid signature of other bytes (the compact form) does not carry over.
    expect((await post(hook, JSON.stringify(settled), signBody(bytes, FACTS_SECRET))).status).toBe(401);
    expect((await post(hook, bytes, 'sha256=not-hex')).status).toBe(401);

    expect(await getInvoice(exp.database.db, invoiceId)).toEqual(before);
    const m1 = await metrics();
    const diff = (reason: string) =>
      sample(m1, 'btcpay_webhook_verification_failures_total', { store: 'unknown', reason })! -
      sample(m0, 'btcpay_webhook_verification_failures_total', { store: 'unknown', reason })!;
    expect(diff('bad_signature')).toBe(3);
    expect(diff('missing_signature')).toBe(1);
    // Unverified bodies are never kept, and nothing from them becomes a label.
    const kept = await exp.database.db.selectFrom('webhook_deliveries').select(['payload', 'store_id']).where('verified', '=', 0).execute();
    expect(kept.every((r) => r.payload === null && r.store_id === null)).toBe(true);
    expect(sample(m1, 'btcpay_webhook_requests_total', { store, event: 'InvoiceSettled' })).toBe(0);
  });

  it('ends in the right status when events arrive out of order', async () => {
    const store = STORES.order;
    const a = newId('I');
    for (const type of ['InvoiceSettled', 'InvoiceProcessing', 'InvoiceReceivedPayment', 'InvoiceCreated', 'InvoicePaymentSettled']) {
      expect((await send(invoiceEvent({ type, storeId: store, invoiceId: a, extra: { overPaid: false, manuallyMarked: false } }))).status).toBe(200);
    }
    expect(await getInvoice(exp.database.db, a)).toMatchObject({ status: 'Settled', additionalStatus: 'None' });

    const b = newId('I');
    for (const type of ['InvoicePaidAfterExpiration', 'InvoiceReceivedPayment', 'InvoiceExpired', 'InvoiceCreated']) {
      expect((await send(invoiceEvent({ type, storeId: store, invoiceId: b, extra: { partiallyPaid: false, afterExpiration: true } }))).status).toBe(200);
    }
    expect(await getInvoice(exp.database.db, b)).toMatchObject({ status: 'Expired', additionalStatus: 'PaidLate' });

    // Both count as raised (contributions), with 0 sats until the targeted fetch brings amounts.
    const totals = await exp.database.db.selectFrom('store_totals').selectAll().where('store_id', '=', store).executeTakeFirstOrThrow();
    expect(totals).toMatchObject({ contributions: 2, raised_sats: 0 });
    const byStatus = await exp.database.db.selectFrom('invoice_status_totals').selectAll().where('store_id', '=', store).execute();
    expect(Object.fromEntries(byStatus.map((r) => [r.status, r.invoices]))).toEqual({ New: 0, Processing: 0, Settled: 1, Expired: 1, Invalid: 0 });
  });

  it('leaves nothing half-written when the transaction fails, and the retried delivery succeeds', async () => {
    const store = STORES.crash;
    const invoiceId = newId('I');
    expect((await send(invoiceEvent({ type: 'InvoiceProcessing', storeId: store, invoiceId }))).status).toBe(200);
    const before = await getInvoice(exp.database.db, invoiceId);
    const totalsBefore = await exp.database.db.selectFrom('invoice_status_totals').selectAll().where('store_id', '=', store).execute();

    // A failure injected inside the delivery's transaction, after the log row and the
    // idempotency key were written: the invoice update aborts. A trigger in the database file
    // (not TEMP, which only its own connection sees): the webhook writer has its own connection.
    exp.database.sqlite.exec(`CREATE TRIGGER fail_invoice_update BEFORE UPDATE ON invoices
      WHEN NEW.id = '${invoiceId}' BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
    const settled = invoiceEvent({ type: 'InvoiceSettled', storeId: store, invoiceId, extra: { manuallyMarked: false, overPaid: false } });
    let res;
    try {
      res = await send(settled);
    } finally {
      exp.database.sqlite.exec('DROP TRIGGER IF EXISTS fail_invoice_update');
    }
    expect(res.status).toBeGreaterThanOrEqual(500);

    expect(await getInvoice(exp.database.db, invoiceId)).toEqual(before);
    expect(await exp.database.db.selectFrom('invoice_status_totals').selectAll().where('store_id', '=', store).execute()).toEqual(totalsBefore);
    const seen = await exp.database.db.selectFrom('webhook_seen').selectAll().where('original_delivery_id', '=', settled.deliveryId as string).execute();
    expect(seen).toEqual([]);
    const rows = await exp.database.db.selectFrom('webhook_deliveries').select('result').where('original_delivery_id', '=', settled.deliveryId as string).execute();
    expect(rows.map((r) => r.result)).toEqual(['error']);

    // BTCPay retries (new deliveryId, same original): processed, not a duplicate.
    const retry = { ...settled, deliveryId: newId(), isRedelivery: true };
    expect(await send(retry)).toEqual({ status: 200, body: { result: 'accepted' } });
    expect(await getInvoice(exp.database.db, invoiceId)).toMatchObject({ status: 'Settled' });
    const m = await metrics();
    expect(sample(m, 'btcpay_webhook_duplicates_total', { store })).toBe(0);
    expect(sample(m, 'btcpay_webhook_requests_total', { store, event: 'InvoiceSettled' })).toBe(2);
  });

  it('answers 422 for a verified delivery from a store that is not configured, without a new label', async () => {
    const foreign = 'ForeignStore999999999999999999999999999999999';
    const invoiceId = newId('I');
    expect(await send(invoiceEvent({ type: 'InvoiceSettled', storeId: foreign, invoiceId }))).toEqual({ status: 422, body: { result: 'unknown_store' } });
    expect(await send(invoiceEvent({ type: 'InvoiceSettled', storeId: foreign, invoiceId }), 'forged')).toMatchObject({ status: 401 });
    expect(await getInvoice(exp.database.db, invoiceId)).toBeUndefined();
    const m = await metrics();
    expect(m).not.toContain(foreign);
    expect(sample(m, 'btcpay_webhook_verification_failures_total', { store: 'unknown', reason: 'unknown_store' })).toBeGreaterThanOrEqual(1);
  });

  it('answers 400 for malformed JSON or schema with a valid signature', async () => {
    const bad = Buffer.from('{"type": "InvoiceSettled", ', 'utf8');
    expect(await post(hook, bad, signBody(bad, FACTS_SECRET))).toEqual({ status: 400, body: { result: 'malformed' } });
    const noDelivery = btcpayBytes({ type: 'InvoiceSettled', storeId: STORES.misc, invoiceId: 'x', timestamp: 1 });
    expect((await post(hook, noDelivery, signBody(noDelivery, FACTS_SECRET))).status).toBe(400);
    const m = await metrics();
    // The schema failure names a configured store, so it is counted there.
    expect(sample(m, 'btcpay_webhook_verification_failures_total', { store: STORES.misc, reason: 'malformed' })).toBe(1);
  });

  it('accepts and ignores event types it does not handle', async () => {
    const payout = invoiceEvent({ type: 'PayoutCreated', storeId: STORES.misc, extra: { payoutId: 'p1', pullPaymentId: 'pp1', payoutState: 'AwaitingApproval' } });
    expect(await send(payout)).toEqual({ status: 200, body: { result: 'ignored' } });
    const future = invoiceEvent({ type: 'SomethingBTCPayAddsLater', storeId: STORES.misc });
    expect(await send(future)).toEqual({ status: 200, body: { result: 'ignored' } });
    expect(await send(future)).toEqual({ status: 200, body: { result: 'duplicate' } });
    const m = await metrics();
    expect(sample(m, 'btcpay_webhook_requests_total', { store: STORES.misc, event: 'PayoutCreated' })).toBe(1);
    expect(sample(m, 'btcpay_webhook_requests_total', { store: STORES.misc, event: 'other' })).toBe(2);
  });

  it('answers 413 for an oversized body and counts the request', async () => {
    const m0 = await metrics();
    const big = Buffer.alloc(8192, 0x20);
    expect((await post(hook, big, signBody(big, FACTS_SECRET))).status).toBe(413);
    const m1 = await metrics();
    expect(sample(m1, 'btcpay_webhook_requests_total', { store: 'unknown', event: 'unknown' })).toBe(
      sample(m0, 'btcpay_webhook_requests_total', { store: 'unknown', event: 'unknown' })! + 1,
    );
    const last = await exp.database.db.selectFrom('webhook_deliveries').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    expect(last).toMatchObject({ result: 'too_large', http_status: 413, payload: null });
  });

  it('reads the body itself as express.raw did: 413 for an oversized chunked body, 415 for a compressed one, paths matched loosely', async () => {
    // No content-length: the limit is found while reading.
    const big = Buffer.alloc(8192, 0x20);
    const chunked = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 8; i++) c.enqueue(big.subarray(i * 1024, (i + 1) * 1024));
        c.close();
      },
    });
    const res = await fetch(hook, { method: 'POST', body: chunked, duplex: 'half', headers: { 'content-type': 'application/json' } } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ result: 'too_large' });
    const gz = await post(hook, SETTLED_BODY, signBody(SETTLED_BODY, FACTS_SECRET), { 'content-encoding': 'gzip' });
    expect(gz.status).toBe(415);
    const rows = await exp.database.db.selectFrom('webhook_deliveries').select(['result', 'http_status']).orderBy('id', 'desc').limit(2).execute();
    expect(rows).toEqual([
      { result: 'malformed', http_status: 415 },
      { result: 'too_large', http_status: 413 },
    ]);
    // Express matched paths case-insensitively and with a trailing slash; so does the receiver.
    const event = invoiceEvent({ type: 'InvoiceCreated', storeId: STORES.misc, invoiceId: newId('Inv') });
    const body = btcpayBytes(event);
    const r = await post(`${exp.url}/Webhooks/BTCPay/?x=1`, body, signBody(body, FACTS_SECRET));
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ result: 'accepted' });
    // Other methods on the path are not the receiver's.
    expect((await fetch(hook)).status).toBe(404);
  });

  it('shows recent deliveries on /api/webhooks (behind METRICS_TOKEN) and the landing page', async () => {
    expect((await fetch(`${exp.url}/api/webhooks`)).status).toBe(401);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const res = await fetch(`${exp.url}/api/webhooks?limit=3`, { headers: auth });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { deliveries: Array<Record<string, unknown>> };
    expect(json.deliveries).toHaveLength(3);
    expect(json.deliveries[0]).toHaveProperty('verified');
    expect(json.deliveries[0]).not.toHaveProperty('payload');
    expect((await fetch(`${exp.url}/api/webhooks?limit=abc`, { headers: auth })).status).toBe(400);
    const many = (await (await fetch(`${exp.url}/api/webhooks?limit=100000`, { headers: auth })).json()) as { deliveries: unknown[] };
    expect(many.deliveries.length).toBeLessThanOrEqual(500);

    const html = await (await fetch(`${exp.url}/`)).text();
    expect(html).toContain('Recent webhook deliveries');
    expect(html).toContain('✓');
    expect(html).toContain('✗');
    expect(html).toContain('sha256=');
    for (const body of [html, JSON.stringify(many), await metrics()]) expect(body).not.toContain(FACTS_SECRET);
  });

  it('keeps counters across a restart', async () => {
    const before = await metrics();
    await exp.close();
    exp = await startTestExporter(baseEnv(), { schedule: false });
    hook = `${exp.url}/webhooks/btcpay`;
    const after = await metrics();
    for (const [name, labels] of [
      ['btcpay_webhook_requests_total', { store: STORES.redelivery, event: 'InvoiceProcessing' }],
      ['btcpay_webhook_duplicates_total', { store: STORES.redelivery }],
      ['btcpay_webhook_verification_failures_total', { store: 'unknown', reason: 'bad_signature' }],
    ] as const) {
      expect(sample(after, name, labels)).toBe(sample(before, name, labels));
      expect(sample(after, name, labels)).toBeGreaterThan(0);
    }
  });
});

describe('receiver without a secret', () => {
  it('rejects every delivery with 401', async () => {
    const e = await startTestExporter({ ...baseEnv(), DATABASE_PATH: tempDbPath(), BTCPAY_WEBHOOK_SECRET: '' }, { schedule: false });
    const ev = invoiceEvent({ type: 'InvoiceSettled', storeId: STORES.misc, invoiceId: newId('I') });
    const bytes = btcpayBytes(ev);
    expect((await post(`${e.url}/webhooks/btcpay`, bytes, signBody(bytes, ''))).status).toBe(401);
    expect((await post(`${e.url}/webhooks/btcpay`, bytes)).status).toBe(401);
    expect(await getInvoice(e.database.db, ev.invoiceId as string)).toBeUndefined();
  });
});

describe('rate limit', () => {
  it('answers 429 beyond WEBHOOK_RATE_LIMIT per second, logs no row for them but counts them', async () => {
    const e = await startTestExporter({ ...baseEnv(), DATABASE_PATH: tempDbPath(), WEBHOOK_RATE_LIMIT: '2' }, { schedule: false });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const ev = invoiceEvent({ type: 'InvoiceCreated', storeId: STORES.misc, invoiceId: newId('I') });
      statuses.push((await deliver(`${e.url}/webhooks/btcpay`, ev, FACTS_SECRET)).status);
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const rows = await e.database.db.selectFrom('webhook_deliveries').select('id').execute();
    expect(rows.length).toBe(statuses.filter((s) => s === 200).length);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    // The 429s reach requests_total once the in-memory count is written (close() flushes it).
    const limited = statuses.filter((s) => s === 429).length;
    await e.webhooks!.close();
    const unknown = await e.database.db
      .selectFrom('webhook_counters')
      .select('count')
      .where('store_id', '=', 'unknown')
      .where('counter', '=', 'requests')
      .where('label', '=', 'unknown')
      .executeTakeFirst();
    expect(unknown?.count).toBe(limited);
  });
});
