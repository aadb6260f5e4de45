// The prepared-statement invoice writer must leave exactly the rows and running totals that
// upsertInvoice leaves, for any sequence of writes (fast-check), including store moves and
// amounts in several currencies.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBatchTotals, createInvoiceWriter, upsertInvoice, type InvoiceRecord } from '../../exporter/src/store/invoices.js';
import { openDatabase, type DatabaseHandle } from '../../exporter/src/store/connection.js';
import { migrateToLatest } from '../../exporter/src/store/migrator.js';
import { INVOICE_STATUSES } from '../../exporter/src/store/schema.js';

const record: fc.Arbitrary<InvoiceRecord> = fc.record({
  id: fc.constantFrom('inv-a', 'inv-b', 'inv-c', 'inv-d'),
  storeId: fc.constantFrom('S1', 'S2'),
  status: fc.constantFrom(...INVOICE_STATUSES),
  additionalStatus: fc.constantFrom('None', 'PaidLate', 'PaidPartial', 'PaidOver', 'Marked'),
  currency: fc.constantFrom('USD', 'EUR', 'BTC'),
  amount: fc.option(
    fc.tuple(fc.integer({ min: 0, max: 99_999 }), fc.integer({ min: 0, max: 99 })).map(([a, b]) => `${a}.${String(b).padStart(2, '0')}`),
    { nil: null },
  ),
  btcPaidSats: fc.integer({ min: 0, max: 5_000_000 }),
  createdTime: fc.integer({ min: 1_763_700_000, max: 1_763_800_000 }),
  expirationTime: fc.constant(1_763_900_000),
  monitoringExpiration: fc.constantFrom(1_763_750_000, 1_764_000_000),
  archived: fc.boolean(),
  orderId: fc.option(fc.constantFrom('o-1', 'o-2'), { nil: null }),
  itemCode: fc.option(fc.constantFrom('perk-1', ''), { nil: null }),
  amountsSynced: fc.boolean(),
  statusSource: fc.constantFrom('sync' as const, 'webhook' as const),
});

async function fresh(): Promise<DatabaseHandle> {
  const h = openDatabase(':memory:');
  await migrateToLatest(h.db);
  return h;
}

const dump = (h: DatabaseHandle) =>
  Object.fromEntries(
    ['invoices', 'invoice_status_totals', 'store_totals', 'store_raised_amounts'].map((t) => [
      t,
      h.sqlite.prepare(`select * from ${t} order by 1, 2`).all(),
    ]),
  );

describe('createInvoiceWriter', () => {
  it('leaves the same rows and totals as upsertInvoice for any sequence of writes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(record, fc.integer({ min: 1_763_760_000, max: 1_763_900_000 })), { maxLength: 25 }), async (writes) => {
        const a = await fresh();
        const b = await fresh();
        try {
          const writer = createInvoiceWriter(b.sqlite);
          for (const [rec, now] of writes) {
            const viaKysely = await a.db.transaction().execute((trx) => upsertInvoice(trx, rec, now));
            const viaWriter = b.sqlite.transaction(() => writer.upsert(rec, now))();
            expect(viaWriter).toEqual(viaKysely);
            expect(writer.get(rec.id)).toEqual(viaKysely.outcome === 'unchanged' ? viaKysely.previous : rec);
          }
          expect(dump(b)).toEqual(dump(a));
        } finally {
          await a.close();
          await b.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('with totals summed per batch (createBatchTotals), leaves the same rows and totals; rolled-back writes leave nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.tuple(record, fc.integer({ min: 1_763_760_000, max: 1_763_900_000 }), fc.boolean()), { maxLength: 8 }), { maxLength: 6 }),
        async (batches) => {
          const a = await fresh();
          const b = await fresh();
          try {
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
                if (!rollBack) await a.db.transaction().execute((trx) => upsertInvoice(trx, rec, now));
              }
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
