// Invoice sync against the simulator over real HTTP: the database must end up with exactly the
// simulator's ground truth (counts per status, raised sats to the satoshi), catch status changes of
// old invoices, survive 429/5xx, resume a killed first sync, and work with pre-2.4 servers.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { GreenfieldClient } from '../../../exporter/src/sources/btcpay/greenfield-client.js';
import type { StatusChange } from '../../../exporter/src/store/invoices.js';
import { InvoiceSyncJob, type InvoiceSyncOptions } from '../../../exporter/src/sources/btcpay/invoice-sync.js';
import { createRefreshDebouncer } from '../../../exporter/src/webhooks/refresh-debouncer.js';
import { BtcpaySimulator, ManualClock, PERM, generateHistory, type GroundTruth } from '../../../exporter/src/demo/btcpay-simulator/index.js';
import { openDatabase, type DatabaseHandle } from '../../../exporter/src/store/connection.js';
import { migrateToLatest } from '../../../exporter/src/store/migrator.js';
import { INVOICE_STATUSES } from '../../../exporter/src/store/schema.js';
import { Decimal } from '../../../exporter/src/money.js';
import type { SyncContext } from '../../../exporter/src/sources/sync-job.js';
import { SyncError } from '../../../exporter/src/sources/sync-error.js';
import { getCursor } from '../../../exporter/src/store/sync-runs.js';
import { tempDbPath } from '../../helpers/tmp.js';

const T0 = 1_760_000_000;

/** A logger whose lines the test can read. */
function captureLog() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, stream), lines };
}

