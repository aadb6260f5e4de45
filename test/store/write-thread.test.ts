// The webhook writer on its worker thread: the same database contents as writing on the main
// connection, a thread that starts with the first job and stops on close, and acknowledgements
// that wait for a lock held by another connection instead of answering early.
import BetterSqlite3 from 'better-sqlite3';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createWebhookReceiver, type DeliveryOutcome } from '../../exporter/src/webhooks/receiver.js';
import { signBody } from '../../exporter/src/webhooks/signature.js';
import { createWebhookWriter } from '../../exporter/src/store/write-thread.js';
import type { WebhookWriteJob } from '../../exporter/src/store/webhook-deliveries.js';
import { openTestDb } from '../helpers/db.js';
import { btcpayBytes, FACTS_SECRET, invoiceEvent } from '../webhooks/fixtures.js';
import { Rng } from '../../exporter/src/demo/btcpay-simulator/rng.js';

const log = pino({ level: 'silent' });
const STORE_A = 'WriterStoreA111111111111111111111111111111111';
const STORE_B = 'WriterStoreB222222222222222222222222222222222';


interface Request {
  body: Buffer;
  signature: string | undefined;
}

/**
 * Requests that exercise every branch of the write path: invoice lifecycles in shuffled order,
 * redeliveries and exact replays, a known invoice named by another store, manual marking, ignored
 * events, a foreign store, malformed JSON and bad or missing signatures.
 */
