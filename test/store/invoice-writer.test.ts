// The invoice writer, as the webhook writer thread runs it (totals summed per group-commit batch,
// some deliveries rolled back) and as one write at a time: for any sequence of writes (fast-check),
// amounts in several currencies and sats split by payment method, the running totals equal the
// reference recomputed from the rows (computeTotals), the per-method totals sum to the raised sats,
// and a batch leaves the same rows as the writes it kept, one at a time.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeTotals, createBatchTotals, readTotals } from '../../exporter/src/store/invoice-totals.js';
import { createInvoiceWriter, type InvoiceRecord } from '../../exporter/src/store/invoices.js';
import { openDatabase, type DatabaseHandle } from '../../exporter/src/store/connection.js';
import { migrateToLatest } from '../../exporter/src/store/migrator.js';
import { INVOICE_STATUSES } from '../../exporter/src/store/schema.js';

// An invoice's store and creation time never change (BTCPay); everything else may.
const IDS = ['inv-a', 'inv-b', 'inv-c', 'inv-d'];
const record: fc.Arbitrary<InvoiceRecord> = fc.record({
  id: fc.constantFrom(...IDS),
  storeId: fc.constant('S1'),
  status: fc.constantFrom(...INVOICE_STATUSES),
  additionalStatus: fc.constantFrom('None', 'PaidLate', 'PaidPartial', 'PaidOver', 'Marked'),
  currency: fc.constantFrom('USD', 'EUR', 'BTC'),
  amount: fc.option(
    fc.tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 99 })).map(([a, b]) => `${a}.${String(b).padStart(2, '0')}`),
    { nil: null },
  ),
  btcPaidSats: fc.integer({ min: 0, max: 5_000_000 }),
  createdTime: fc.constant(0),
  expirationTime: fc.constant(1_763_900_000),
  monitoringExpiration: fc.constantFrom(1_763_750_000, 1_764_000_000),
  archived: fc.boolean(),
  orderId: fc.option(fc.constantFrom('o-1', 'o-2'), { nil: null }),
  itemCode: fc.option(fc.constantFrom('perk-1', ''), { nil: null }),
  amountsSynced: fc.boolean(),
  statusSource: fc.constantFrom('sync' as const, 'webhook' as const),
  // The sats per payment method; usually they are what btcPaidSats sums (the sync computes both
  // from the same methods), sometimes not (a row whose methods were never read).
  split: fc.option(fc.dictionary(fc.constantFrom('BTC-CHAIN', 'BTC-LN', 'BTC-LNURL'), fc.integer({ min: 0, max: 2_000_000 })), { nil: undefined }),
  splitCovers: fc.boolean(),
}).map(({ split, splitCovers, ...r }) => {
  const i = IDS.indexOf(r.id);
  const rec: InvoiceRecord = { ...r, storeId: i % 2 === 0 ? 'S1' : 'S2', createdTime: 1_763_700_000 + i * 3_600 };
  if (split === undefined || Object.keys(split).length === 0) return rec;
  return { ...rec, btcPaidByMethod: split, btcPaidSats: splitCovers ? Object.values(split).reduce((a, b) => a + b, 0) : rec.btcPaidSats };
});

/** The per-method totals of each store add up to its raised sats. */
function methodsSumToRaised(h: DatabaseHandle): void {
  const t = readTotals(h.sqlite);
  for (const [store, s] of Object.entries(t.stores)) {
    const sum = Object.entries(t.methods)
      .filter(([k]) => k.startsWith(`${store}/`))
      .reduce((a, [, v]) => a + v, 0);
    expect(sum, store).toBe(s.raisedSats);
  }
}

async function fresh(): Promise<DatabaseHandle> {
  const h = openDatabase(':memory:');
  await migrateToLatest(h.db);
  return h;
}

const dump = (h: DatabaseHandle) =>
  Object.fromEntries(
    ['invoices', 'invoice_status_totals', 'store_totals', 'store_raised_amounts', 'store_payment_method_totals'].map((t) => [
      t,
      h.sqlite.prepare(`select * from ${t} order by 1, 2`).all(),
    ]),
  );

describe('createInvoiceWriter', () => {
  it('one write at a time: totals equal the reference after every write, outcomes and reads as expected', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(record, fc.integer({ min: 1_763_760_000, max: 1_763_900_000 })), { maxLength: 25 }), async (writes) => {
        const b = await fresh();
        try {
          const writer = createInvoiceWriter(b.sqlite);
          for (const [rec, now] of writes) {
            const before = writer.get(rec.id);
            const result = b.sqlite.transaction(() => writer.upsert(rec, now))();
            expect(result.previous).toEqual(before);
            expect(result.outcome).toBe(before === undefined ? 'inserted' : result.outcome);
            expect(writer.get(rec.id)).toEqual(result.outcome === 'unchanged' ? before : rec);
            expect(readTotals(b.sqlite)).toEqual(computeTotals(b.sqlite));
            methodsSumToRaised(b);
          }
        } finally {
          await b.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('with totals summed per batch (createBatchTotals): the rows the kept writes leave, totals equal to the reference; rolled-back writes leave nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.tuple(record, fc.integer({ min: 1_763_760_000, max: 1_763_900_000 }), fc.boolean()), { maxLength: 8 }), { maxLength: 6 }),
        async (batches) => {
          const a = await fresh();
          const b = await fresh();
          try {
            const oneByOne = createInvoiceWriter(a.sqlite);
            const totals = createBatchTotals(b.sqlite);
            const writer = createInvoiceWriter(b.sqlite, totals);
            const inSavepoint = b.sqlite.transaction((f: () => void) => f());
            for (const batch of batches) {
              b.sqlite.transaction(() => {
                totals.begin();
                for (const [rec, now, rollBack] of batch) {
                  try {
                    inSavepoint(() => {
                      writer.upsert(rec, now);
                      if (rollBack) throw new Error('rolled back');
                    });
                    totals.jobEnded(true);
                  } catch {
                    totals.jobEnded(false);
                  }
                }
                totals.end();
              })();
              for (const [rec, now, rollBack] of batch) {
                if (!rollBack) a.sqlite.transaction(() => oneByOne.upsert(rec, now))();
              }
              expect(readTotals(b.sqlite)).toEqual(computeTotals(b.sqlite));
              methodsSumToRaised(b);
            }
            expect(dump(b)).toEqual(dump(a));
          } finally {
            await a.close();
            await b.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
