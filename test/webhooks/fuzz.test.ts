// Property-based: random headers and bodies (valid signatures over random bytes included) thrown
// at the real HTTP receiver never produce a 5xx or a crash, and never touch an invoice unless a
// verified delivery was accepted.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { signBody } from '../../exporter/src/webhooks/signature.js';
import type { Exporter } from '../../exporter/src/main.js';
import { startTestExporter } from '../helpers/exporter.js';
import { btcpayBytes, FACTS_SECRET, invoiceEvent, post } from './fixtures.js';

const STORE = 'FuzzStore11111111111111111111111111111111111';
let exp: Exporter;

beforeAll(async () => {
  exp = await startTestExporter(
    {
      DEMO: 'false',
      BTCPAY_URL: 'http://127.0.0.1:9',
      BTCPAY_API_KEY: 'k',
      BTCPAY_STORE_IDS: STORE,
      BTCPAY_WEBHOOK_SECRET: FACTS_SECRET,
      WEBHOOK_RATE_LIMIT: '0',
      WEBHOOK_MAX_BODY_BYTES: '2048',
    },
    { schedule: false },
  );
});

const headerValue = fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '').trim());
const eventTypes = fc.constantFrom('InvoiceCreated', 'InvoiceSettled', 'InvoiceProcessing', 'InvoiceExpired', 'InvoiceInvalid', 'InvoicePaidAfterExpiration', 'InvoiceReceivedPayment', 'PayoutCreated', '', 'x'.repeat(200));

const plausibleEvent = fc
  .record({
    type: eventTypes,
    storeId: fc.oneof(fc.constant(STORE), fc.string({ maxLength: 50 })),
    invoiceId: fc.oneof(fc.constant('FuzzInvoice1'), fc.string({ maxLength: 30 })),
    timestamp: fc.oneof(fc.integer(), fc.double(), fc.constant(1763742334)),
    extra: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
    drop: fc.oneof(fc.constant([] as string[]), fc.subarray(['deliveryId', 'webhookId', 'originalDeliveryId', 'storeId', 'timestamp', 'type'])),
  })
  .map(({ drop, ...o }) => {
    const ev: Record<string, unknown> = invoiceEvent({ type: o.type, storeId: o.storeId, invoiceId: o.invoiceId, timestamp: 0, extra: o.extra });
    ev.timestamp = o.timestamp;
    for (const k of drop) delete ev[k];
    return btcpayBytes(ev);
  });

const body = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)),
  fc.json({ maxDepth: 4 }).map((s) => Buffer.from(s, 'utf8')),
  plausibleEvent,
  fc.constant(Buffer.alloc(0)),
  fc.constant(Buffer.from('['.repeat(1500), 'utf8')),
);

const signature = (bytes: Buffer) =>
  fc.oneof(
    fc.constant(undefined),
    fc.constant(signBody(bytes, FACTS_SECRET)),
    fc.constant(signBody(bytes, FACTS_SECRET).toUpperCase()),
    fc.constant(signBody(bytes, 'another secret')),
    fc.stringMatching(/^sha256=[0-9a-f]{0,70}$/),
    headerValue,
  );

// Well-formed, correctly signed deliveries with random content, so the accepted path (invoice
// writes, duplicates) runs under random input too.
const validDelivery = fc
  .record({
    type: fc.constantFrom('InvoiceCreated', 'InvoiceSettled', 'InvoiceProcessing', 'InvoiceExpired', 'InvoiceInvalid', 'InvoicePaidAfterExpiration', 'InvoiceReceivedPayment', 'InvoiceRefund', 'PayoutCreated', 'Whatever'),
    invoiceId: fc.constantFrom('FuzzA', 'FuzzB', 'FuzzC'),
    deliveryId: fc.constantFrom('d1', 'd2', 'd3', 'd4', 'd5', 'd6'),
    manuallyMarked: fc.boolean(),
    overPaid: fc.boolean(),
    partiallyPaid: fc.boolean(),
    metadata: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  })
  .map(({ type, invoiceId, deliveryId, metadata, ...flags }) => {
    const ev = invoiceEvent({ type, storeId: STORE, invoiceId, deliveryId: `${deliveryId}-${type}`, extra: flags });
    ev.metadata = metadata;
    const bytes = btcpayBytes(ev);
    return [bytes, signBody(bytes, FACTS_SECRET)] as const;
  });

const extraHeaders = fc.dictionary(
  fc.constantFrom('content-type', 'content-encoding', 'x-forwarded-for', 'accept', 'user-agent', 'x-random'),
  headerValue,
  { maxKeys: 3 },
);

describe('receiver under random input', () => {
  it('never answers 5xx and never crashes', async () => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 3, arbitrary: body.chain((b) => fc.tuple(fc.constant(b), signature(b))) },
          { weight: 1, arbitrary: validDelivery },
        ),
        extraHeaders,
        fc.constantFrom('/webhooks/btcpay', '/webhook'),
        async ([bytes, sig], headers, path) => {
          const res = await post(`${exp.url}${path}`, bytes, sig, headers);
          statuses.add(res.status);
          expect(res.status).toBeLessThan(500);
          expect([200, 400, 401, 413, 415, 422]).toContain(res.status);
        },
      ),
      { numRuns: 300 },
    );
    // The run reached the accepted path and the refusals alike.
    expect(statuses).toContain(200);
    expect(statuses).toContain(401);
    expect((await fetch(`${exp.url}/health`)).status).toBe(200);

    // Only accepted, verified deliveries may have created invoices.
    const invoices = await exp.database.db.selectFrom('invoices').select('id').execute();
    const accepted = await exp.database.db
      .selectFrom('webhook_deliveries')
      .select('invoice_id')
      .where('result', '=', 'accepted')
      .where('verified', '=', 1)
      .execute();
    const allowed = new Set(accepted.map((r) => r.invoice_id));
    expect(invoices.every((i) => allowed.has(i.id))).toBe(true);
    const unverified = await exp.database.db.selectFrom('webhook_deliveries').select('payload').where('verified', '=', 0).execute();
    expect(unverified.every((r) => r.payload === null)).toBe(true);
  });
});
