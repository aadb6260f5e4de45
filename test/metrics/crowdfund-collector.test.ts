// The crowdfund collector against a real SQLite database written through store/crowdfund.ts.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../exporter/src/store/connection.js';
import { migrateToLatest } from '../../exporter/src/store/migrator.js';
import { buildMetrics } from '../../exporter/src/metrics/build.js';
import type { MetricsRegistry } from '../../exporter/src/metrics/registry.js';
import {
  appsOfInvoice,
  attributeInvoices,
  removeCrowdfundApp,
  saveCrowdfundApp,
  saveCrowdfundProgress,
} from '../../exporter/src/store/crowdfund.js';
import { computeCrowdfundProgress } from '../../exporter/src/sources/btcpay/crowdfund/progress.js';
import { crowdfundAppRecord, crowdfundAppSchema, progressSettingsOf, type CrowdfundApp } from '../../exporter/src/sources/btcpay/crowdfund/settings.js';
import { tempDbPath } from '../helpers/tmp.js';
import { APP_ID, toProgressInvoice, workedExample } from '../sources/btcpay/crowdfund/fixtures.js';

const STORE = 'YLPVGjoBw3vqwZ2vbWqNfMy4dZdzcj54w53PYjnBYri';
const NOW = 1_763_100_000;

function cfApp(overrides: Record<string, unknown> = {}): CrowdfundApp {
  return crowdfundAppSchema.parse({
    id: APP_ID,
    appName: 'node-fund',
    storeId: STORE,
    title: 'Community Lightning node fund',
    targetCurrency: 'usd',
    targetAmount: 25000.0,
    startDate: 1761955200,
    endDate: 1769900400,
    resetEvery: 'Never',
    resetEveryAmount: 1,
    perks: [
      { id: 'early-bird', title: 'Early bird', priceType: 'Fixed', price: '50' },
      { id: 'supporter', title: 'Supporter', priceType: 'Minimum', price: '100' },
    ],
    ...overrides,
  });
}

/** The value of one series in the text exposition, or undefined when absent. */
function sample(body: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of body.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const got = Object.fromEntries([...(m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v) && Object.keys(got).length === Object.keys(labels).length) {
      return Number(m[2]);
    }
  }
  return undefined;
}

