// The Crowdfund series of the history: every hourly sample of btcpay_crowdfund_raised_sats and
// btcpay_crowdfund_contributors equals the simulator's own reference computation
// (crowdfund-reference.ts, independent of progress.ts) over the app's invoices as they stood at
// that time: a goal that never resets, a monthly one under a hard cap (from its current window
// on: earlier windows' invoices are not all attributed), and a weekly one counting every store
// invoice (complete, resets included).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BtcpaySimulator, ManualClock, PERM, SimCrowdfund, type SimCrowdfundApp, type SimInvoice } from '../../exporter/src/demo/btcpay-simulator/index.js';
import { referenceCrowdfundProgress, type RefInvoice } from '../../exporter/src/demo/btcpay-simulator/crowdfund-reference.js';
import { Rng } from '../../exporter/src/demo/btcpay-simulator/rng.js';
import { runHistory } from '../../exporter/src/history/command.js';
import { startTestExporter } from '../helpers/exporter.js';
import { tempDir } from '../helpers/tmp.js';

const HOUR = 3600;
const DAY = 86400;
const NOW = Math.floor(Date.now() / 1000);
const END = NOW - 4 * HOUR; // before the default --until, so the last sample has everything

const sim = new BtcpaySimulator({ clock: new ManualClock(END), seed: 1414 });
const cf = new SimCrowdfund(sim);
const store = sim.addStore({ defaultCurrency: 'USD' });
const apps: SimCrowdfundApp[] = [
  cf.addApp(store.id, { title: 'Never resets', targetAmount: '5000' }),
  cf.addApp(store.id, { title: 'Monthly, hard cap', targetAmount: '800', enforceTargetAmount: true, resetEvery: 'Month', startDate: END - 70 * DAY }),
  cf.addApp(store.id, { title: 'Weekly, all store invoices', targetAmount: '300', resetEvery: 'Day', resetEveryAmount: 7, startDate: END - 69 * DAY, tagAllInvoices: true }),
];
const [never, monthly, weekly] = apps as [SimCrowdfundApp, SimCrowdfundApp, SimCrowdfundApp];

// Sixty days of contributions of every kind to each app.
const rng = new Rng(77);
for (const [k, app] of apps.entries()) {
  for (let i = 0; i < 70; i++) {
    const created = END - 60 * DAY + i * 20 * HOUR + k * 600 + rng.int(0, 3000);
    const kind = i % 9;
    const inv = cf.contribute(app.id, { amount: String(rng.int(5, 200)), createdTime: created, currency: kind === 6 ? 'EUR' : undefined, expirationMinutes: 6 * 60 });
    const at = (dt: number) => created + dt;
    if (kind === 0 || kind === 6) sim.pay(inv.id, { method: 'BTC-LN', at: at(rng.int(10, 600)) });
    if (kind === 1) {
      const paid = at(rng.int(10, 900));
      sim.pay(inv.id, { at: paid });
      sim.confirm(inv.id, paid + rng.int(2, 5) * HOUR); // Processing for hours, then Settled
    }
    if (kind === 2) {
      // Half, then the rest hours later: counted from the second payment.
      sim.pay(inv.id, { fraction: 0.5, confirmed: true, at: at(60) });
      sim.pay(inv.id, { method: 'BTC-LN', at: at(rng.int(2, 5) * HOUR) });
    }
    if (kind === 3) sim.markSettled(inv.id, at(rng.int(1, 3) * HOUR)); // no payment
    if (kind === 4) {
      sim.pay(inv.id, { confirmed: true, at: at(120) });
      sim.markInvalid(inv.id, at(2 * HOUR));
    }
    if (kind === 5) sim.pay(inv.id, { confirmed: true, at: at(7 * HOUR) }); // after expiry: PaidLate
    if (kind === 7) sim.pay(inv.id, { fraction: 0.4, confirmed: true, at: at(300) }); // then expires partially paid
    // kind 8: never paid
  }
}
sim.model.tick(END);
const apiKey = sim.addApiKey([`${PERM.viewInvoices}:${store.id}`]);
await sim.listen();
afterAll(() => sim.close());
const exporter = await startTestExporter(
  {
    BTCPAY_URL: sim.url,
    BTCPAY_API_KEY: apiKey,
    BTCPAY_STORE_IDS: store.id,
    BTCPAY_CROWDFUND_APP_IDS: apps.map((a) => a.id).join(','),
    BTCPAY_CROWDFUND_ALL_STORE_INVOICES: weekly.id,
    ANGOR_ENABLE: 'false',
  },
  { schedule: false },
);
const dir = tempDir('crowdfund-history-cf-');
const belongs = (app: SimCrowdfundApp, inv: SimInvoice) => app.tagAllInvoices || inv.additionalSearchTerms.includes(`crowdfund-app_${app.id}`);

