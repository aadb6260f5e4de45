// The BTCPay side of the sync benchmark, run as its own process so its CPU and memory are not
// counted against the exporter's. One store per requested size, each holding exactly that many
// invoices spread over a year and driven through the simulator's usual lifecycle mix (on-chain and
// Lightning payments, partial, late and over-payments, expiry, Invalid, manual marking, archiving).
// The clock is frozen, so nothing changes while the exporter syncs and the ground truth printed at
// start-up stays exact.
//
// Usage: node --import tsx bench/sync-simulator.ts 25000,50000,100000
// Prints one JSON line on stdout ({ url, apiKey, stores: [...] }) once listening; SIGTERM stops it.
import { PERM } from '../exporter/src/demo/btcpay-simulator/api-keys.js';
import { ManualClock } from '../exporter/src/demo/btcpay-simulator/clock.js';
import { planInvoice, randomInvoiceInput } from '../exporter/src/demo/btcpay-simulator/history.js';
import { Rng } from '../exporter/src/demo/btcpay-simulator/rng.js';
import { BtcpaySimulator } from '../exporter/src/demo/btcpay-simulator/simulator.js';

export interface SimStoreInfo {
  id: string;
  invoices: number;
  /** What the exporter must end up with. */
  truth: {
    counts: Record<string, number>;
    raisedSats: number;
    contributions: number;
    raisedAmounts: Record<string, string>;
    /** Rows the payments tables must hold (the list reports accounted payments only). */
    paymentMethods: number;
    payments: number;
  };
}

export interface SimInfo {
  url: string;
  apiKey: string;
  stores: SimStoreInfo[];
}

const sizes = (process.argv[2] ?? '100000').split(',').map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`sizes must be positive integers: ${process.argv[2]}`);

const now = Math.floor(Date.now() / 1000);
const sim = new BtcpaySimulator({ clock: new ManualClock(now), seed: 8_100_000 });
const rng = new Rng(8_100_001);
const span = 365 * 86400;
const stores: SimStoreInfo[] = [];
const t0 = performance.now();
for (const n of sizes) {
  const store = sim.addStore({ name: `Sync bench ${n}`, defaultCurrency: 'USD' });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    // Evenly spread with jitter; the last one lands a few seconds before "now".
    const created = now - span + Math.floor(((i + rng.next()) * span) / n) - 5;
    const inv = sim.createInvoice(store.id, { ...randomInvoiceInput(rng, i + 1, store.defaultCurrency), createdTime: created });
    ids.push(inv.id);
    for (const op of planInvoice(sim, rng, inv.id, inv.createdTime, inv.expirationTime)) if (op.at <= now) op.run();
  }
  for (const id of ids) if (rng.chance(0.02)) sim.archive(id);
  sim.model.tick(now);
  const gt = sim.groundTruth(store.id);
  let paymentMethods = 0;
  let payments = 0;
  for (const inv of store.invoices) {
    paymentMethods += inv.methods.length;
    payments += inv.payments.filter((p) => p.status !== 'Invalid').length;
  }
  stores.push({
    id: store.id,
    invoices: gt.invoices,
    truth: { counts: gt.counts, raisedSats: gt.raisedSats, contributions: gt.contributions, raisedAmounts: gt.raisedAmounts, paymentMethods, payments },
  });
}
process.stderr.write(`simulator: ${sizes.join(' + ')} invoices generated in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

// Least privilege, as a real deployment: read the invoices of these stores, nothing else.
const apiKey = sim.addApiKey(stores.map((s) => `${PERM.viewInvoices}:${s.id}`));
const url = await sim.listen(0, '127.0.0.1');
const info: SimInfo = { url, apiKey, stores };
process.stdout.write(`${JSON.stringify(info)}\n`);
process.on('SIGTERM', () => {
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
