// The sync writes its pages through InvoiceWriter.upsertPage / replacePayments (one read per page,
// totals summed per page). A page must leave what the same writer leaves one invoice after the
// other (same rows, outcomes), running totals equal to the reference recomputed from the rows
// (computeTotals), and exactly the payments last reported per invoice. Property-based, over pages
// that update, re-status and repeat invoices.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, sqliteOf, withRelaxedDurability, type DatabaseHandle } from '../../exporter/src/store/connection.js';
import { migrateToLatest } from '../../exporter/src/store/migrator.js';
import { INVOICE_STATUSES } from '../../exporter/src/store/schema.js';
import type { PaymentMethodRecord } from '../../exporter/src/store/invoice-payments.js';
import { computeTotals, readTotals } from '../../exporter/src/store/invoice-totals.js';
import { createInvoiceWriter, type InvoiceRecord, type UpsertResult } from '../../exporter/src/store/invoices.js';

const open: DatabaseHandle[] = [];
afterEach(async () => {
  for (const h of open.splice(0)) await h.close();
});

async function freshDb(): Promise<DatabaseHandle> {
  const h = openDatabase(':memory:');
  open.push(h);
  await migrateToLatest(h.db);
  return h;
}

const decimal = fc.tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 99 })).map(([a, b]) => `${a}.${String(b).padStart(2, '0')}`);

// An invoice's store and creation time never change (BTCPay); everything else may.
const IDS = ['inv-a', 'inv-b', 'inv-c', 'inv-d', 'inv-e'];
const record: fc.Arbitrary<InvoiceRecord> = fc.record({
  id: fc.constantFrom(...IDS),
  storeId: fc.constant('S1'),
  status: fc.constantFrom(...INVOICE_STATUSES),
  additionalStatus: fc.constantFrom('None', 'PaidLate', 'PaidPartial', 'Marked'),
  currency: fc.constantFrom('USD', 'EUR', 'BTC'),
  amount: fc.option(decimal, { nil: null }),
  btcPaidSats: fc.integer({ min: 0, max: 5_000_000 }),
  createdTime: fc.constant(0),
  expirationTime: fc.integer({ min: 1_700_000_000, max: 1_700_200_000 }),
  monitoringExpiration: fc.integer({ min: 1_700_000_000, max: 1_700_300_000 }),
  archived: fc.boolean(),
  orderId: fc.option(fc.constantFrom('o-1', 'o-2'), { nil: null }),
  itemCode: fc.option(fc.constantFrom('', 'perk'), { nil: null }),
  amountsSynced: fc.boolean(),
  statusSource: fc.constantFrom('sync' as const, 'webhook' as const),
}).map((r) => {
  const i = IDS.indexOf(r.id);
  return { ...r, storeId: i % 2 === 0 ? 'S1' : 'S2', createdTime: 1_700_000_000 + i * 3_600 };
});
// Pages of records; `now` moves so is_final changes on its own too.
const pages = fc.array(fc.tuple(fc.array(record, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1_700_000_000, max: 1_700_400_000 })), {
  minLength: 1,
  maxLength: 6,
});

function snapshot(h: DatabaseHandle) {
  const all = (sql: string) => h.sqlite.prepare(sql).all();
  return {
    invoices: all('select * from invoices order by id'),
    statuses: all('select * from invoice_status_totals order by store_id, status'),
    stores: all('select * from store_totals order by store_id'),
    amounts: all('select * from store_raised_amounts order by store_id, currency'),
    methods: all('select * from invoice_payment_methods order by invoice_id, payment_method_id'),
    payments: all('select * from invoice_payments order by invoice_id, payment_method_id, payment_id'),
  };
}

describe('InvoiceWriter.upsertPage (a page at a time)', () => {
  it('leaves the same rows and outcomes as one invoice at a time, and totals equal to the reference', async () => {
    await fc.assert(
      fc.asyncProperty(pages, async (ps) => {
        const one = await freshDb();
        const batch = await freshDb();
        const oneResults: UpsertResult[] = [];
        const batchResults: UpsertResult[] = [];
        for (const [recs, now] of ps) {
          one.sqlite.transaction(() => {
            const writer = createInvoiceWriter(one.sqlite);
            for (const rec of recs) oneResults.push(writer.upsert(rec, now));
          })();
          batch.sqlite.transaction(() => {
            batchResults.push(...createInvoiceWriter(batch.sqlite).upsertPage(recs, now));
          })();
          expect(readTotals(batch.sqlite)).toEqual(computeTotals(batch.sqlite));
        }
        expect(batchResults).toEqual(oneResults);
        expect(snapshot(batch)).toEqual(snapshot(one));
      }),
      { numRuns: 150 },
    );
  });

  it('rolls back with the transaction it runs in', async () => {
    const h = await freshDb();
    const rec = fc.sample(record, { numRuns: 1, seed: 7 })[0]!;
    await expect(
      h.db.transaction().execute(async () => {
        createInvoiceWriter(h.sqlite).upsertPage([{ ...rec, status: 'Settled', additionalStatus: 'None', amount: '1.00' }], 1_700_000_000);
        throw new Error('page failed');
      }),
    ).rejects.toThrow('page failed');
    expect(snapshot(h).invoices).toEqual([]);
    expect(snapshot(h).stores).toEqual([]);
  });
});

