// The exporter against the simulator's Crowdfund apps, end to end: discovery, attribution by search
// term, progress for every app equal to the simulator's own computation (crowdfund-reference.ts,
// BTCPay's rules over the raw data, internal tags included), a monthly window across a month end
// and its reset, the 403 fallback to BTCPAY_CROWDFUND_APP_IDS, and apps that disappear.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BtcpaySimulator, ManualClock, PERM, SimCrowdfund, generateHistory, type SimCrowdfundApp } from '../../../../exporter/src/demo/btcpay-simulator/index.js';
import type { Exporter } from '../../../../exporter/src/main.js';
import { startTestExporter } from '../../../helpers/exporter.js';
import { tempDbPath } from '../../../helpers/tmp.js';
import { metric, referenceFigures, scrape, storedProgress } from './sim-helpers.js';

const utc = (y: number, m: number, d: number, h = 0, min = 0, s = 0) => Date.UTC(y, m - 1, d, h, min, s) / 1000;
const T = utc(2025, 3, 1, 10); // 1 March 2025, 10:00 UTC
const clock = new ManualClock(T);
const sim = new BtcpaySimulator({ clock, seed: 606 });
const cf = new SimCrowdfund(sim);
const store = sim.addStore({ defaultCurrency: 'USD' });
const other = sim.addStore({ defaultCurrency: 'EUR' });
const adminKey = sim.addApiKey([`${PERM.modifyStoreSettings}:${store.id}`]);
const viewKey = sim.addApiKey([`${PERM.viewInvoices}:${store.id}`]);

const perks = cf.addApp(store.id, {
  title: 'Node fund',
  targetAmount: '5000',
  startDate: utc(2025, 2, 1),
  endDate: utc(2025, 4, 30),
  perks: [
    { id: 'early-bird', title: 'Early bird', priceType: 'Fixed', price: '50', inventory: 10 },
    { id: 'supporter', title: 'Supporter', priceType: 'Minimum', price: '100' },
    { id: 'sponsor', title: 'Sponsor', priceType: 'Fixed', price: '1000' },
  ],
});
const hardCap = cf.addApp(store.id, { title: 'Hard cap', targetAmount: '500', enforceTargetAmount: true });
// Started on Jan 31: .NET clamps the next boundaries to Feb 28 10:00, then Mar 28 10:00.
const monthly = cf.addApp(store.id, { title: 'Monthly', targetAmount: '300', startDate: utc(2025, 1, 31, 10), resetEvery: 'Month' });
const allStore = cf.addApp(store.id, { title: 'Whole store', targetAmount: '100000', tagAllInvoices: true });
// Two ids where one is a prefix of the other: textSearch for the first also finds the second's invoices.
const short = cf.addApp(store.id, { id: 'CfPrefixTestApp1111111111111', title: 'Short id' });
const long = cf.addApp(store.id, { id: 'CfPrefixTestApp1111111111111Z', title: 'Long id' });
const archivedApp = cf.addApp(store.id, { title: 'Archived', archived: true });
const foreign = cf.addApp(other.id, { title: 'Other store' });
cf.addOtherApp(store.id, 'PointOfSale', 'Bar');

