// POST /refresh while a sync runs must not be folded into that run: the run may have read the
// invoices before they changed. The exporter runs against the simulator; a latch holds the run's
// invoice list (answered with the state before the change) while invoices change and refreshes
// arrive, and the change must be in /metrics after the one trailing run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BtcpaySimulator, ManualClock, PERM, SIM_STATUSES, generateHistory, type RequestInfo } from '../../exporter/src/demo/btcpay-simulator/index.js';
import { startTestExporter } from '../helpers/exporter.js';
import { metric, scrape } from '../helpers/metrics.js';

const T0 = Math.floor(Date.now() / 1000);
const sim = new BtcpaySimulator({ clock: new ManualClock(T0), seed: 1101 });
const store = sim.addStore();
const key = sim.addApiKey([`${PERM.viewInvoices}:${store.id}`]);
generateHistory(sim, store.id, { days: 4, invoicesPerDay: 60 });
// Two already-synced invoices, still New (long expiry), in the re-sync window (48 h by default).
const willSettle = sim.createInvoice(store.id, { amount: '25', createdTime: T0 - 30 * 3600, expirationMinutes: 4 * 24 * 60 });
const willFail = sim.createInvoice(store.id, { amount: '40', createdTime: T0 - 40 * 3600, expirationMinutes: 4 * 24 * 60 });

beforeAll(async () => {
  await sim.listen();
});
afterAll(() => sim.close());

function latch() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

const SOURCE = `btcpay:${store.id}`;
const isList = (r: RequestInfo) => r.method === 'GET' && r.path === `/api/v1/stores/${store.id}/invoices`;

describe('POST /refresh during a running sync', () => {
  it('marks the job dirty: one trailing run after the current one exports the change; ten refreshes make one run', async () => {
    const exporter = await startTestExporter(
      { BTCPAY_URL: sim.url, BTCPAY_API_KEY: key, BTCPAY_STORE_IDS: store.id, ANGOR_ENABLE: 'false' },
      { schedule: false },
    );
    const runs = () => exporter.database.db.selectFrom('sync_runs').selectAll().where('source', '=', SOURCE).orderBy('id').execute();
    const [first] = await exporter.scheduler.runAll('test');
    expect(first).toMatchObject({ ok: true });
    let text = await scrape(exporter.url);
    expect(metric(text, 'btcpay_invoices', { store: store.id, status: 'New' })).toBe(sim.groundTruth(store.id).counts.New);
    const raisedBefore = metric(text, 'btcpay_raised_sats', { store: store.id });

    // Hold the next run's first invoice list after it is answered, i.e. after it read the old state.
    const reached = latch();
    const release = latch();
    let held = false;
    sim.beforeRespond = async (r) => {
      if (held || !isList(r)) return;
      held = true;
      reached.open();
      await release.opened;
    };
    expect((await fetch(`${exporter.url}/refresh`, { method: 'POST' })).status).toBe(202);
    await reached.opened;

    sim.settle(willSettle.id);
    sim.markInvalid(willFail.id);
    for (let i = 0; i < 10; i++) expect((await fetch(`${exporter.url}/refresh`, { method: 'POST' })).status).toBe(202);
    // The held run is still going and the change is not in yet.
    expect((await runs()).map((r) => r.outcome)).toEqual(['success', 'running']);
    release.open();
    await exporter.scheduler.whenIdle();
    sim.beforeRespond = undefined;

    // first sync, the held run, and exactly one trailing run for the ten refreshes.
    expect((await runs()).map((r) => r.outcome)).toEqual(['success', 'success', 'success']);
    const truth = sim.groundTruth(store.id);
    text = await scrape(exporter.url);
    for (const status of SIM_STATUSES) expect(metric(text, 'btcpay_invoices', { store: store.id, status }), status).toBe(truth.counts[status]);
    expect(metric(text, 'btcpay_raised_sats', { store: store.id })).toBe(truth.raisedSats);
    expect(truth.raisedSats).toBeGreaterThan(raisedBefore!);
    const rows = await exporter.database.db
      .selectFrom('invoices')
      .select(['id', 'status'])
      .where('id', 'in', [willSettle.id, willFail.id])
      .orderBy('created_time', 'desc')
      .execute();
    expect(rows).toEqual([
      { id: willSettle.id, status: 'Settled' },
      { id: willFail.id, status: 'Invalid' },
    ]);
  });
});
