// A Crowdfund app whose start date is still ahead (a campaign announced for next week) with a
// resetting goal: its window starts at the start date, after now. BTCPay (CrowdfundPlugin GetInfo)
// shows it with nothing raised; listing invoices from that start to now would be answered 422
// (startDate > endDate), and used to fail the whole store's sync on every run. Daily, monthly and
// yearly resets, against the simulator (which answers 422 like BTCPay).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BtcpaySimulator, ManualClock, PERM, SimCrowdfund, generateHistory } from '../../../../exporter/src/demo/btcpay-simulator/index.js';
import { startTestExporter } from '../../../helpers/exporter.js';
import { metric, referenceFigures, scrape, storedProgress } from './sim-helpers.js';

const utc = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h) / 1000;
const T = utc(2025, 6, 10, 12); // 10 June 2025, noon UTC
const START = utc(2025, 6, 17, 9); // a week ahead
const clock = new ManualClock(T);
const sim = new BtcpaySimulator({ clock, seed: 1104 });
const cf = new SimCrowdfund(sim);
const store = sim.addStore({ defaultCurrency: 'USD' });
const key = sim.addApiKey([`${PERM.modifyStoreSettings}:${store.id}`]);

const perks = [
  { id: 't-shirt', title: 'T-shirt', priceType: 'Fixed' as const, price: '30' },
  { id: 'sponsor', title: 'Sponsor', priceType: 'Minimum' as const, price: '500' },
];
const upcoming = (['Day', 'Month', 'Year'] as const).map((resetEvery) =>
  cf.addApp(store.id, { title: `Upcoming (${resetEvery})`, targetAmount: '2000', startDate: START, endDate: START + 60 * 86_400, resetEvery, perks }),
);
// A running campaign beside them: the store's sync and its figures must not suffer.
const running = cf.addApp(store.id, { title: 'Running', targetAmount: '1000', startDate: T - 5 * 86_400 });
generateHistory(sim, store.id, { days: 3, invoicesPerDay: 40, until: T - 3600 });
for (const app of upcoming) {
  // An admin's contribution before the start (BTCPay lets admins contribute any time): created
  // before the window, so it does not count.
  sim.pay(cf.contribute(app.id, { perk: 't-shirt', createdTime: T - 7200 }).id, { method: 'BTC-LN', at: T - 7100 });
}
sim.pay(cf.contribute(running.id, { amount: '75', createdTime: T - 5000 }).id, { method: 'BTC-LN', at: T - 4990 });
sim.tick();

const listRequests: Array<{ startDate: number | undefined; endDate: number | undefined }> = [];
beforeAll(async () => {
  await sim.listen();
  sim.onRequest = (r) => {
    if (r.path !== `/api/v1/stores/${store.id}/invoices`) return;
    const n = (k: string) => (r.query.has(k) ? Number(r.query.get(k)) : undefined);
    listRequests.push({ startDate: n('startDate'), endDate: n('endDate') });
  };
});
afterAll(() => sim.close());

describe('an upcoming Crowdfund app with a resetting goal', () => {
  it('exports 0 raised, 0 contributors, its perks at 0 and its window start = its start date; the store stays up', async () => {
    const e = await startTestExporter(
      { BTCPAY_URL: sim.url, BTCPAY_API_KEY: key, BTCPAY_STORE_IDS: store.id, ANGOR_ENABLE: 'false' },
      { schedule: false, now: () => clock.now() },
    );
    const [run] = await e.scheduler.runAll('test');
    expect(run).toMatchObject({ source: `btcpay:${store.id}`, ok: true });
    expect(listRequests.length).toBeGreaterThan(0);
    expect(listRequests.filter((q) => q.startDate !== undefined && q.endDate !== undefined && q.startDate > q.endDate)).toEqual([]);

    const text = await scrape(e.url);
    const source = `btcpay:${store.id}`;
    expect(metric(text, 'crowdfund_sync_up', { source })).toBe(1);
    expect(metric(text, 'crowdfund_sync_errors_total', { source, reason: 'validation' })).toBe(0);
    for (const app of upcoming) {
      const ref = cf.reference(app.id);
      expect(ref, app.title).toMatchObject({ lastResetDate: START, nextResetDate: START, currentAmount: '0', currentPendingAmount: '0', totalContributors: 0 });
      expect(await storedProgress(e.database.db, app.id), app.title).toEqual(referenceFigures(ref, app.perks.map((p) => p.id)));
      const labels = { app: app.id };
      expect(metric(text, 'btcpay_crowdfund_raised_amount', { ...labels, state: 'settled' }), app.title).toBe(0);
      expect(metric(text, 'btcpay_crowdfund_raised_amount', { ...labels, state: 'pending' }), app.title).toBe(0);
      expect(metric(text, 'btcpay_crowdfund_raised_sats', labels), app.title).toBe(0);
      expect(metric(text, 'btcpay_crowdfund_contributors', labels), app.title).toBe(0);
      for (const perk of ['t-shirt', 'sponsor']) expect(metric(text, 'btcpay_crowdfund_perk_contributions', { ...labels, perk }), `${app.title} ${perk}`).toBe(0);
      expect(metric(text, 'btcpay_crowdfund_window_start_timestamp_seconds', labels), app.title).toBe(START);
      expect(metric(text, 'btcpay_crowdfund_start_timestamp_seconds', labels), app.title).toBe(START);
    }
    expect(metric(text, 'btcpay_crowdfund_contributors', { app: running.id })).toBe(1);
    expect(await storedProgress(e.database.db, running.id)).toEqual(referenceFigures(cf.reference(running.id), []));

    // Once the campaign has started, its first window counts what comes in.
    clock.set(START + 3600);
    sim.tick();
    for (const app of upcoming) sim.pay(cf.contribute(app.id, { perk: 'sponsor', amount: '600' }).id, { method: 'BTC-LN' });
    sim.advance(60);
    expect((await e.scheduler.runAll('test'))[0]).toMatchObject({ ok: true });
    const after = await scrape(e.url);
    const nextReset = { Day: START + 86_400, Month: utc(2025, 7, 17, 9), Year: utc(2026, 6, 17, 9) };
    for (const app of upcoming) {
      const ref = cf.reference(app.id);
      expect(ref, app.title).toMatchObject({ lastResetDate: START, nextResetDate: nextReset[app.resetEvery as keyof typeof nextReset], totalContributors: 1 });
      expect(await storedProgress(e.database.db, app.id), app.title).toEqual(referenceFigures(ref, app.perks.map((p) => p.id)));
      expect(metric(after, 'btcpay_crowdfund_contributors', { app: app.id })).toBe(1);
      expect(metric(after, 'btcpay_crowdfund_perk_contributions', { app: app.id, perk: 'sponsor' })).toBe(1);
    }
  });
});