function populate(): void {
  // A realistic store around the apps (counts for the "all store invoices" app only).
  generateHistory(sim, store.id, { days: 3, invoicesPerDay: 30, until: T - 3600 });
  const p = perks.id;
  const at = (dt: number) => T + dt;
  // Settled (Lightning) with a perk; Processing on-chain (pending); partial then expired.
  sim.pay(cf.contribute(p, { perk: 'early-bird', createdTime: at(-5100) }).id, { method: 'BTC-LN', at: at(-5000) });
  sim.pay(cf.contribute(p, { perk: 'supporter', amount: '150', createdTime: at(-4100) }).id, { at: at(-4000) });
  sim.pay(cf.contribute(p, { amount: '30', createdTime: at(-3100) }).id, { fraction: 0.5, confirmed: true, at: at(-3000) });
  // Paid after expiry (PaidLate): nothing counts.
  const late = cf.contribute(p, { amount: '40', createdTime: at(-9000) });
  sim.pay(late.id, { at: at(-7000), confirmed: true });
  // Marked settled without a payment (full price), and marked after a late payment (the payment).
  sim.markSettled(cf.contribute(p, { perk: 'sponsor', createdTime: at(-6500) }).id, at(-6000));
  const lateMarked = cf.contribute(p, { amount: '60', createdTime: at(-20000) });
  sim.pay(lateMarked.id, { at: at(-18000), confirmed: true });
  sim.markSettled(lateMarked.id, at(-17000));
  // Paid, then marked invalid: nothing.
  const invalidated = cf.contribute(p, { amount: '70', createdTime: at(-15500) });
  sim.pay(invalidated.id, { at: at(-15000), confirmed: true });
  sim.markInvalid(invalidated.id, at(-14000));
  // Another currency (left from before a target-currency change): a contributor, no amount.
  sim.pay(cf.contribute(p, { amount: '45', currency: 'EUR', createdTime: at(-2500) }).id, { method: 'BTC-LN', at: at(-2400) });
  // On-chain with a payment-method fee (excluded from the amount), overpaid Lightning, archived.
  const fee = cf.contribute(p, { amount: '80', onchainFeeSats: 300, createdTime: at(-12000) });
  sim.pay(fee.id, { at: at(-11900), confirmed: true });
  sim.pay(cf.contribute(p, { amount: '25', createdTime: at(-2000) }).id, { method: 'BTC-LN', fraction: 1.2, at: at(-1990) });
  const archived = cf.contribute(p, { perk: 'early-bird', createdTime: at(-30000) });
  sim.pay(archived.id, { method: 'BTC-LN', at: at(-29990) });
  sim.archive(archived.id);
  // A payment that disappears (RBF): the invoice falls back to New and then expires.
  const rbf = cf.contribute(p, { amount: '35', createdTime: at(-40000) });
  const lost = sim.pay(rbf.id, { at: at(-39900) });
  sim.invalidatePayment(rbf.id, lost.id, at(-39800));
  // Never confirmed within monitoring: Invalid (unmarked), its Processing payment still pending.
  const stuck = cf.contribute(p, { amount: '55', createdTime: at(-200000) });
  sim.pay(stuck.id, { at: at(-199900) });
  // Via LNURL (orderUrl is the LNURL request), and an open New invoice (soft cap: nothing).
  sim.pay(cf.contribute(p, { perk: 'supporter', viaLnurl: true, createdTime: at(-1500) }).id, { method: 'BTC-LN', at: at(-1490) });
  cf.contribute(p, { amount: '90', createdTime: at(-100) });

  // Hard cap: New invoices reserve their full price, paid or not.
  sim.pay(cf.contribute(hardCap.id, { amount: '100', createdTime: at(-800) }).id, { method: 'BTC-LN', at: at(-790) });
  cf.contribute(hardCap.id, { amount: '200', createdTime: at(-60) });
  sim.pay(cf.contribute(hardCap.id, { amount: '80', createdTime: at(-50) }).id, { method: 'BTC-LN', fraction: 0.5, at: at(-30) });

  // Monthly: the window [Feb 28 10:00, Mar 28 10:00) crosses the month end.
  for (const created of [utc(2025, 2, 27, 12), utc(2025, 2, 28, 9, 59, 59), utc(2025, 2, 28, 10), utc(2025, 2, 28, 23, 30), utc(2025, 3, 1, 8)]) {
    sim.pay(cf.contribute(monthly.id, { amount: '20', createdTime: created }).id, { method: 'BTC-LN', at: created + 10 });
  }

  // Prefix collision: page and LNURL contributions of both apps.
  sim.pay(cf.contribute(short.id, { amount: '11', createdTime: at(-700) }).id, { method: 'BTC-LN', at: at(-690) });
  sim.pay(cf.contribute(long.id, { amount: '13', createdTime: at(-600) }).id, { method: 'BTC-LN', at: at(-590) });
  sim.pay(cf.contribute(long.id, { amount: '17', viaLnurl: true, createdTime: at(-500) }).id, { method: 'BTC-LN', at: at(-490) });

  sim.pay(cf.contribute(foreign.id, { amount: '5', createdTime: at(-400) }).id, { method: 'BTC-LN', at: at(-390) });
  sim.tick();
}
populate();

