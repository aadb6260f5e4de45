// btcpay_payment_method_raised_sats: the raised sats split by payment method, on a real exporter
// against the simulator. A store offering on-chain, Lightning and LNURL-pay gets invoices paid each
// way (and one paid partly on-chain, partly over Lightning): after a sync, and then while signed
// webhooks move invoices with no sync running, the split sums to btcpay_raised_sats at every scrape,
// and each method equals the simulator's own figure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BtcpaySimulator, ManualClock, PERM } from '../../../exporter/src/demo/btcpay-simulator/index.js';
import type { Exporter } from '../../../exporter/src/main.js';
import { startTestExporter } from '../../helpers/exporter.js';
import { metric, scrape, waitFor } from '../../helpers/metrics.js';

const T = Date.UTC(2025, 8, 1, 12) / 1000;
const clock = new ManualClock(T);
const sim = new BtcpaySimulator({ clock, seed: 314 });
const store = sim.addStore({ defaultCurrency: 'USD', paymentMethods: ['BTC-CHAIN', 'BTC-LN', 'BTC-LNURL'] });
const key = sim.addApiKey([`${PERM.viewInvoices}:${store.id}`, `${PERM.modifyWebhooks}:${store.id}`]);
const SECRET = 'payment-mix-webhook-secret';
const METHODS = ['BTC-CHAIN', 'BTC-LN', 'BTC-LNURL'];

const invoice = (amount: string, minutesAgo: number) => sim.createInvoice(store.id, { amount, createdTime: T - minutesAgo * 60 });
const at = (minutesAgo: number) => T - minutesAgo * 60;

// Before the first sync: one of each way to pay, a few that do not count.
const onchain = invoice('40', 90);
sim.pay(onchain.id, { method: 'BTC-CHAIN', at: at(89) });
sim.confirm(onchain.id, at(80));
const lightning = invoice('25', 80);
sim.pay(lightning.id, { method: 'BTC-LN', extraMsats: 789n, at: at(79) }); // millisats: rounded up per method
const lnurl = invoice('12.5', 70);
sim.pay(lnurl.id, { method: 'BTC-LNURL', at: at(69) });
const mixed = invoice('100', 60);
sim.pay(mixed.id, { method: 'BTC-CHAIN', fraction: 0.4, at: at(59) });
sim.pay(mixed.id, { method: 'BTC-LN', at: at(58) });
sim.confirm(mixed.id, at(50));
const late = invoice('30', 50); // expires after 15 minutes, paid after that: Expired + PaidLate
sim.pay(late.id, { method: 'BTC-LNURL', at: at(20) });
const overpaid = invoice('20', 40);
sim.pay(overpaid.id, { method: 'BTC-CHAIN', fraction: 1.1, at: at(39) });
sim.confirm(overpaid.id, at(30));
const partial = invoice('60', 30); // paid in part, never completed: not raised
sim.pay(partial.id, { method: 'BTC-LN', fraction: 0.5, at: at(29) });
const processing = invoice('15', 10); // on-chain, unconfirmed: Processing, not raised yet
sim.pay(processing.id, { method: 'BTC-CHAIN', at: at(9) });
const open = invoice('8', 5); // New
sim.model.tick(T);

let e: Exporter;

beforeAll(async () => {
  await sim.listen();
  e = await startTestExporter(
    { BTCPAY_URL: sim.url, BTCPAY_API_KEY: key, BTCPAY_STORE_IDS: store.id, BTCPAY_WEBHOOK_SECRET: SECRET, ANGOR_ENABLE: 'false' },
    { schedule: false, now: () => clock.now() },
  );
  expect((await e.scheduler.runAll('initial'))[0]).toMatchObject({ ok: true });
});
afterAll(() => sim.close());

/** The split of one scrape, and checks that it sums to the raised sats. */
function split(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of METHODS) out[m] = metric(text, 'btcpay_payment_method_raised_sats', { store: store.id, payment_method: m }) ?? NaN;
  const raised = metric(text, 'btcpay_raised_sats', { store: store.id });
  expect(Object.values(out).reduce((a, b) => a + b, 0), JSON.stringify(out)).toBe(raised);
  expect(text).not.toMatch(/btcpay_payment_method_raised_sats\{[^}]*payment_method="unknown"/);
  return out;
}

const truth = () => {
  const t = sim.groundTruth(store.id);
  return { raised: t.raisedSats, byMethod: Object.fromEntries(METHODS.map((m) => [m, t.raisedSatsByMethod[m] ?? 0])) };
};

describe('raised sats by payment method', () => {
  it('after a sync: every offered method, summing to the raised sats, each as the simulator has it', async () => {
    const text = await scrape(e.url);
    const got = split(text);
    const t = truth();
    expect(got).toEqual(t.byMethod);
    expect(metric(text, 'btcpay_raised_sats', { store: store.id })).toBe(t.raised);
    // Each way of paying carried sats (the mixed invoice counts on both of its methods).
    for (const m of METHODS) expect(got[m], m).toBeGreaterThan(0);
    expect(metric(text, 'btcpay_contributions', { store: store.id })).toBe(6);
  });

  it('after webhooks (no sync): still summing at every scrape, and equal to the simulator once delivered', async () => {
    sim.createWebhook(store.id, { url: `${e.url}/webhooks/btcpay`, secret: SECRET });
    const runs = async () => (await e.database.db.selectFrom('sync_runs').select('id').execute()).length;
    const before = await runs();
    // Confirmed, paid over LNURL, paid over Lightning, and a new invoice paid over LNURL at once.
    sim.confirm(processing.id);
    sim.pay(open.id, { method: 'BTC-LNURL' });
    sim.pay(partial.id, { method: 'BTC-LN' });
    const fresh = invoice('9', 0);
    sim.pay(fresh.id, { method: 'BTC-LNURL', extraMsats: 1n });
    const t = truth();
    const final = await waitFor(async () => {
      const text = await scrape(e.url);
      split(text); // the invariant holds in every intermediate state, too
      return metric(text, 'btcpay_raised_sats', { store: store.id }) === t.raised && metric(text, 'btcpay_contributions', { store: store.id }) === 10 ? text : undefined;
    }, 'the webhooks and their targeted fetches');
    expect(split(final)).toEqual(t.byMethod);
    expect(await runs()).toBe(before);
  });
});
