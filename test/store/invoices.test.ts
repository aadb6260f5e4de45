import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../exporter/src/store/connection.js';
import { migrateToLatest } from '../../exporter/src/store/migrator.js';
import { computeTotals, readTotals } from '../../exporter/src/store/invoice-totals.js';
import { countsAsRaised, createInvoiceWriter, isFinal, type InvoiceRecord } from '../../exporter/src/store/invoices.js';
import { tempDbPath } from '../helpers/tmp.js';

const base: InvoiceRecord = {
  id: 'inv1',
  storeId: 'S1',
  status: 'New',
  additionalStatus: 'None',
  currency: 'USD',
  amount: '52.50',
  btcPaidSats: 0,
  createdTime: 1_763_740_800,
  expirationTime: 1_763_741_700,
  monitoringExpiration: 1_763_828_100,
  archived: false,
  orderId: 'order-1042',
  itemCode: null,
  amountsSynced: true,
  statusSource: 'sync',
};

let h: DatabaseHandle;
beforeEach(async () => {
  h = openDatabase(tempDbPath());
  await migrateToLatest(h.db);
});
afterEach(() => h.close());

async function totals(store = 'S1') {
  const statuses = await h.db.selectFrom('invoice_status_totals').selectAll().where('store_id', '=', store).execute();
  const store_ = await h.db.selectFrom('store_totals').selectAll().where('store_id', '=', store).executeTakeFirst();
  const amounts = await h.db.selectFrom('store_raised_amounts').selectAll().where('store_id', '=', store).execute();
  return {
    byStatus: Object.fromEntries(statuses.map((s) => [s.status, s.invoices])),
    raisedSats: store_?.raised_sats,
    contributions: store_?.contributions,
    lastCreated: store_?.last_invoice_created,
    amounts: Object.fromEntries(amounts.map((a) => [a.currency, a.amount])),
  };
}

const put = async (rec: InvoiceRecord, now = 1_763_800_000) => {
  const result = h.sqlite.transaction(() => createInvoiceWriter(h.sqlite).upsert(rec, now))();
  // Every write leaves the running totals equal to the reference recomputed from the rows.
  expect(readTotals(h.sqlite)).toEqual(computeTotals(h.sqlite));
  return result;
};

describe('raised and final rules', () => {
  it('counts Settled and Expired+PaidLate as raised, nothing else', () => {
    expect(countsAsRaised('Settled', 'None')).toBe(true);
    expect(countsAsRaised('Settled', 'Marked')).toBe(true);
    expect(countsAsRaised('Expired', 'PaidLate')).toBe(true);
    expect(countsAsRaised('Expired', 'PaidPartial')).toBe(false);
    expect(countsAsRaised('Processing', 'None')).toBe(false);
    expect(countsAsRaised('Invalid', 'None')).toBe(false);
  });

  it('treats Expired as final only after monitoring expiration', () => {
    expect(isFinal('Expired', 1000, 999)).toBe(false);
    expect(isFinal('Expired', 1000, 1000)).toBe(true);
    expect(isFinal('Settled', 1000, 0)).toBe(true);
    expect(isFinal('Processing', 0, 10_000)).toBe(false);
  });
});

describe('the invoice writer keeps running totals', () => {
  it('exports all five statuses at zero once a store is seen', async () => {
    await put(base);
    expect((await totals()).byStatus).toEqual({ New: 1, Processing: 0, Settled: 0, Expired: 0, Invalid: 0 });
  });

  it('moves counts, raised sats and exact fiat sums through a lifecycle', async () => {
    expect((await put(base)).outcome).toBe('inserted');
    await put({ ...base, status: 'Processing', btcPaidSats: 81_532 });
    expect((await put({ ...base, status: 'Settled', btcPaidSats: 81_532 })).outcome).toBe('updated');
    await put({ ...base, id: 'inv2', status: 'Settled', amount: '0.10', btcPaidSats: 155, createdTime: base.createdTime + 60 });
    await put({ ...base, id: 'inv3', status: 'Settled', amount: '0.20', btcPaidSats: 310, createdTime: base.createdTime - 60 });
    let t = await totals();
    expect(t.byStatus).toMatchObject({ New: 0, Processing: 0, Settled: 3 });
    expect(t.raisedSats).toBe(81_532 + 155 + 310);
    expect(t.contributions).toBe(3);
    // 52.50 + 0.10 + 0.20 with floats would be 52.800000000000004.
    expect(t.amounts).toEqual({ USD: '52.8' });
    expect(t.lastCreated).toBe(base.createdTime + 60);

    // A status regression (RBF) takes the invoice out of the totals again.
    await put({ ...base, id: 'inv2', status: 'New', amount: '0.10', btcPaidSats: 0, createdTime: base.createdTime + 60 });
    t = await totals();
    expect(t.raisedSats).toBe(81_532 + 310);
    expect(t.amounts).toEqual({ USD: '52.7' });
    expect(t.contributions).toBe(2);
  });

  it('an unchanged invoice writes nothing', async () => {
    await put(base);
    expect((await put(base, 1_763_900_000)).outcome).toBe('unchanged');
    expect((await totals()).byStatus.New).toBe(1);
  });

  it('Expired with PaidLate counts; keeps stores apart', async () => {
    await put({ ...base, status: 'Expired', additionalStatus: 'PaidLate', btcPaidSats: 1000, currency: 'EUR', amount: '1' });
    await put({ ...base, id: 'other', storeId: 'S2', status: 'Settled', btcPaidSats: 7 });
    expect((await totals('S1')).raisedSats).toBe(1000);
    expect((await totals('S1')).amounts).toEqual({ EUR: '1' });
    expect((await totals('S2')).raisedSats).toBe(7);
  });

  it('a failed transaction leaves neither the row nor the totals behind', async () => {
    await expect(
      (async () =>
        h.sqlite.transaction(() => {
          createInvoiceWriter(h.sqlite).upsert({ ...base, status: 'Settled', btcPaidSats: 5 }, 1);
          throw new Error('crash before commit');
        })())(),
    ).rejects.toThrow('crash before commit');
    expect(await h.db.selectFrom('invoices').selectAll().execute()).toEqual([]);
    expect((await totals()).raisedSats).toBeUndefined();
  });
});