const followed = [perks, hardCap, monthly, allStore, short, long];

beforeAll(async () => {
  await sim.listen();
});
afterAll(() => sim.close());

const env = (key: string, extra: Record<string, string> = {}) => ({
  BTCPAY_URL: sim.url,
  BTCPAY_API_KEY: key,
  BTCPAY_STORE_IDS: store.id,
  BTCPAY_CROWDFUND_ALL_STORE_INVOICES: allStore.id,
  ANGOR_ENABLE: 'false',
  ...extra,
});

async function expectEqualToReference(e: Exporter, apps: readonly SimCrowdfundApp[]): Promise<void> {
  for (const app of apps) {
    const ref = referenceFigures(cf.reference(app.id), app.perks.map((p) => p.id));
    expect(await storedProgress(e.database.db, app.id), app.title).toEqual(ref);
  }
}

describe('crowdfund apps against the simulator', () => {
  let e: Exporter;

  it('discovers the store\'s Crowdfund apps and computes each exactly as the simulator does', async () => {
    e = await startTestExporter(env(adminKey), { schedule: false, now: () => clock.now() });
    const [run] = await e.scheduler.runAll('test');
    expect(run).toMatchObject({ source: `btcpay:${store.id}`, ok: true });

    const stored = await e.database.db.selectFrom('crowdfund_apps').select(['app_id', 'all_store_invoices']).orderBy('app_id').execute();
    // Crowdfund apps only: not the POS app, not the archived one, not another store's.
    expect(stored.map((a) => a.app_id).sort()).toEqual(followed.map((a) => a.id).sort());
    expect(stored.find((a) => a.app_id === allStore.id)?.all_store_invoices).toBe(1);
    await expectEqualToReference(e, followed);

    // The figures the scenario was built to show, as BTCPay's page would.
    const ref = cf.reference(perks.id);
    expect(ref.totalContributors).toBeGreaterThan(5);
    expect(ref.perkCount).toMatchObject({ 'early-bird': 2, supporter: 2, sponsor: 1 });
    expect(cf.reference(hardCap.id).currentPendingAmount).toBe('280');
    expect(cf.reference(monthly.id)).toMatchObject({ lastResetDate: utc(2025, 2, 28, 10), nextResetDate: utc(2025, 3, 28, 10), totalContributors: 3, currentAmount: expect.stringMatching(/^(59\.9|60)/) });
    expect(cf.reference(short.id).totalContributors).toBe(1);
    expect(cf.reference(long.id).totalContributors).toBe(2);

    const text = await scrape(e.url);
    expect(metric(text, 'btcpay_crowdfund_info', { store: store.id, app: perks.id, title: 'Node fund', currency: 'USD' })).toBe(1);
    expect(metric(text, 'btcpay_crowdfund_target_amount', { app: perks.id })).toBe(5000);
    expect(metric(text, 'btcpay_crowdfund_raised_amount', { app: perks.id, state: 'settled' })).toBeCloseTo(Number(ref.currentAmount), 8);
    expect(metric(text, 'btcpay_crowdfund_raised_amount', { app: perks.id, state: 'pending' })).toBeCloseTo(Number(ref.currentPendingAmount), 8);
    expect(metric(text, 'btcpay_crowdfund_contributors', { app: perks.id })).toBe(ref.totalContributors);
    expect(metric(text, 'btcpay_crowdfund_raised_sats', { app: perks.id })).toBe(ref.raisedSats);
    expect(metric(text, 'btcpay_crowdfund_perk_contributions', { app: perks.id, perk: 'sponsor' })).toBe(1);
    expect(metric(text, 'btcpay_crowdfund_start_timestamp_seconds', { app: perks.id })).toBe(utc(2025, 2, 1));
    expect(metric(text, 'btcpay_crowdfund_end_timestamp_seconds', { app: perks.id })).toBe(utc(2025, 4, 30));
    expect(metric(text, 'btcpay_crowdfund_window_start_timestamp_seconds', { app: monthly.id })).toBe(utc(2025, 2, 28, 10));
    expect(metric(text, 'btcpay_crowdfund_window_start_timestamp_seconds', { app: perks.id })).toBeUndefined();
  });

  it('starts a new window at the next (clamped) monthly boundary and stays equal after new activity', async () => {
    clock.set(utc(2025, 3, 28, 10) - 60);
    sim.tick();
    sim.pay(cf.contribute(perks.id, { perk: 'early-bird' }).id, { method: 'BTC-LN' });
    cf.contribute(hardCap.id, { amount: '50' });
    sim.advance(120); // now past Mar 28 10:00
    sim.pay(cf.contribute(monthly.id, { amount: '25' }).id, { method: 'BTC-LN' });
    const [run] = await e.scheduler.runAll('test');
    expect(run).toMatchObject({ ok: true });
    const m = cf.reference(monthly.id);
    expect(m).toMatchObject({ lastResetDate: utc(2025, 3, 28, 10), nextResetDate: utc(2025, 4, 28, 10), totalContributors: 1 });
    await expectEqualToReference(e, followed);
    // Attribution follows the window: the old month's invoices are no longer the app's.
    const rows = await e.database.db.selectFrom('crowdfund_app_invoices').select('invoice_id').where('app_id', '=', monthly.id).execute();
    expect(rows).toHaveLength(1);
  });

  it('fetches an app invoice the store sync has not stored yet (created while the sync ran)', async () => {
    const term = `crowdfund-app_${perks.id}`;
    let created: string | undefined;
    // Created between the store's invoice pages and the app's search, so only the search sees it.
    sim.onRequest = (req) => {
      if (created === undefined && req.query.get('textSearch') === term) {
        created = cf.contribute(perks.id, { perk: 'supporter', amount: '300' }).id;
        sim.pay(created, { method: 'BTC-LN' });
      }
    };
    try {
      expect((await e.scheduler.runAll('test'))[0]).toMatchObject({ ok: true });
    } finally {
      sim.onRequest = undefined;
    }
    const row = await e.database.db.selectFrom('invoices').select(['status', 'amounts_synced']).where('id', '=', created!).executeTakeFirst();
    expect(row).toEqual({ status: 'Settled', amounts_synced: 1 });
    await expectEqualToReference(e, [perks, allStore]);
  });

  it('forgets apps that BTCPay no longer lists or knows', async () => {
    cf.deleteApp(short.id);
    const [run] = await e.scheduler.runAll('test');
    expect(run).toMatchObject({ ok: true });
    const ids = (await e.database.db.selectFrom('crowdfund_apps').select('app_id').execute()).map((r) => r.app_id);
    expect(ids).not.toContain(short.id);
    expect(ids).toContain(long.id);
    const text = await scrape(e.url);
    expect(metric(text, 'btcpay_crowdfund_info', { app: short.id })).toBeUndefined();
    await expectEqualToReference(e, [long]);
  });

  it('an API-created invoice carrying the search term counts for the exporter only (BTCPay also wants its hidden tag)', async () => {
    // Documented in docs/crowdfund.md: Greenfield shows neither the APP# tag nor the search terms.
    sim.pay(cf.apiInvoice(store.id, { amount: '9', additionalSearchTerms: [`crowdfund-app_${long.id}`] }).id, { method: 'BTC-LN' });
    await e.scheduler.runAll('test');
    const mine = await storedProgress(e.database.db, long.id);
    expect(mine!.totalContributors).toBe(cf.reference(long.id).totalContributors + 1);
  });
});

