// btcpay_store_rate: the store's rates for its default currency pairs, read after each store sync
// (Greenfield GET /api/v1/stores/{storeId}/rates). With the permission the pairs appear with the
// simulator's rates; a pair that cannot be rated is absent and one that turns null disappears; a
// key without btcpay.store.canviewstoresettings is told once per store and gets no series; a
// failing rates call keeps the last rates. None of it fails the store sync.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { BtcpaySimulator, ManualClock, PERM } from '../../../exporter/src/demo/btcpay-simulator/index.js';
import { startTestExporter } from '../../helpers/exporter.js';
import { metric, scrape } from '../../helpers/metrics.js';

const T = Date.UTC(2025, 8, 1, 12) / 1000;
const clock = new ManualClock(T);
const sim = new BtcpaySimulator({ clock, seed: 2718 });
const usd = sim.addStore({ defaultCurrency: 'USD', defaultCurrencyPairs: ['BTC_USD', 'BTC_EUR', 'BTC_XYZ'] });
const eur = sim.addStore({ defaultCurrency: 'EUR' });
sim.createInvoice(usd.id, { amount: '10' });
sim.createInvoice(eur.id, { amount: '10' });
const settingsKey = sim.addApiKey([`${PERM.viewStoreSettings}:${usd.id}`, `${PERM.viewStoreSettings}:${eur.id}`]);
const invoicesOnlyKey = sim.addApiKey([`${PERM.viewInvoices}:${usd.id}`, `${PERM.viewInvoices}:${eur.id}`]);

beforeAll(async () => {
  await sim.listen();
});
afterAll(() => sim.close());

const env = (key: string) => ({ BTCPAY_URL: sim.url, BTCPAY_API_KEY: key, BTCPAY_STORE_IDS: `${usd.id},${eur.id}`, ANGOR_ENABLE: 'false' });
const rate = (text: string, store: string, pair: string) => metric(text, 'btcpay_store_rate', { store, currency_pair: pair });

/** A logger that keeps what it is told, for "logged once" (pino writes one JSON line per entry). */
function recordingLog() {
  const lines: Array<{ msg: string; store?: string; level: number }> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string; store?: string; level: number }) });
  return { log, lines };
}

describe('store rates', () => {
  it('exports the default pairs with the rates BTCPay gives, leaves unratable pairs out, and follows a pair turning null', async () => {
    const e = await startTestExporter(env(settingsKey), { schedule: false, now: () => clock.now() });
    const results = await e.scheduler.runAll('test');
    expect(results.every((r) => r.ok)).toBe(true);
    let text = await scrape(e.url);
    expect(rate(text, usd.id, 'BTC_USD')).toBe(Number(sim.rates.rate('USD')));
    expect(rate(text, usd.id, 'BTC_EUR')).toBe(Number(sim.rates.rate('EUR')));
    expect(rate(text, usd.id, 'BTC_XYZ')).toBeUndefined(); // rate null: absent, not 0
    expect(rate(text, eur.id, 'BTC_EUR')).toBe(Number(sim.rates.rate('EUR')));
    expect(rate(text, eur.id, 'BTC_USD')).toBeUndefined(); // not one of the EUR store's pairs
    expect(rate(text, usd.id, 'BTC_USD')).toBeGreaterThan(70_000);

    // Rates move; a pair BTCPay can no longer rate disappears instead of keeping its value.
    sim.advance(3600);
    sim.rates.fail(usd.id, 'BTC_EUR');
    expect((await e.scheduler.runAll('test')).every((r) => r.ok)).toBe(true);
    text = await scrape(e.url);
    expect(rate(text, usd.id, 'BTC_USD')).toBe(Number(sim.rates.rate('USD')));
    expect(rate(text, usd.id, 'BTC_EUR')).toBeUndefined();
    sim.rates.restore(usd.id, 'BTC_EUR');
    await e.scheduler.runAll('test');
    expect(rate(await scrape(e.url), usd.id, 'BTC_EUR')).toBe(Number(sim.rates.rate('EUR')));
  });

  it('a failing rates call keeps the last rates and does not fail the sync', async () => {
    const e = await startTestExporter(env(settingsKey), { schedule: false, now: () => clock.now() });
    await e.scheduler.runAll('test');
    const before = rate(await scrape(e.url), usd.id, 'BTC_USD');
    expect(before).toBeDefined();
    sim.advance(600);
    sim.injectFault({ status: 500, path: /\/rates$/, times: Infinity });
    try {
      const results = await e.scheduler.runAll('test');
      expect(results.every((r) => r.ok), JSON.stringify(results)).toBe(true);
      const text = await scrape(e.url);
      expect(rate(text, usd.id, 'BTC_USD')).toBe(before);
      expect(metric(text, 'crowdfund_sync_up', { source: `btcpay:${usd.id}` })).toBe(1);
    } finally {
      sim.clearFaults();
    }
  });

  it('without btcpay.store.canviewstoresettings: no series, told once per store, the sync still succeeds', async () => {
    const { log, lines } = recordingLog();
    const e = await startTestExporter(env(invoicesOnlyKey), { schedule: false, now: () => clock.now(), log });
    for (let i = 0; i < 3; i++) {
      const results = await e.scheduler.runAll('test');
      expect(results.every((r) => r.ok), JSON.stringify(results)).toBe(true);
    }
    const text = await scrape(e.url);
    expect(text).not.toMatch(/^btcpay_store_rate\{/m);
    expect(metric(text, 'crowdfund_sync_up', { source: `btcpay:${usd.id}` })).toBe(1);
    const told = lines.filter((l) => /may not read the store rates/.test(l.msg));
    expect(told.map((l) => l.store).sort()).toEqual([usd.id, eur.id].sort());
  });
});
