// The raise-time rule (db/raise-time.ts) on hand-made invoices, and the window readers of the
// status page against a brute-force reference over a random history: same sums, any window.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInvoiceWriter, type InvoiceRecord } from '../../exporter/src/store/invoices.js';
import { Rng } from '../../exporter/src/demo/btcpay-simulator/rng.js';
import { openDatabase, type DatabaseHandle } from '../../exporter/src/store/connection.js';
import { migrateToLatest } from '../../exporter/src/store/migrator.js';
import { raiseTime, raiseTimeSql, raisedBetween, raisedPerDay } from '../../exporter/src/store/raise-time.js';
import { INVOICE_STATUSES, type InvoiceStatus } from '../../exporter/src/store/schema.js';
import { tempDbPath } from '../helpers/tmp.js';

const T0 = 1_763_740_800; // 2025-11-21T16:00:00Z
const DAY = 86_400;

function invoice(id: string, over: Partial<InvoiceRecord> = {}): InvoiceRecord {
  return {
    id,
    storeId: 'S1',
    status: 'Settled',
    additionalStatus: 'None',
    currency: 'USD',
    amount: '10',
    btcPaidSats: 1000,
    createdTime: T0,
    expirationTime: T0 + 900,
    monitoringExpiration: T0 + DAY,
    archived: false,
    orderId: null,
    itemCode: null,
    amountsSynced: true,
    statusSource: 'sync',
    ...over,
  };
}

interface Pay {
  invoice: string;
  id: string;
  method?: string;
  at: number;
  status: 'Processing' | 'Settled' | 'Invalid';
}

let h: DatabaseHandle;
const put = async (recs: InvoiceRecord[], pays: Pay[]) => {
  const writer = createInvoiceWriter(h.sqlite);
  h.sqlite.transaction(() => {
    for (const r of recs) writer.upsert(r, T0 + 10 * DAY);
  })();
  await h.db.transaction().execute(async (trx) => {
    for (const p of pays) {
      await trx
        .insertInto('invoice_payments')
        .values({ invoice_id: p.invoice, payment_method_id: p.method ?? 'BTC-CHAIN', payment_id: p.id, received_date: p.at, value: '0.00001', fee: '0', status: p.status })
        .execute();
    }
  });
};
const raiseTimes = async () =>
  Object.fromEntries(
    (await h.db.selectFrom('invoices as i').select(['i.id', raiseTime('i').as('rt')]).execute()).map((r) => [r.id, r.rt]),
  );

describe('raise time', () => {
  beforeAll(async () => {
    h = openDatabase(tempDbPath());
    await migrateToLatest(h.db);
    await put(
      [
        invoice('paid-once'),
        invoice('paid-twice-two-methods'),
        invoice('late-invalid-payment'),
        invoice('marked-settled', { additionalStatus: 'Marked', btcPaidSats: 0 }),
        invoice('paid-late', { status: 'Expired', additionalStatus: 'PaidLate' }),
        invoice('processing', { status: 'Processing', btcPaidSats: 0 }),
        invoice('expired-partial', { status: 'Expired', additionalStatus: 'PaidPartial', btcPaidSats: 10 }),
        invoice('only-invalid-payments', { additionalStatus: 'Marked' }),
      ],
      [
        { invoice: 'paid-once', id: 'a', at: T0 + 120, status: 'Settled' },
        { invoice: 'paid-twice-two-methods', id: 'b1', at: T0 + 60, status: 'Settled' },
        { invoice: 'paid-twice-two-methods', id: 'b2', method: 'BTC-LN', at: T0 + 600, status: 'Settled' },
        { invoice: 'late-invalid-payment', id: 'c1', at: T0 + 100, status: 'Settled' },
        { invoice: 'late-invalid-payment', id: 'c2', at: T0 + 5000, status: 'Invalid' },
        { invoice: 'paid-late', id: 'd', at: T0 + 3000, status: 'Processing' },
        { invoice: 'processing', id: 'e', at: T0 + 50, status: 'Processing' },
        { invoice: 'expired-partial', id: 'f', at: T0 + 70, status: 'Settled' },
        { invoice: 'only-invalid-payments', id: 'g', at: T0 + 80, status: 'Invalid' },
      ],
    );
  });
  afterAll(() => h.close());

  it('is the latest accounted payment of any method, the creation time without one, and null when not raised', async () => {
    expect(await raiseTimes()).toEqual({
      'paid-once': T0 + 120,
      'paid-twice-two-methods': T0 + 600,
      'late-invalid-payment': T0 + 100,
      'marked-settled': T0,
      'paid-late': T0 + 3000,
      processing: null,
      'expired-partial': null,
      'only-invalid-payments': T0,
    });
  });

  it('takes only plain identifiers as the alias', () => {
    expect(raiseTimeSql('inv')).toContain('inv.counts_as_raised');
    expect(() => raiseTimeSql('i; drop table invoices')).toThrow(/identifier/);
  });

  it('window readers use the payments-by-date and invoices-by-creation indexes, not a scan', () => {
    const plan = (h.sqlite.prepare(`explain query plan select 1 from invoices i where i.id in (
      select invoice_id from invoice_payments where received_date between 1 and 2 union all
      select id from invoices where store_id in (select store_id from store_totals) and created_time between 1 and 2)`).all() as Array<{ detail: string }>)
      .map((r) => r.detail)
      .join('\n');
    expect(plan).toMatch(/SEARCH invoice_payments USING (COVERING )?INDEX invoice_payments_received/);
    expect(plan).toMatch(/SEARCH invoices USING (COVERING )?INDEX invoices_store_created/);
    expect(plan).not.toMatch(/SCAN invoice_payments/);
  });
});

