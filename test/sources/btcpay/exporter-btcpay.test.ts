// The whole exporter against the simulator: metrics after a sync, clear failures with
// crowdfund_sync_up 0 on a bad key or a missing permission, store discovery, and demo mode.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BtcpaySimulator, ManualClock, PERM, SIM_STATUSES, generateHistory } from '../../../exporter/src/demo/btcpay-simulator/index.js';
import { startTestExporter } from '../../helpers/exporter.js';
import { metric, scrape, waitFor } from '../../helpers/metrics.js';

const T0 = Math.floor(Date.now() / 1000);

const sim = new BtcpaySimulator({ clock: new ManualClock(T0), seed: 99 });
const store = sim.addStore();
const goodKey = sim.addApiKey([`${PERM.viewInvoices}:${store.id}`]);
const webhookOnlyKey = sim.addApiKey([`${PERM.modifyWebhooks}:${store.id}`]);
const adminKey = sim.addApiKey([PERM.modifyStoreSettings]);
generateHistory(sim, store.id, { days: 7, invoicesPerDay: 100 });

beforeAll(async () => {
  await sim.listen();
});
afterAll(() => sim.close());

const env = (key: string, storeIds = store.id) => ({ BTCPAY_URL: sim.url, BTCPAY_API_KEY: key, BTCPAY_STORE_IDS: storeIds, ANGOR_ENABLE: 'false' });

describe('exporter with BTCPay', () => {
  it('exports the synced figures: all five statuses, raised sats to the satoshi', async () => {
    const exporter = await startTestExporter(env(goodKey), { schedule: false });
    // Configured stores show zeros before the first sync.
    const before = await scrape(exporter.url);
    for (const status of SIM_STATUSES) expect(metric(before, 'btcpay_invoices', { store: store.id, status })).toBe(0);
    expect(metric(before, 'btcpay_raised_sats', { store: store.id })).toBe(0);

    const [result] = await exporter.scheduler.runAll('test');
    expect(result).toMatchObject({ source: `btcpay:${store.id}`, ok: true });
    const truth = sim.groundTruth(store.id);
    const text = await scrape(exporter.url);
    for (const status of SIM_STATUSES) expect(metric(text, 'btcpay_invoices', { store: store.id, status }), status).toBe(truth.counts[status]);
    expect(metric(text, 'btcpay_raised_sats', { store: store.id })).toBe(truth.raisedSats);
    expect(metric(text, 'btcpay_contributions', { store: store.id })).toBe(truth.contributions);
    expect(metric(text, 'btcpay_last_invoice_created_timestamp_seconds', { store: store.id })).toBe(truth.lastCreated);
    for (const [currency, amount] of Object.entries(truth.raisedAmounts)) {
      expect(metric(text, 'btcpay_raised_amount', { store: store.id, currency })).toBeCloseTo(Number(amount), 6);
    }
    expect(metric(text, 'crowdfund_sync_up', { source: `btcpay:${store.id}` })).toBe(1);
  });

  it('a rejected API key gives the clear message and crowdfund_sync_up 0', async () => {
    const exporter = await startTestExporter(env('not-a-real-key-1234'), { schedule: false });
    const [result] = await exporter.scheduler.runAll('test');
    expect(result).toMatchObject({ ok: false, errorReason: 'unauthenticated' });
    expect(result!.errorMessage).toMatch(/BTCPay rejected the API key/);
    expect(result!.errorMessage).not.toContain('not-a-real-key-1234');
    const text = await scrape(exporter.url);
    expect(metric(text, 'crowdfund_sync_up', { source: `btcpay:${store.id}` })).toBe(0);
    expect(metric(text, 'crowdfund_sync_errors_total', { source: `btcpay:${store.id}`, reason: 'unauthenticated' })).toBe(1);
    expect(text).not.toContain('not-a-real-key-1234');
    const run = await exporter.database.db.selectFrom('sync_runs').selectAll().where('source', '=', `btcpay:${store.id}`).executeTakeFirstOrThrow();
    expect(run).toMatchObject({ outcome: 'error', error_reason: 'unauthenticated' });
  });

  it('a key without canviewinvoices names the missing permission', async () => {
    const exporter = await startTestExporter(env(webhookOnlyKey), { schedule: false });
    const [result] = await exporter.scheduler.runAll('test');
    expect(result).toMatchObject({ ok: false, errorReason: 'missing_permission' });
    expect(result!.errorMessage).toContain('btcpay.store.canviewinvoices');
    const text = await scrape(exporter.url);
    expect(metric(text, 'crowdfund_sync_up', { source: `btcpay:${store.id}` })).toBe(0);
    expect(metric(text, 'crowdfund_sync_errors_total', { source: `btcpay:${store.id}`, reason: 'missing_permission' })).toBe(1);
  });

  it('without store ids, discovers the stores when allowed and says why when not', async () => {
    const denied = await startTestExporter(env(goodKey, ''), { schedule: false });
    const [r] = await denied.scheduler.runAll('test');
    expect(r).toMatchObject({ source: 'btcpay:stores', ok: false, errorReason: 'missing_permission' });
    expect(r!.errorMessage).toMatch(/BTCPAY_STORE_IDS is empty.*btcpay\.store\.canviewstoresettings/);

    const allowed = await startTestExporter(env(adminKey, ''), { schedule: false });
    await allowed.scheduler.runAll('test');
    expect(allowed.scheduler.sources).toEqual(['btcpay:stores', `btcpay:${store.id}`]);
    const text = await scrape(allowed.url);
    expect(metric(text, 'crowdfund_sync_up', { source: `btcpay:${store.id}` })).toBe(1);
    expect(metric(text, 'btcpay_raised_sats', { store: store.id })).toBe(sim.groundTruth(store.id).raisedSats);
  });

  it('documents every btcpay_ metric it registers', async () => {
    const exporter = await startTestExporter(env(goodKey), { schedule: false });
    const names = (await exporter.metrics.registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => n.startsWith('btcpay_'));
    expect(names).toEqual(
      expect.arrayContaining(['btcpay_invoices', 'btcpay_raised_sats', 'btcpay_contributions', 'btcpay_raised_amount', 'btcpay_last_invoice_created_timestamp_seconds']),
    );
    const docs = readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8');
    for (const n of names) expect(docs, n).toContain(`| \`${n}\``);
  });
});

