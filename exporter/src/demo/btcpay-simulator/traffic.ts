// Live traffic for demo mode: a new invoice every few seconds in one of the stores, moving through
// its lifecycle in (compressed) real time, so /metrics and the dashboards keep moving.
import { planInvoice, randomInvoiceInput } from './history.js';
import type { Rng } from './rng.js';
import { TimerSet } from './timers.js';
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
  private readonly timers = new TimerSet();
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly sim: BtcpaySimulator,
    private readonly opts: TrafficOptions,
  ) {}

  start(): void {
    if (this.timers.running) return;
    this.timers.start();
    this.ticker = setInterval(() => this.sim.tick(), 1000);
    this.ticker.unref();
    this.scheduleNext();
  }

  stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.timers.stop();
  }

  private scheduleNext(): void {
    const mean = this.opts.intervalMs ?? 4000;
    this.timers.later(Math.round(mean * (0.5 + this.opts.rng.next())), () => {
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
      this.timers.later(Math.max(0, op.at - now) * 1000, () => op.run());
    }
  }
}
