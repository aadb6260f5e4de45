// The simulator's Crowdfund routes follow CROWDFUND.md a: any valid key reads an app's settings,
// 404 for unknown or non-crowdfund ids; listing a store's apps needs canmodifystoresettings and
// answers 403 for an unknown store too. Contributions are shaped like the public page's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCrowdfundAppJson } from '../../exporter/src/sources/btcpay/crowdfund/settings.js';
import { BtcpaySimulator, ManualClock, PERM, SimCrowdfund } from '../../exporter/src/demo/btcpay-simulator/index.js';

const T = 1_760_000_000;
const sim = new BtcpaySimulator({ clock: new ManualClock(T), seed: 5 });
const cf = new SimCrowdfund(sim);
const store = sim.addStore();
const otherStore = sim.addStore();
const app = cf.addApp(store.id, {
  title: 'Fund',
  targetAmount: '420.69',
  perks: [
    { id: 'bird', priceType: 'Fixed', price: '50', inventory: 3 },
    { id: 'min', priceType: 'Minimum', price: '100' },
  ],
});
const pos = cf.addOtherApp(store.id);
const owner = sim.addApiKey([`${PERM.modifyStoreSettings}:${store.id}`]);
const viewer = sim.addApiKey([`${PERM.viewInvoices}:${store.id}`]);
const elsewhere = sim.addApiKey([`${PERM.viewInvoices}:${otherStore.id}`]);

beforeAll(async () => {
  await sim.listen();
});
afterAll(() => sim.close());

const get = (path: string, key?: string) => fetch(`${sim.url}${path}`, { headers: key ? { authorization: `token ${key}` } : {} });

describe('simulated Crowdfund routes', () => {
  it('serves settings to any valid key, exact target included, and 401 without one', async () => {
    for (const key of [owner, viewer, elsewhere]) {
      const res = await get(`/api/v1/apps/crowdfund/${app.id}`, key);
      expect(res.status).toBe(200);
      const parsed = parseCrowdfundAppJson(await res.text());
      expect(parsed).toMatchObject({ id: app.id, storeId: store.id, targetAmount: '420.69', targetCurrency: 'USD', resetEvery: 'Never' });
      expect(parsed.perks.map((p) => [p.id, p.priceType, p.price])).toEqual([['bird', 'Fixed', '50'], ['min', 'Minimum', '100']]);
    }
    expect((await get(`/api/v1/apps/crowdfund/${app.id}`)).status).toBe(401);
  });

  it('404 app-not-found for an unknown id and for a non-crowdfund app', async () => {
    for (const id of ['nope', pos.id]) {
      const res = await get(`/api/v1/apps/crowdfund/${id}`, viewer);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ code: 'app-not-found', message: 'The app with specified ID was not found' });
    }
  });

  it('lists every app type of a store with canmodifystoresettings; 403 otherwise, unknown store included', async () => {
    const res = await get(`/api/v1/stores/${store.id}/apps`, owner);
    expect(res.status).toBe(200);
    expect(((await res.json()) as Array<{ id: string; appType: string }>).map((a) => [a.id, a.appType]).sort()).toEqual(
      [[app.id, 'Crowdfund'], [pos.id, 'PointOfSale']].sort(),
    );
    for (const [storeId, key] of [[store.id, viewer], ['unknown-store', owner]] as const) {
      const denied = await get(`/api/v1/stores/${storeId}/apps`, key);
      expect(denied.status).toBe(403);
      expect(await denied.json()).toMatchObject({ code: 'missing-permission', missingPermission: PERM.modifyStoreSettings });
    }
  });

  it('creates contributions as the public page does, findable by the search term', async () => {
    const a = cf.contribute(app.id, { perk: 'bird', amount: '5' });
    const b = cf.contribute(app.id, { perk: 'min', amount: '80' });
    const c = cf.contribute(app.id, { amount: '12' });
    expect([a.amount, b.amount, c.amount]).toEqual(['50', '100', '12']);
    expect(a.metadata).toMatchObject({ itemCode: 'bird', orderUrl: `${sim.url}/apps/${app.id}/crowdfund` });
    expect(c.metadata.itemCode).toBe('');
    expect(a.currency).toBe('USD');
    expect(cf.app(app.id).perks[0]!.inventory).toBe(2);
    sim.createInvoice(store.id, { amount: '1' });
    const res = await get(`/api/v1/stores/${store.id}/invoices?textSearch=crowdfund-app_${app.id}`, viewer);
    expect(((await res.json()) as Array<{ id: string }>).map((i) => i.id).sort()).toEqual([a.id, b.id, c.id].sort());
  });
});