describe('raised per window and per day', () => {
  interface Ref {
    store: string;
    sats: number;
    rt: number | null;
  }
  const ref: Ref[] = [];

  beforeAll(async () => {
    h = openDatabase(tempDbPath());
    await migrateToLatest(h.db);
    const rng = new Rng(1234);
    const recs: InvoiceRecord[] = [];
    const pays: Pay[] = [];
    for (let i = 0; i < 600; i++) {
      const created = T0 - rng.int(0, 40 * DAY);
      const status: InvoiceStatus = rng.pick(INVOICE_STATUSES);
      const additionalStatus = status === 'Expired' && rng.chance(0.4) ? 'PaidLate' : status === 'Settled' && rng.chance(0.1) ? 'Marked' : 'None';
      const raised = status === 'Settled' || (status === 'Expired' && additionalStatus === 'PaidLate');
      const sats = raised ? rng.int(1, 2_000_000) : 0;
      const id = `inv${i}`;
      recs.push(invoice(id, { storeId: rng.pick(['S1', 'S2', 'S3']), status, additionalStatus, btcPaidSats: sats, createdTime: created }));
      const accounted: number[] = [];
      if (additionalStatus !== 'Marked') {
        for (let k = rng.int(0, 3); k > 0; k--) {
          const at = created + rng.int(0, 3 * DAY);
          const st = rng.pick(['Processing', 'Settled', 'Invalid'] as const);
          pays.push({ invoice: id, id: `p${k}`, at, status: st, method: rng.pick(['BTC-CHAIN', 'BTC-LN']) + k });
          if (st !== 'Invalid') accounted.push(at);
        }
      }
      ref.push({ store: recs[i]!.storeId, sats, rt: raised ? (accounted.length > 0 ? Math.max(...accounted) : created) : null });
    }
    await put(recs, pays);
  });
  afterAll(() => h.close());

  const sumRef = (from: number, to: number) => {
    const out = new Map<string, { store_id: string; sats: number; contributions: number }>();
    for (const r of ref) {
      if (r.rt === null || r.rt < from || r.rt > to) continue;
      const o = out.get(r.store) ?? { store_id: r.store, sats: 0, contributions: 0 };
      o.sats += r.sats;
      o.contributions += 1;
      out.set(r.store, o);
    }
    return [...out.values()].sort((a, b) => a.store_id.localeCompare(b.store_id));
  };

  it('raisedBetween equals filtering every invoice by its raise time, inclusive at both ends', async () => {
    const windows: Array<[number, number]> = [
      [T0 - DAY, T0],
      [T0 - 7 * DAY, T0],
      [T0 - 45 * DAY, T0 + 5 * DAY],
      [T0 - 3 * DAY + 17, T0 - 2 * DAY - 5],
    ];
    // Windows that start and end exactly on a raise time.
    const exact = ref.map((r) => r.rt).filter((t): t is number => t !== null).sort((a, b) => a - b);
    const n = exact.length;
    expect(n).toBeGreaterThan(100);
    windows.push([exact[Math.floor(n / 10)]!, exact[Math.floor(n * 0.8)]!], [exact[5]!, exact[5]!]);
    for (const [from, to] of windows) expect(await raisedBetween(h.db, from, to), `${from}..${to}`).toEqual(sumRef(from, to));
    expect(sumRef(exact[5]!, exact[5]!).length).toBeGreaterThan(0);
  });

  it('raisedPerDay buckets by UTC day of the raise time', async () => {
    const first = Math.floor((T0 - 29 * DAY) / DAY) * DAY;
    const rows = await raisedPerDay(h.db, first, T0);
    const expected = [];
    for (let day = first; day <= Math.floor(T0 / DAY) * DAY; day += DAY) {
      for (const r of sumRef(day, day + DAY - 1)) expected.push({ ...r, day });
    }
    expected.sort((a, b) => a.store_id.localeCompare(b.store_id) || a.day - b.day);
    expect(rows).toEqual(expected);
    expect(rows.length).toBeGreaterThan(40);
  });
});