describe('a key that cannot list apps', () => {
  it('falls back to BTCPAY_CROWDFUND_APP_IDS, says so once, and computes those apps', async () => {
    const lines: Array<{ msg: string; level: number }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { msg: string; level: number });
        done();
      },
    });
    const log = pino({ level: 'info' }, sink);
    const e = await startTestExporter(env(viewKey, { BTCPAY_CROWDFUND_APP_IDS: `${perks.id},${monthly.id},${foreign.id}` }), {
      schedule: false,
      now: () => clock.now(),
      log,
    });
    for (let i = 0; i < 2; i++) expect((await e.scheduler.runAll('test'))[0]).toMatchObject({ ok: true });
    const apps = (await e.database.db.selectFrom('crowdfund_apps').select('app_id').execute()).map((r) => r.app_id).sort();
    expect(apps).toEqual([perks.id, monthly.id].sort());
    await expectEqualToReference(e, [perks, monthly]);
    const fallback = lines.filter((l) => /cannot list the apps/.test(l.msg));
    expect(fallback).toHaveLength(1);
    expect(fallback[0]!.msg).toContain('btcpay.store.canmodifystoresettings');
    expect(fallback[0]!.msg).toContain('BTCPAY_CROWDFUND_APP_IDS');
    // An app of a store the exporter does not sync is named, once.
    expect(lines.filter((l) => l.msg.includes(`store ${other.id}, which the exporter does not sync`))).toHaveLength(1);
    expect(lines.map((l) => JSON.stringify(l)).join('\n')).not.toContain(viewKey);
  });

  it('stops following an app once it is no longer named (and the key still cannot list apps)', async () => {
    const DATABASE_PATH = tempDbPath();
    const first = await startTestExporter(env(viewKey, { DATABASE_PATH, BTCPAY_CROWDFUND_APP_IDS: `${perks.id},${monthly.id}` }), { schedule: false, now: () => clock.now() });
    await first.scheduler.runAll('test');
    await first.close();
    const second = await startTestExporter(env(viewKey, { DATABASE_PATH, BTCPAY_CROWDFUND_APP_IDS: perks.id }), { schedule: false, now: () => clock.now() });
    expect((await scrape(second.url)).includes(`app="${monthly.id}"`)).toBe(true); // known from the first run
    expect((await second.scheduler.runAll('test'))[0]).toMatchObject({ ok: true });
    const apps = (await second.database.db.selectFrom('crowdfund_apps').select('app_id').execute()).map((r) => r.app_id);
    expect(apps).toEqual([perks.id]);
    expect((await scrape(second.url)).includes(`app="${monthly.id}"`)).toBe(false);
  });

  it('without app ids, warns that no app is followed and still syncs the invoices', async () => {
    const lines: Array<{ msg: string; level: number }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as { msg: string; level: number });
        done();
      },
    });
    const e = await startTestExporter(env(viewKey, { BTCPAY_CROWDFUND_ALL_STORE_INVOICES: '' }), {
      schedule: false,
      now: () => clock.now(),
      log: pino({ level: 'warn' }, sink),
    });
    expect((await e.scheduler.runAll('test'))[0]).toMatchObject({ ok: true });
    expect(await e.database.db.selectFrom('crowdfund_apps').select('app_id').execute()).toEqual([]);
    expect(lines.filter((l) => /BTCPAY_CROWDFUND_APP_IDS is empty/.test(l.msg))).toHaveLength(1);
  });
});
