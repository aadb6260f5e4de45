// Generates a realistic invoice history for a simulated store: invoices spread over the past days,
// each driven through the same lifecycle operations as live traffic, at its own past timestamps.
import type { PayInput, SimMethodId } from './model.js';
import type { Rng } from './rng.js';
import type { BtcpaySimulator } from './simulator.js';

export interface HistoryOptions {
  days: number;
  invoicesPerDay: number;
  /** End of the history (default: the simulator's clock). */
  until?: number;
  /** Share of invoices archived afterwards. */
  archivedShare?: number;
  rng?: Rng;
}

const FIAT_PRICES = ['5', '10', '20', '21', '25', '50', '100', '250', '1000'];
const ITEMS = [
  { code: 'supporter', desc: 'Supporter' },
  { code: 'sticker-pack', desc: 'Sticker pack' },
  { code: 'early-bird', desc: 'Early bird' },
  { code: '', desc: 'Donation' },
];

type Op = { at: number; run: () => void };

/**
 * Plans one invoice's life from its creation time: what happens and when. The mix roughly follows
 * a real store: most invoices settle (on-chain or Lightning), a good share expire unpaid, a few are
 * paid partially, late, never confirmed (Invalid), over-paid or marked by hand.
 */
export function planInvoice(sim: BtcpaySimulator, rng: Rng, invoiceId: string, created: number, expiry: number, scale = 1): Op[] {
  const s = (seconds: number) => Math.max(1, Math.round(seconds * scale));
  const pay = (input: PayInput, at: number): Op => ({ at, run: () => void sim.pay(invoiceId, { ...input, at }) });
  const confirm = (at: number): Op => ({ at, run: () => sim.confirm(invoiceId, at) });
  const onchain: SimMethodId = 'BTC-CHAIN';
  const r = rng.next();
  if (r < 0.46) {
    const paidAt = created + s(rng.int(30, 600));
    return [pay({ method: onchain }, paidAt), confirm(paidAt + s(rng.int(600, 3600)))];
  }
  if (r < 0.62) {
    // Lightning; where the store offers LNURL-pay, about a third of it goes that way (decided by
    // the same draw, so the seeded stream stays as it was).
    const lnurl = r >= 0.565 && sim.model.invoice(invoiceId).methods.some((m) => m.id === 'BTC-LNURL');
    return [pay({ method: lnurl ? 'BTC-LNURL' : 'BTC-LN', extraMsats: BigInt(rng.int(0, 999)) }, created + s(rng.int(5, 300)))];
  }
  if (r < 0.65) {
    const paidAt = created + s(rng.int(30, 600));
    return [pay({ method: onchain, fraction: 1.1 }, paidAt), confirm(paidAt + s(rng.int(600, 3600)))];
  }
  if (r < 0.69) {
    const paidAt = created + s(rng.int(30, 600));
    return [pay({ method: onchain, fraction: 0.3 + rng.next() * 0.6 }, paidAt), confirm(paidAt + s(rng.int(600, 1800)))];
  }
  if (r < 0.72) {
    const paidAt = expiry + s(rng.int(60, 3600));
    return [pay({ method: onchain }, paidAt), confirm(paidAt + s(rng.int(600, 3600)))];
  }
  if (r < 0.75) return [pay({ method: onchain }, created + s(rng.int(60, 600)))];
  if (r < 0.78) {
    const at = created + s(rng.int(600, 7200));
    return [{ at, run: () => (r < 0.77 ? sim.markSettled(invoiceId, at) : sim.markInvalid(invoiceId, at)) }];
  }
  return [];
}

export function randomInvoiceInput(rng: Rng, n: number, defaultCurrency: string) {
  const c = rng.next();
  const currency = c < 0.7 ? defaultCurrency : c < 0.85 ? (defaultCurrency === 'USD' ? 'EUR' : 'USD') : 'BTC';
  const amount = currency === 'BTC' ? (rng.int(10_000, 2_000_000) / 1e8).toFixed(8) : rng.chance(0.7) ? rng.pick(FIAT_PRICES) : (rng.int(100, 50_000) / 100).toFixed(2);
  const item = rng.pick(ITEMS);
  const metadata: Record<string, unknown> = { orderId: `order-${n}`, itemDesc: item.desc };
  if (item.code !== '') metadata.itemCode = item.code;
  if (rng.chance(0.6)) metadata.buyerEmail = `buyer${rng.int(1, 500)}@example.com`;
  return { amount, currency, metadata, onchainFeeSats: rng.chance(0.3) ? rng.int(50, 500) : 0 };
}

/** Fills a store with history; returns the number of invoices created. */
export function generateHistory(sim: BtcpaySimulator, storeId: string, opts: HistoryOptions): number {
  const rng = opts.rng ?? sim.model.rng;
  const until = opts.until ?? sim.clock.now();
  const store = sim.model.store(storeId);
  const meanGap = 86400 / opts.invoicesPerDay;
  let t = until - opts.days * 86400;
  let n = 0;
  const created: string[] = [];
  for (;;) {
    t += Math.max(1, Math.round(-Math.log(1 - rng.next()) * meanGap));
    if (t > until) break;
    n += 1;
    const inv = sim.createInvoice(storeId, { ...randomInvoiceInput(rng, store.invoices.length + 1, store.defaultCurrency), createdTime: t });
    created.push(inv.id);
    for (const op of planInvoice(sim, rng, inv.id, inv.createdTime, inv.expirationTime)) {
      if (op.at <= until) op.run();
    }
  }
  const archived = opts.archivedShare ?? 0.02;
  for (const id of created) if (rng.chance(archived)) sim.archive(id);
  sim.model.tick(until);
  return n;
}