/** The app's invoices as they stood at t (the simulator's own view of an invoice at a past time). */
function invoicesAt(app: SimCrowdfundApp, t: number): RefInvoice[] {
  return (sim.model.store(store.id).invoices as SimInvoice[])
    .filter((inv) => inv.createdTime <= t && belongs(app, inv))
    .map((inv) => cf.refInvoice(inv, t));
}

function reference(app: SimCrowdfundApp, t: number) {
  const r = referenceCrowdfundProgress(
    {
      id: app.id,
      targetCurrency: app.targetCurrency,
      targetAmount: app.targetAmount,
      enforceTargetAmount: app.enforceTargetAmount,
      startDate: app.startDate,
      endDate: app.endDate,
      resetEvery: app.resetEvery,
      resetEveryAmount: app.resetEveryAmount,
      perks: app.perks.map((p) => ({ id: p.id })),
    },
    invoicesAt(app, t),
    { now: t, countAllStoreInvoices: app.tagAllInvoices },
  );
  return { raisedSats: r.raisedSats, contributors: r.totalContributors };
}

let samples = new Map<string, Array<[number, number]>>();

describe('Crowdfund history', () => {
  beforeAll(async () => {
    const results = await exporter.scheduler.runAll('test');
    expect(results.every((r) => r.ok), JSON.stringify(results)).toBe(true);
    const out = join(dir, 'h.om');
    let stderr = '';
    const code = await runHistory(exporter.database.path, { out, step: '1h', job: 'j', instance: 'i' }, { stdout: process.stdout, stderr: { write: (s: string) => (stderr += s) }, now: () => NOW });
    expect(code, stderr).toBe(0);
    samples = new Map();
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      const m = /^(btcpay_crowdfund_\w+)\{app="([^"]+)",job="j",instance="i"\} (\S+) (\d+)$/.exec(line);
      if (!m) continue;
      const key = `${m[1]}/${m[2]}`;
      const list = samples.get(key) ?? [];
      list.push([Number(m[4]), Number(m[3])]);
      samples.set(key, list);
    }
  }, 60_000);

  it.each(apps.map((a) => [a.title, a] as const))('%s: every hourly sample equals the reference over the invoices as they stood then', (_title, app) => {
    const sats = samples.get(`btcpay_crowdfund_raised_sats/${app.id}`) ?? [];
    const contributors = samples.get(`btcpay_crowdfund_contributors/${app.id}`) ?? [];
    // The monthly goal (attributed by search term) starts with its current window's first invoice.
    const since = app === monthly ? cf.reference(app.id, END).lastResetDate! : -Infinity;
    const firstInvoice = Math.min(...sim.model.store(store.id).invoices.filter((i) => belongs(app, i) && i.createdTime >= since).map((i) => i.createdTime));
    expect(sats[0]![0]).toBe(Math.ceil(firstInvoice / HOUR) * HOUR);
    if (app === monthly) expect(sats.length).toBeGreaterThan(24); // still days of history
    expect(contributors.map(([t]) => t)).toEqual(sats.map(([t]) => t));
    const wrong: unknown[] = [];
    let resets = 0;
    let previous = 0;
    for (const [i, [t, v]] of sats.entries()) {
      const want = reference(app, t);
      if (v !== want.raisedSats || contributors[i]![1] !== want.contributors) wrong.push({ t, got: [v, contributors[i]![1]], want });
      if (v < previous) resets += 1;
      previous = v;
    }
    expect(wrong.slice(0, 3), `${wrong.length} of ${sats.length} samples differ`).toEqual([]);
    // The history moves: it grows, and the windowed goals fall back at their resets.
    expect(sats.at(-1)![1]).toBeGreaterThan(0);
    expect(resets).toBe(app === weekly ? 8 : 0);
    void never;
  }, 60_000);

  it('the last sample is what the exporter computed live', async () => {
    for (const app of apps) {
      const live = await exporter.database.db.selectFrom('crowdfund_progress').selectAll().where('app_id', '=', app.id).executeTakeFirstOrThrow();
      expect([samples.get(`btcpay_crowdfund_raised_sats/${app.id}`)!.at(-1)![1], samples.get(`btcpay_crowdfund_contributors/${app.id}`)!.at(-1)![1]]).toEqual([
        live.raised_sats,
        live.contributors,
      ]);
    }
  });
});