interface Setup {
  sim: BtcpaySimulator;
  clock: ManualClock;
  storeId: string;
  db: DatabaseHandle;
  client: GreenfieldClient;
  job: InvoiceSyncJob;
  changes: StatusChange[];
  lines: Array<Record<string, unknown>>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(o: {
  days?: number;
  perDay?: number;
  compat?: ConstructorParameters<typeof BtcpaySimulator>[0] extends infer X ? (X extends { compat?: infer C } ? C : never) : never;
  job?: Partial<InvoiceSyncOptions>;
  retries?: number;
  seed?: number;
} = {}): Promise<Setup> {
  const clock = new ManualClock(T0);
  const sim = new BtcpaySimulator({ clock, seed: o.seed ?? 11, compat: o.compat });
  const store = sim.addStore({ defaultCurrency: 'USD' });
  generateHistory(sim, store.id, { days: o.days ?? 20, invoicesPerDay: o.perDay ?? 150, archivedShare: 0.03 });
  const key = sim.addApiKey([`${PERM.viewInvoices}:${store.id}`]);
  await sim.listen();
  const db = openDatabase(tempDbPath());
  await migrateToLatest(db.db);
  cleanups.push(async () => {
    await sim.close();
    await db.close();
  });
  const { log, lines } = captureLog();
  const client = new GreenfieldClient({ baseUrl: sim.url, apiKey: key, timeoutMs: 5000, retries: o.retries ?? 6, minBackoffMs: 1, maxBackoffMs: 5, log });
  const changes: StatusChange[] = [];
  const job = new InvoiceSyncJob({
    db: db.db,
    client,
    storeId: store.id,
    recentWindowSeconds: 48 * 3600,
    log,
    now: () => clock.now(),
    onStatusChange: async (_trx, change) => {
      changes.push(change);
    },
    // These tests count pages of 100 (the production default is larger).
    pageSize: 100,
    ...o.job,
  });
  return { sim, clock, storeId: store.id, db, client, job, changes, lines };
}

function ctx(s: Setup, signal: AbortSignal = new AbortController().signal): SyncContext {
  return { signal, log: s.job['opts'].log, progress: () => undefined };
}

async function stored(s: Setup): Promise<GroundTruth> {
  const db = s.db.db;
  const statusRows = await db.selectFrom('invoice_status_totals').selectAll().where('store_id', '=', s.storeId).execute();
  const totals = await db.selectFrom('store_totals').selectAll().where('store_id', '=', s.storeId).executeTakeFirstOrThrow();
  const amounts = await db.selectFrom('store_raised_amounts').selectAll().where('store_id', '=', s.storeId).execute();
  const methods = await db.selectFrom('store_payment_method_totals').selectAll().where('store_id', '=', s.storeId).where('raised_sats', '!=', 0).execute();
  const rows = await db.selectFrom('invoices').select((eb) => eb.fn.countAll<number>().as('n')).where('store_id', '=', s.storeId).executeTakeFirstOrThrow();
  const counts = Object.fromEntries(INVOICE_STATUSES.map((st) => [st, statusRows.find((r) => r.status === st)?.invoices ?? 0]));
  return {
    counts: counts as GroundTruth['counts'],
    raisedSats: totals.raised_sats,
    raisedSatsByMethod: Object.fromEntries(methods.map((m) => [m.payment_method, m.raised_sats])),
    contributions: totals.contributions,
    raisedAmounts: Object.fromEntries(amounts.filter((a) => !new Decimal(a.amount).isZero()).map((a) => [a.currency, new Decimal(a.amount).toFixed()])),
    lastCreated: totals.last_invoice_created,
    invoices: Number(rows.n),
  };
}

function truth(s: Setup): GroundTruth {
  const t = s.sim.groundTruth(s.storeId);
  return {
    ...t,
    raisedSatsByMethod: Object.fromEntries(Object.entries(t.raisedSatsByMethod).filter(([, sats]) => sats !== 0)),
    raisedAmounts: Object.fromEntries(Object.entries(t.raisedAmounts).map(([c, a]) => [c, new Decimal(a).toFixed()])),
  };
}

describe('invoice sync', () => {
  it('syncs a store with thousands of invoices to exactly the ground truth, payments included', async () => {
    const s = await setup();
    s.sim.createInvoice(s.storeId, { amount: '3', currency: 'EUR' }); // still New when the sync runs
    const t = truth(s);
    expect(t.invoices).toBeGreaterThan(2500);
    for (const st of INVOICE_STATUSES) expect(t.counts[st], st).toBeGreaterThan(0);
    await s.job.run(ctx(s));
    expect(await stored(s)).toEqual(t);

    // Payments are kept per invoice for the crowdfund computation: every accounted payment, exact strings.
    let accounted = 0;
    for (const inv of s.sim.model.store(s.storeId).invoices) accounted += inv.payments.filter((p) => p.status !== 'Invalid').length;
    const n = await s.db.db.selectFrom('invoice_payments').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(accounted);
    const lnValues = await s.db.db.selectFrom('invoice_payments').select('value').where('payment_method_id', '=', 'BTC-LN').execute();
    expect(lnValues.some((v) => /^\d+\.\d{11}$/.test(v.value))).toBe(true);
    // Archived invoices are synced and flagged.
    const archived = await s.db.db.selectFrom('invoices').select('id').where('archived', '=', 1).execute();
    expect(archived.length).toBe(s.sim.model.store(s.storeId).invoices.filter((i) => i.archived).length);
    expect(archived.length).toBeGreaterThan(0);

    // First sync progress is visible: counts and percent, ending at 100.
    const progress = s.lines.filter((l) => l.msg === 'invoice history sync progress' || l.msg === 'invoice history synced');
    expect(progress.length).toBeGreaterThan(3);
    expect(progress.at(-1)).toMatchObject({ fetched: t.invoices, total: t.invoices, percent: 100 });
    expect(s.lines.find((l) => l.msg === 'first sync of the invoice history')).toMatchObject({ invoices: t.invoices });
    // Newly inserted invoices are not status changes.
    expect(s.changes).toEqual([]);
  });

  for (const maxSingleFetches of [200, 2]) {
    it(`catches status changes of old invoices on the next run (${maxSingleFetches === 2 ? 'widened window' : 'fetch by id'})`, async () => {
      const s = await setup({ days: 4, job: { recentWindowSeconds: 3600, maxSingleFetches } });
      await s.job.run(ctx(s));
      expect(await stored(s)).toEqual(truth(s));

      const now = s.clock.now();
      const all = s.sim.model.store(s.storeId).invoices;
      // Older than the recent window, not final yet: Expired within monitoring, and Processing.
      const expired = all.filter((i) => i.status === 'Expired' && i.additionalStatus === 'None' && i.createdTime < now - 3 * 3600 && i.monitoringExpiration > now + 3600);
      const processing = all.filter((i) => i.status === 'Processing' && i.createdTime < now - 3600);
      expect(expired.length).toBeGreaterThan(0);
      expect(processing.length).toBeGreaterThan(0);
      const paidLate = expired[0]!;
      const confirmed = processing[0]!;
      s.sim.pay(paidLate.id, { method: 'BTC-LN', extraMsats: 500n });
      s.sim.confirm(confirmed.id);
      expect(paidLate.additionalStatus).toBe('PaidLate');
      s.clock.advance(120);
      const fresh = s.sim.createInvoice(s.storeId, { amount: '42.42' });
      s.sim.settle(fresh.id);
      s.sim.advance(600);

      await s.job.run(ctx(s));
      expect(await stored(s)).toEqual(truth(s));
      const byId = new Map(s.changes.map((c) => [c.invoiceId, c]));
      expect(byId.get(paidLate.id)).toMatchObject({ from: { status: 'Expired', additionalStatus: 'None' }, to: { status: 'Expired', additionalStatus: 'PaidLate' } });
      expect(byId.get(confirmed.id)).toMatchObject({ from: { status: 'Processing' }, to: { status: 'Settled' } });
      expect(byId.has(fresh.id)).toBe(false);
      const row = await s.db.db.selectFrom('invoices').selectAll().where('id', '=', paidLate.id).executeTakeFirstOrThrow();
      expect(row.counts_as_raised).toBe(1);
    });
  }

  it('retries 429 and 5xx and still lands on the ground truth', async () => {
    const s = await setup({ days: 5, perDay: 100, retries: 10 });
    s.sim.faults.rate429 = 0.15;
    s.sim.faults.rate5xx = 0.15;
    s.sim.faults.retryAfter = '0';
    s.sim.injectFault({ status: 503, path: /\/invoices$/, times: 2 });
    await s.job.run(ctx(s));
    expect(await stored(s)).toEqual(truth(s));
    const retries = s.lines.filter((l) => l.msg === 'BTCPay request failed, retrying');
    expect(retries.some((l) => l.status === 429)).toBe(true);
    expect(retries.some((l) => typeof l.status === 'number' && (l.status as number) >= 500)).toBe(true);
  });

  it('resumes an aborted first sync where it stopped, with nothing lost or counted twice', async () => {
    const s = await setup();
    const t0 = truth(s);
    const ac = new AbortController();
    let pages = 0;
    s.sim.onRequest = (r) => {
      if (r.path.endsWith('/invoices') && r.query.get('take') === '100' && ++pages === 8) ac.abort();
    };
    const err = await s.job.run(ctx(s, ac.signal)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SyncError);
    expect((err as SyncError).reason).toBe('aborted');
    const cursor = JSON.parse((await getCursor(s.db.db, s.job.source))!) as { phase: string; historyEnd: number; resumeEnd: number };
    expect(cursor.phase).toBe('history');
    expect(cursor.resumeEnd).toBeLessThan(cursor.historyEnd);
    const partial = await stored(s);
    expect(partial.invoices).toBeGreaterThanOrEqual(600);
    expect(partial.invoices).toBeLessThan(t0.invoices);
    // Every page committed whole: the running totals agree with the rows.
    expect(Object.values(partial.counts).reduce((a, b) => a + b, 0)).toBe(partial.invoices);

    // Life goes on meanwhile: new invoices and a status change.
    s.clock.advance(300);
    const late = s.sim.createInvoice(s.storeId, { amount: '7' });
    s.sim.settle(late.id);
    s.sim.advance(60);

    const endDates: number[] = [];
    s.sim.onRequest = (r) => {
      if (r.path.endsWith('/invoices') && r.query.get('take') === '100' && !r.query.has('startDate')) endDates.push(Number(r.query.get('endDate')));
    };
    await s.job.run(ctx(s));
    expect(endDates[0]).toBe(cursor.resumeEnd); // continued, did not start over
    expect(await stored(s)).toEqual(truth(s));
    expect(s.lines.some((l) => l.msg === 'resuming the first sync of the invoice history')).toBe(true);
  });

  it('resumes after a run that failed part-way on persistent server errors', async () => {
    const s = await setup({ days: 10, retries: 1 });
    let pages = 0;
    s.sim.onRequest = (r) => {
      if (r.path.endsWith('/invoices') && r.query.get('take') === '100' && ++pages === 5) s.sim.injectFault({ status: 500, times: Infinity });
    };
    const err = await s.job.run(ctx(s)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as SyncError).reason).toBe('server_error');
    expect((await stored(s)).invoices).toBe(400);
    s.sim.onRequest = undefined;
    s.sim.clearFaults();
    await s.job.run(ctx(s));
    expect(await stored(s)).toEqual(truth(s));
  });

  it('falls back to the payment-methods endpoint on servers without includePaymentMethods (and 1.x field names)', async () => {
    const s = await setup({ days: 3, perDay: 100, compat: { includePaymentMethods: false, legacyPaymentMethodFields: true } });
    await s.job.run(ctx(s));
    expect(await stored(s)).toEqual(truth(s));
    const pmRequests = [...s.sim.requestCounts].filter(([k]) => k.endsWith('/payment-methods')).reduce((a, [, n]) => a + n, 0);
    expect(pmRequests).toBeGreaterThanOrEqual(truth(s).invoices);
    expect(s.lines.filter((l) => String(l.msg).includes('does not embed payment methods'))).toHaveLength(1);
    const methods = await s.db.db.selectFrom('invoice_payment_methods').select('payment_method_id').distinct().execute();
    expect(methods.map((m) => m.payment_method_id).sort()).toEqual(['BTC-CHAIN', 'BTC-LN']);
  });

  it('refreshInvoices fetches the given invoices and reports their status change', async () => {
    const s = await setup({ days: 1, perDay: 50 });
    await s.job.run(ctx(s));
    const inv = s.sim.createInvoice(s.storeId, { amount: '15' });
    await s.job.refreshInvoices([inv.id]);
    s.sim.settle(inv.id);
    await s.job.refreshInvoices([inv.id, inv.id, 'unknown-invoice-id']);
    const row = await s.db.db.selectFrom('invoices').selectAll().where('id', '=', inv.id).executeTakeFirstOrThrow();
    expect([row.status, row.counts_as_raised, row.amounts_synced]).toEqual(['Settled', 1, 1]);
    expect(s.changes.map((c) => [c.invoiceId, c.to.status])).toEqual([[inv.id, 'Settled']]);
    expect(await stored(s)).toEqual(truth(s));
  });

  it('webhook-triggered fetches lose no id asked for while a fetch is in flight', async () => {
    const s = await setup({ days: 1, perDay: 50 });
    await s.job.run(ctx(s));
    const a = s.sim.createInvoice(s.storeId, { amount: '11' });
    const b = s.sim.createInvoice(s.storeId, { amount: '12' });
    await s.job.refreshInvoices([a.id, b.id]);
    // Hold the fetch of `a` once it is answered (with `a` still New).
    let open!: () => void;
    const reached = new Promise<void>((r) => (open = r));
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let held = false;
    s.sim.beforeRespond = async (r) => {
      if (held || !r.path.endsWith(`/invoices/${a.id}`)) return;
      held = true;
      open();
      await released;
    };
    const calls: Array<Promise<void>> = [];
    const debouncer = createRefreshDebouncer({
      log: s.job['opts'].log,
      maxBatch: 1, // flush on every ask: no timer in the way
      refreshInvoices: (_store, ids) => {
        const p = s.job.refreshInvoices(ids);
        calls.push(p);
        return p;
      },
    });
    debouncer.schedule(s.storeId, a.id);
    await reached;
    // While that fetch is in flight: `a` settles and is asked for again, `b` is paid and asked for.
    s.sim.settle(a.id);
    s.sim.settle(b.id);
    debouncer.schedule(s.storeId, a.id);
    debouncer.schedule(s.storeId, b.id);
    release();
    await Promise.all(calls);
    debouncer.close();
    s.sim.beforeRespond = undefined;
    expect(calls).toHaveLength(3);
    const rows = await s.db.db.selectFrom('invoices').select(['id', 'status']).where('id', 'in', [a.id, b.id]).execute();
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({ [a.id]: 'Settled', [b.id]: 'Settled' });
    expect(await stored(s)).toEqual(truth(s));
  });

  it('never runs a refresh and a scheduled run of the same store at the same time', async () => {
    const s = await setup({ days: 2, perDay: 100 });
    const first = s.sim.model.store(s.storeId).invoices[0]!;
    const order: string[] = [];
    s.sim.onRequest = (r) => order.push(r.path.endsWith(`/invoices/${first.id}`) ? 'refresh' : r.path.endsWith('/invoices') ? 'list' : 'other');
    // The run starts first; the refresh must wait until it is over instead of interleaving.
    await Promise.all([s.job.run(ctx(s)), s.job.refreshInvoices([first.id])]);
    expect(order.filter((k) => k === 'list').length).toBeGreaterThan(3);
    expect(order.indexOf('refresh')).toBeGreaterThan(order.lastIndexOf('list'));
    expect(await stored(s)).toEqual(truth(s));
  });
});