const payment = fc.record({
  id: fc.constantFrom('p1', 'p2', 'p3'),
  receivedDate: fc.integer({ min: 1_700_000_000, max: 1_700_100_000 }),
  value: decimal,
  fee: decimal,
  status: fc.constantFrom('Processing', 'Settled', 'Invalid'),
});
const method = fc
  .record({
    paymentMethodId: fc.constantFrom('BTC-CHAIN', 'BTC-LN'),
    rate: decimal,
    amount: decimal,
    paymentMethodPaid: decimal,
    paymentMethodFee: decimal,
    payments: fc.array(payment, { maxLength: 3 }),
  })
  .map((m): PaymentMethodRecord => ({ ...m, currency: 'BTC' }));
const entries = fc.array(
  fc.array(fc.record({ invoiceId: fc.constantFrom('inv-a', 'inv-b', 'inv-c'), methods: fc.array(method, { maxLength: 3 }) }), { minLength: 1, maxLength: 4 }),
  { minLength: 1, maxLength: 4 },
);

describe('InvoiceWriter.replacePayments', () => {
  it('leaves exactly the methods and payments last reported per invoice (a method or payment listed twice: the first is kept)', async () => {
    const base = fc.sample(record, { numRuns: 1, seed: 3 })[0]!;
    await fc.assert(
      fc.asyncProperty(entries, async (es) => {
        const h = await freshDb();
        const writer = createInvoiceWriter(h.sqlite);
        h.sqlite.transaction(() => writer.upsertPage(['inv-a', 'inv-b', 'inv-c'].map((id) => ({ ...base, id })), 1_700_000_000))();
        const last = new Map<string, readonly PaymentMethodRecord[]>();
        for (const page of es) {
          h.sqlite.transaction(() => writer.replacePayments(page))();
          for (const e of page) last.set(e.invoiceId, e.methods);
        }
        // The reference: what the API reported last, first occurrence of a key winning (`on conflict do nothing`).
        const methods = new Map<string, unknown>();
        const payments = new Map<string, unknown>();
        for (const [invoiceId, ms] of last) {
          for (const m of ms) {
            const key = `${invoiceId}|${m.paymentMethodId}`;
            if (!methods.has(key)) {
              methods.set(key, { invoice_id: invoiceId, payment_method_id: m.paymentMethodId, currency: m.currency, rate: m.rate, amount: m.amount, paid: m.paymentMethodPaid, fee: m.paymentMethodFee });
            }
            for (const p of m.payments) {
              const pkey = `${key}|${p.id}`;
              if (!payments.has(pkey)) {
                payments.set(pkey, { invoice_id: invoiceId, payment_method_id: m.paymentMethodId, payment_id: p.id, received_date: p.receivedDate, value: p.value, fee: p.fee, status: p.status });
              }
            }
          }
        }
        const sorted = (m: Map<string, unknown>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
        expect(snapshot(h).methods).toEqual(sorted(methods));
        expect(snapshot(h).payments).toEqual(sorted(payments));
      }),
      { numRuns: 100 },
    );
  });
});

describe('withRelaxedDurability', () => {
  it('commits with synchronous=NORMAL, restores FULL, and keeps other queries out meanwhile', async () => {
    const h = await freshDb();
    const sqlite = sqliteOf(h.db);
    const level = () => sqlite.pragma('synchronous', { simple: true });
    const checkpoint = () => sqlite.pragma('wal_autocheckpoint', { simple: true });
    expect(level()).toBe(2);
    const before = checkpoint();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inside = new Promise<void>((r) => (entered = r));
    const relaxed = withRelaxedDurability(
      h.db,
      async (conn) => {
        expect(level()).toBe(1);
        expect(checkpoint()).toBe(4321);
        entered();
        await gate;
        await conn.transaction().execute((trx) => trx.insertInto('store_totals').values({ store_id: 'S1', raised_sats: 0, contributions: 0, last_invoice_created: null }).execute());
        order.push('relaxed write');
      },
      { walAutocheckpoint: 4321 },
    );
    await inside;
    // A query issued meanwhile (a webhook's commit) waits for the connection and runs with FULL.
    const other = h.db
      .selectFrom('store_totals')
      .selectAll()
      .execute()
      .then((rows) => {
        order.push(`other query (synchronous=${String(level())}, ${rows.length} row)`);
      });
    release();
    await Promise.all([relaxed, other]);
    expect(order).toEqual(['relaxed write', 'other query (synchronous=2, 1 row)']);
    expect(level()).toBe(2);
    expect(checkpoint()).toBe(before);
  });

  it('restores the settings when the work fails', async () => {
    const h = await freshDb();
    await expect(
      withRelaxedDurability(h.db, async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(h.sqlite.pragma('synchronous', { simple: true })).toBe(2);
  });
});