describe('demo mode', () => {
  it('runs the simulator in-process, syncs both stores and delivers webhooks to itself', async () => {
    const exporter = await startTestExporter({ ANGOR_ENABLE: 'false' });
    expect(exporter.config.mode).toBe('demo');
    const demo = exporter.demo!;
    expect(demo.storeIds).toHaveLength(2);
    const text = await waitFor(async () => {
      const t = await scrape(exporter.url);
      return demo.storeIds.every((id) => metric(t, 'crowdfund_sync_up', { source: `btcpay:${id}` }) === 1) ? t : undefined;
    }, 'the demo stores to sync');
    for (const id of demo.storeIds) {
      const total = SIM_STATUSES.reduce((a, status) => a + (metric(text, 'btcpay_invoices', { store: id, status }) ?? Number.NaN), 0);
      expect(total).toBeGreaterThan(500);
      expect(metric(text, 'btcpay_raised_sats', { store: id })).toBeGreaterThan(0);
    }
    const hooks = demo.simulator.webhooks.list(demo.storeIds[0]!);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.url).toBe(`${exporter.url}/webhooks/btcpay`);
    expect(exporter.btcpay?.webhookSecret).toBe(demo.webhookSecret);
  });
});

describe('webhook registration at start-up', () => {
  it('registers the exporter webhook with PUBLIC_URL and the secret when the key may manage webhooks', async () => {
    const regStore = sim.addStore();
    const key = sim.addApiKey([`${PERM.modifyStoreSettings}:${regStore.id}`]);
    const publicUrl = 'https://exporter.example.org';
    await startTestExporter(
      { ...env(key, regStore.id), PUBLIC_URL: publicUrl, BTCPAY_WEBHOOK_SECRET: 'reg-secret-1234' },
      { schedule: false },
    );
    const hook = await waitFor(async () => sim.webhooks.list(regStore.id).find((h) => h.url === `${publicUrl}/webhooks/btcpay`), 'the webhook to be registered');
    expect(hook.secret).toBe('reg-secret-1234');
    expect(hook.automaticRedelivery).toBe(true);
    expect(hook.enabled).toBe(true);
  });

  it('registers nothing without an explicit PUBLIC_URL (BTCPay could not reach localhost)', async () => {
    const regStore = sim.addStore();
    const key = sim.addApiKey([`${PERM.modifyStoreSettings}:${regStore.id}`]);
    const exporter = await startTestExporter({ ...env(key, regStore.id), BTCPAY_WEBHOOK_SECRET: 'reg-secret-1234' }, { schedule: false });
    // A sync completes after start-up work; by then a registration would have been made.
    await exporter.scheduler.runAll('test');
    expect(sim.webhooks.list(regStore.id)).toEqual([]);
  });
});
