// A verified webhook for a crowdfund invoice updates the app's progress without waiting for the
// next sync: the simulator sends signed webhooks to a real exporter over HTTP, and /metrics moves
// while no scheduled sync runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BtcpaySimulator, ManualClock, PERM, SimCrowdfund } from '../../../../exporter/src/demo/btcpay-simulator/index.js';
import type { Exporter } from '../../../../exporter/src/main.js';
import { startTestExporter } from '../../../helpers/exporter.js';
import { metric, referenceFigures, scrape, storedProgress, waitFor } from './sim-helpers.js';

const T = Date.UTC(2025, 5, 10, 12) / 1000;
const clock = new ManualClock(T);
const sim = new BtcpaySimulator({ clock, seed: 77 });
const cf = new SimCrowdfund(sim);
const store = sim.addStore({ defaultCurrency: 'USD' });
const key = sim.addApiKey([`${PERM.viewInvoices}:${store.id}`, `${PERM.modifyWebhooks}:${store.id}`]);
const SECRET = 'webhook-secret-for-crowdfund-tests';

const fund = cf.addApp(store.id, {
  title: 'Fund',
  targetAmount: '1000',
  perks: [{ id: 'tee', title: 'T-shirt', priceType: 'Fixed', price: '30' }],
});
const capped = cf.addApp(store.id, { title: 'Capped', targetAmount: '400', enforceTargetAmount: true });
const everything = cf.addApp(store.id, { title: 'Everything', targetAmount: '5000', tagAllInvoices: true });
const apps = [fund, capped, everything];

// Known before the first sync: paid, and one still open (New) that a webhook will see paid.
sim.pay(cf.contribute(fund.id, { perk: 'tee', createdTime: T - 600 }).id, { method: 'BTC-LN', at: T - 590 });
const open = cf.contribute(fund.id, { amount: '70', createdTime: T - 120 });

let e: Exporter;

beforeAll(async () => {
  await sim.listen();
  e = await startTestExporter(
    {
      BTCPAY_URL: sim.url,
      BTCPAY_API_KEY: key,
      BTCPAY_STORE_IDS: store.id,
      BTCPAY_WEBHOOK_SECRET: SECRET,
      BTCPAY_CROWDFUND_APP_IDS: apps.map((a) => a.id).join(','),
      BTCPAY_CROWDFUND_ALL_STORE_INVOICES: everything.id,
      ANGOR_ENABLE: 'false',
    },
    { schedule: false, now: () => clock.now() },
  );
  sim.createWebhook(store.id, { url: `${e.url}/webhooks/btcpay`, secret: SECRET });
  expect((await e.scheduler.runAll('initial'))[0]).toMatchObject({ ok: true });
});
afterAll(() => sim.close());

const runs = async () => (await e.database.db.selectFrom('sync_runs').select('id').execute()).length;

async function expectReference(): Promise<void> {
  for (const app of apps) {
    expect(await storedProgress(e.database.db, app.id), app.title).toEqual(referenceFigures(cf.reference(app.id), app.perks.map((p) => p.id)));
  }
}

describe('webhook-driven crowdfund progress', () => {
  it('a known New contribution paid: the app moves on the webhook alone', async () => {
    const before = await runs();
    const text0 = await scrape(e.url);
    expect(metric(text0, 'btcpay_crowdfund_contributors', { app: fund.id })).toBe(1);
    sim.pay(open.id, { method: 'BTC-LN' });
    const text = await waitFor(async () => {
      const t = await scrape(e.url);
      return metric(t, 'btcpay_crowdfund_contributors', { app: fund.id }) === 2 ? t : undefined;
    }, 'the contributor count to follow the webhook');
    expect(metric(text, 'btcpay_crowdfund_raised_amount', { app: fund.id, state: 'settled' })).toBeCloseTo(Number(cf.reference(fund.id).currentAmount), 8);
    await expectReference();
    expect(await runs()).toBe(before);
  });

  it('a brand-new contribution (created and paid after the last sync) is found and counted', async () => {
    const before = await runs();
    const inv = cf.contribute(fund.id, { perk: 'tee' });
    sim.pay(inv.id, { method: 'BTC-LN' });
    await waitFor(async () => {
      const t = await scrape(e.url);
      return metric(t, 'btcpay_crowdfund_perk_contributions', { app: fund.id, perk: 'tee' }) === 2 ? true : undefined;
    }, 'the new perk contribution');
    const attributed = await e.database.db.selectFrom('crowdfund_app_invoices').select('app_id').where('invoice_id', '=', inv.id).execute();
    expect(attributed.map((r) => r.app_id)).toEqual([fund.id]);
    await expectReference();
    expect(await runs()).toBe(before);
  });

  it('a New invoice under a hard cap reserves its price as pending at once; a plain store invoice moves the whole-store app', async () => {
    const before = await runs();
    cf.contribute(capped.id, { amount: '150' });
    const shopSale = sim.createInvoice(store.id, { amount: '12', metadata: { orderId: 'shop-1' } });
    sim.pay(shopSale.id, { method: 'BTC-LN' });
    await waitFor(async () => {
      const t = await scrape(e.url);
      const reserved = metric(t, 'btcpay_crowdfund_raised_amount', { app: capped.id, state: 'pending' }) === 150;
      const counted = metric(t, 'btcpay_crowdfund_contributors', { app: everything.id }) === cf.reference(everything.id).totalContributors;
      return reserved && counted ? true : undefined;
    }, 'the hard-cap reservation and the whole-store count');
    await expectReference();
    expect(await runs()).toBe(before);
  });
});
