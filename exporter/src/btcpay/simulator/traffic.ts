// Live traffic for demo mode: a new invoice every few seconds in one of the stores, moving through
// its lifecycle in (compressed) real time, so /metrics and the dashboards keep moving.
import { planInvoice, randomInvoiceInput } from './history.js';
import type { Rng } from './rng.js';
import type { BtcpaySimulator } from './simulator.js';

export interface TrafficOptions {
  storeIds: string[];
  /** Mean wait between new invoices. */
  intervalMs?: number;
  /** Short expiries so that expiries and late payments show within minutes. */
  expirationMinutes?: number;
  monitoringMinutes?: number;
  rng: Rng;
}

export class LiveTraffic {
  private readonly timers = new Set<NodeJS.Timeout>();
  private ticker: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(
    private readonly sim: BtcpaySimulator,
    private readonly opts: TrafficOptions,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.ticker = setInterval(() => this.sim.tick(), 1000);
    this.ticker.unref();
    this.scheduleNext();
  }

  stop(): void {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.stopped) return;
      try {
        fn();
      } catch {
        // The invoice moved on meanwhile (e.g. already expired); nothing to do.
      }
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private scheduleNext(): void {
    const mean = this.opts.intervalMs ?? 4000;
    this.later(Math.round(mean * (0.5 + this.opts.rng.next())), () => {
      this.createOne();
      this.scheduleNext();
    });
  }

  private createOne(): void {
    const rng = this.opts.rng;
    const storeId = rng.pick(this.opts.storeIds);
    const store = this.sim.model.store(storeId);
    const inv = this.sim.createInvoice(storeId, {
      ...randomInvoiceInput(rng, store.invoices.length + 1, store.defaultCurrency),
      expirationMinutes: this.opts.expirationMinutes ?? 3,
      monitoringMinutes: this.opts.monitoringMinutes ?? 20,
    });
    // Plan in a tenth of real time: payments within seconds, confirmations within minutes.
    const now = this.sim.clock.now();
    for (const op of planInvoice(this.sim, rng, inv.id, inv.createdTime, inv.expirationTime, 0.1)) {
      this.later(Math.max(0, op.at - now) * 1000, () => op.run());
    }
  }
}