function requests(): Request[] {
  const rng = new Rng(8_2026); // same stream on every run
  const rnd = () => rng.next();
  const out: Request[] = [];
  const signed = (ev: Record<string, unknown>): Request => {
    const body = btcpayBytes(ev);
    return { body, signature: signBody(body, FACTS_SECRET) };
  };
  const lifecycle = [
    ['InvoiceCreated', {}],
    ['InvoiceReceivedPayment', { afterExpiration: false }],
    ['InvoiceProcessing', { overPaid: false }],
    ['InvoicePaymentSettled', { afterExpiration: false }],
    ['InvoiceSettled', { manuallyMarked: false, overPaid: false }],
    ['InvoiceExpired', { partiallyPaid: true }],
    ['InvoicePaidAfterExpiration', {}],
    ['InvoiceInvalid', { manuallyMarked: false }],
  ] as const;
  for (let i = 0; i < 30; i++) {
    const storeId = i % 3 === 0 ? STORE_B : STORE_A;
    const invoiceId = `WriterInv${String(i).padStart(13, '0')}`;
    for (let s = 0; s < 3 + (i % 4); s++) {
      const [type, extra] = lifecycle[Math.floor(rnd() * lifecycle.length)]!;
      const ev = invoiceEvent({ type, storeId, invoiceId, deliveryId: `D${i}x${s}`.padEnd(22, 'q'), timestamp: 1_763_740_000 + i * 10 + s, extra: { ...extra } });
      out.push(signed(ev));
      if (rnd() < 0.2) out.push(signed({ ...ev, deliveryId: `R${i}x${s}`.padEnd(22, 'q'), isRedelivery: true }));
      if (rnd() < 0.1) out.push(signed(ev));
    }
  }
  // The same invoice id from the other store: left alone, and reported as such.
  out.push(signed(invoiceEvent({ type: 'InvoiceSettled', storeId: STORE_A, invoiceId: `WriterInv${'0'.repeat(13)}`, deliveryId: 'Dcross'.padEnd(22, 'q') })));
  out.push(signed(invoiceEvent({ type: 'InvoiceInvalid', storeId: STORE_B, invoiceId: `WriterInv${'3'.padStart(13, '0')}`, deliveryId: 'Dmark'.padEnd(22, 'q'), extra: { manuallyMarked: true } })));
  out.push(signed(invoiceEvent({ type: 'PayoutCreated', storeId: STORE_A, deliveryId: 'Dpayout'.padEnd(22, 'q') })));
  out.push(signed(invoiceEvent({ type: 'InvoiceSettled', storeId: 'WriterForeign99999999999999999999999999999999', invoiceId: 'WriterInvForeign', deliveryId: 'Dforeign'.padEnd(22, 'q') })));
  const malformed = Buffer.from('{"storeId": "' + STORE_A + '", "type": ', 'utf8');
  out.push({ body: malformed, signature: signBody(malformed, FACTS_SECRET) });
  const forged = btcpayBytes(invoiceEvent({ type: 'InvoiceSettled', storeId: STORE_A, invoiceId: 'WriterInvForged', deliveryId: 'Dforged'.padEnd(22, 'q') }));
  out.push({ body: forged, signature: signBody(forged, 'not the secret') });
  out.push({ body: forged, signature: undefined });
  // Shuffled (Fisher–Yates), so events of one invoice arrive out of order.
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const TABLES: Record<string, string> = {
  webhook_deliveries: 'select * from webhook_deliveries order by id',
  webhook_seen: 'select * from webhook_seen order by webhook_id, original_delivery_id',
  webhook_counters: 'select * from webhook_counters order by store_id, counter, label',
  webhook_store_state: 'select * from webhook_store_state order by store_id',
  invoices: 'select * from invoices order by id',
  invoice_status_totals: 'select * from invoice_status_totals order by store_id, status',
  store_totals: 'select * from store_totals order by store_id',
  store_raised_amounts: 'select * from store_raised_amounts order by store_id, currency',
};

async function ingest(writerThread: boolean, reqs: Request[]) {
  const h = await openTestDb();
  const receiver = createWebhookReceiver({ db: h.db, sqlite: h.sqlite, log, secret: FACTS_SECRET, storeIds: () => [STORE_A, STORE_B], now: () => 1_763_800_000, writerThread });
  const outcomes: DeliveryOutcome[] = [];
  // In groups sent together, so batches hold several deliveries, each in its own savepoint.
  for (let i = 0; i < reqs.length; i += 16) {
    outcomes.push(...(await Promise.all(reqs.slice(i, i + 16).map((r) => receiver.receive(r.body, r.signature)))));
  }
  await receiver.close();
  const tables = Object.fromEntries(Object.entries(TABLES).map(([name, q]) => [name, h.sqlite.prepare(q).all()]));
  return { outcomes, tables };
}

describe('webhook writer thread', () => {
  it('leaves exactly the database the main-connection writer leaves, with the same answers', async () => {
    const reqs = requests();
    const [threaded, inline] = await Promise.all([ingest(true, reqs), ingest(false, reqs)]);
    expect(threaded.outcomes).toEqual(inline.outcomes);
    for (const name of Object.keys(TABLES)) expect(threaded.tables[name], name).toEqual(inline.tables[name]);
    // The comparison is not vacuous: every kind of outcome occurred.
    const results = new Set(threaded.outcomes.map((o) => o.result));
    for (const r of ['accepted', 'duplicate', 'ignored', 'unknown_store', 'malformed', 'bad_signature', 'missing_signature']) expect(results).toContain(r);
    expect((threaded.tables.invoices as unknown[]).length).toBe(30);
  });

  it('starts its thread with the first job, commits before it answers, and stops on close', async () => {
    const h = await openTestDb();
    const writer = createWebhookWriter({ sqlite: h.sqlite, db: h.db, log });
    expect(writer.threadRunning()).toBe(false);
    const job: WebhookWriteJob = { kind: 'record', bumps: [{ storeId: STORE_A, counter: 'requests', label: 'other', by: 3 }] };
    await expect(writer.run(job)).resolves.toBeNull();
    expect(writer.threadRunning()).toBe(true);
    // Another connection sees the commit the moment the job resolved.
    const other = new BetterSqlite3(h.path, { readonly: true });
    try {
      expect(other.prepare('select count from webhook_counters where store_id = ?').get(STORE_A)).toEqual({ count: 3 });
    } finally {
      other.close();
    }
    // Jobs handed in before close are finished, not dropped.
    const late = Array.from({ length: 20 }, () => writer.run(job));
    await writer.close();
    await expect(Promise.all(late)).resolves.toHaveLength(20);
    expect(writer.threadRunning()).toBe(false);
    expect(h.sqlite.prepare('select count from webhook_counters where store_id = ?').get(STORE_A)).toEqual({ count: 63 });
    await expect(writer.run(job)).rejects.toThrow(/closed/);
  });

  it('waits for a write lock another connection holds, and answers only after its own commit', async () => {
    const h = await openTestDb();
    const receiver = createWebhookReceiver({ db: h.db, sqlite: h.sqlite, log, secret: FACTS_SECRET, storeIds: () => [STORE_A] });
    const warm = btcpayBytes(invoiceEvent({ type: 'PayoutCreated', storeId: STORE_A }));
    expect((await receiver.receive(warm, signBody(warm, FACTS_SECRET))).status).toBe(200);

    // A long write transaction on another connection (as a sync page on the main one would be).
    const blocker = new BetterSqlite3(h.path);
    blocker.exec('BEGIN IMMEDIATE');
    blocker.prepare("insert into webhook_counters (store_id, counter, label, count) values ('blocker', 'requests', '', 1)").run();
    let released = false;
    const ev = invoiceEvent({ type: 'InvoiceSettled', storeId: STORE_A, invoiceId: 'WriterInvLocked', extra: { manuallyMarked: false, overPaid: false } });
    const body = btcpayBytes(ev);
    const answer = receiver.receive(body, signBody(body, FACTS_SECRET)).then((o: DeliveryOutcome) => ({ o, released }));
    // Held for a while (well below busy_timeout), then committed.
    await new Promise((r) => setTimeout(r, 300));
    released = true;
    blocker.exec('COMMIT');
    blocker.close();

    const { o, released: wasReleased } = await answer;
    expect(o).toEqual({ status: 200, result: 'accepted' });
    expect(wasReleased).toBe(true);
    expect(h.sqlite.prepare('select status from invoices where id = ?').get('WriterInvLocked')).toEqual({ status: 'Settled' });
    expect(h.sqlite.prepare("select count from webhook_counters where store_id = 'blocker'").get()).toEqual({ count: 1 });
    await receiver.close();
  });
});