describe('crowdfund collector', () => {
  let handle: DatabaseHandle;
  let metrics: MetricsRegistry;
  const scrape = async () => {
    const failed: string[] = [];
    const { body } = await metrics.render(false, (c) => failed.push(c));
    expect(failed).toEqual([]);
    return body;
  };

  beforeAll(async () => {
    handle = openDatabase(tempDbPath('crowdfund-collector-'));
    await migrateToLatest(handle.db);
    // Through buildMetrics: proves the collector is registered where main.ts builds the registry.
    metrics = buildMetrics({ db: handle.db, mode: 'live', sources: () => [], defaultMetrics: false });
  });
  afterAll(() => handle.close());
  beforeEach(async () => {
    await handle.db.deleteFrom('crowdfund_apps').execute();
  });

  it('exports nothing without apps', async () => {
    const body = await scrape();
    expect(sample(body, 'btcpay_crowdfund_info', { store: STORE, app: APP_ID, title: 'x', currency: 'USD' })).toBeUndefined();
    expect(body).not.toMatch(/^btcpay_crowdfund_\w+\{/m);
  });

  it('shows a configured app with zeros before its first computation', async () => {
    await saveCrowdfundApp(handle.db, crowdfundAppRecord(cfApp()), { allStoreInvoices: false, now: NOW });
    const body = await scrape();
    expect(sample(body, 'btcpay_crowdfund_info', { store: STORE, app: APP_ID, title: 'Community Lightning node fund', currency: 'USD' })).toBe(1);
    expect(sample(body, 'btcpay_crowdfund_target_amount', { app: APP_ID })).toBe(25000);
    expect(sample(body, 'btcpay_crowdfund_raised_amount', { app: APP_ID, state: 'settled' })).toBe(0);
    expect(sample(body, 'btcpay_crowdfund_raised_amount', { app: APP_ID, state: 'pending' })).toBe(0);
    expect(sample(body, 'btcpay_crowdfund_raised_sats', { app: APP_ID })).toBe(0);
    expect(sample(body, 'btcpay_crowdfund_contributors', { app: APP_ID })).toBe(0);
    expect(sample(body, 'btcpay_crowdfund_perk_contributions', { app: APP_ID, perk: 'early-bird' })).toBe(0);
    expect(sample(body, 'btcpay_crowdfund_perk_contributions', { app: APP_ID, perk: 'supporter' })).toBe(0);
    expect(sample(body, 'btcpay_crowdfund_start_timestamp_seconds', { app: APP_ID })).toBe(1761955200);
    expect(sample(body, 'btcpay_crowdfund_end_timestamp_seconds', { app: APP_ID })).toBe(1769900400);
    expect(sample(body, 'btcpay_crowdfund_window_start_timestamp_seconds', { app: APP_ID })).toBeUndefined();
  });

  it('exports the stored progress of the worked example, with perk counts', async () => {
    const app = cfApp();
    await saveCrowdfundApp(handle.db, crowdfundAppRecord(app), { allStoreInvoices: false, now: NOW });
    const invoices = workedExample().map(toProgressInvoice);
    invoices[0] = { ...invoices[0]!, itemCode: 'early-bird' };
    invoices[7] = { ...invoices[7]!, itemCode: 'ghost' }; // not a perk of the app: never a label
    const row = await handle.db.selectFrom('crowdfund_apps').selectAll().where('app_id', '=', APP_ID).executeTakeFirstOrThrow();
    const progress = computeCrowdfundProgress(progressSettingsOf(row), invoices, NOW);
    await saveCrowdfundProgress(handle.db, APP_ID, progress, NOW);

    const stored = await handle.db.selectFrom('crowdfund_progress').selectAll().executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ settled_amount: '319.6042101883', pending_amount: '100.0003147332', contributors: 4 });

    const body = await scrape();
    expect(sample(body, 'btcpay_crowdfund_raised_amount', { app: APP_ID, state: 'settled' })).toBe(319.6042101883);
    expect(sample(body, 'btcpay_crowdfund_raised_amount', { app: APP_ID, state: 'pending' })).toBe(100.0003147332);
    expect(sample(body, 'btcpay_crowdfund_raised_sats', { app: APP_ID })).toBe(173673);
    expect(sample(body, 'btcpay_crowdfund_contributors', { app: APP_ID })).toBe(4);
    expect(sample(body, 'btcpay_crowdfund_perk_contributions', { app: APP_ID, perk: 'early-bird' })).toBe(1);
    expect(sample(body, 'btcpay_crowdfund_perk_contributions', { app: APP_ID, perk: 'supporter' })).toBe(0);
    expect(sample(body, 'btcpay_crowdfund_perk_contributions', { app: APP_ID, perk: 'ghost' })).toBeUndefined();
  });

  it('omits target, dates and window when they are not set, and shows the window of a resetting goal', async () => {
    await saveCrowdfundApp(handle.db, crowdfundAppRecord(cfApp({ targetAmount: null, startDate: null, endDate: null })), { allStoreInvoices: true, now: NOW });
    const other = cfApp({ id: 'OtherApp', resetEvery: 'Month', startDate: Date.UTC(2025, 0, 31, 10) / 1000, perks: [] });
    await saveCrowdfundApp(handle.db, crowdfundAppRecord(other), { allStoreInvoices: false, now: NOW });
    const now = Date.UTC(2025, 2, 30) / 1000;
    const row = await handle.db.selectFrom('crowdfund_apps').selectAll().where('app_id', '=', 'OtherApp').executeTakeFirstOrThrow();
    await saveCrowdfundProgress(handle.db, 'OtherApp', computeCrowdfundProgress(progressSettingsOf(row), [], now), now);

    const body = await scrape();
    expect(sample(body, 'btcpay_crowdfund_target_amount', { app: APP_ID })).toBeUndefined();
    expect(sample(body, 'btcpay_crowdfund_start_timestamp_seconds', { app: APP_ID })).toBeUndefined();
    expect(sample(body, 'btcpay_crowdfund_end_timestamp_seconds', { app: APP_ID })).toBeUndefined();
    expect(sample(body, 'btcpay_crowdfund_raised_amount', { app: APP_ID, state: 'pending' })).toBe(0);
    expect(sample(body, 'btcpay_crowdfund_window_start_timestamp_seconds', { app: 'OtherApp' })).toBe(Date.UTC(2025, 2, 28, 10) / 1000);
  });

  it('drops the series of a perk removed from the template and of a removed app', async () => {
    await saveCrowdfundApp(handle.db, crowdfundAppRecord(cfApp()), { allStoreInvoices: false, now: NOW });
    await saveCrowdfundApp(handle.db, crowdfundAppRecord(cfApp({ perks: [{ id: 'supporter', title: 'Supporter' }] })), { allStoreInvoices: false, now: NOW + 1 });
    let body = await scrape();
    expect(sample(body, 'btcpay_crowdfund_perk_contributions', { app: APP_ID, perk: 'early-bird' })).toBeUndefined();
    expect(sample(body, 'btcpay_crowdfund_perk_contributions', { app: APP_ID, perk: 'supporter' })).toBe(0);

    await attributeInvoices(handle.db, APP_ID, ['i1', 'i2']);
    await removeCrowdfundApp(handle.db, APP_ID);
    body = await scrape();
    expect(body).not.toMatch(/^btcpay_crowdfund_\w+\{/m);
    expect(await appsOfInvoice(handle.db, 'i1')).toEqual([]); // attribution cascades
  });

  it('keeps invoice attribution idempotent and finds the apps of an invoice', async () => {
    await saveCrowdfundApp(handle.db, crowdfundAppRecord(cfApp()), { allStoreInvoices: false, now: NOW });
    await saveCrowdfundApp(handle.db, crowdfundAppRecord(cfApp({ id: 'SecondApp' })), { allStoreInvoices: true, now: NOW });
    const many = Array.from({ length: 1000 }, (_, i) => `inv${i}`);
    await attributeInvoices(handle.db, APP_ID, many);
    await attributeInvoices(handle.db, APP_ID, many.slice(0, 10));
    await attributeInvoices(handle.db, 'SecondApp', ['inv5']);
    const count = await handle.db.selectFrom('crowdfund_app_invoices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1001);
    expect((await appsOfInvoice(handle.db, 'inv5')).sort()).toEqual([APP_ID, 'SecondApp'].sort());
  });

  it('refuses progress for an app whose settings were never stored, writing nothing', async () => {
    const progress = computeCrowdfundProgress(progressSettingsOf({
      app_id: 'x', store_id: STORE, title: 't', app_name: null, enabled: 1, archived: 0, target_currency: 'USD', target_amount: null,
      enforce_target_amount: 0, start_date: null, end_date: null, reset_every: 'Never', reset_every_amount: 1, perks_json: '[]',
      all_store_invoices: 0, updated_at: NOW,
    }), [], NOW);
    await expect(saveCrowdfundProgress(handle.db, 'Unknown', progress, NOW)).rejects.toThrow(/not stored/);
    expect(await handle.db.selectFrom('crowdfund_progress').selectAll().execute()).toEqual([]);
  });
});
