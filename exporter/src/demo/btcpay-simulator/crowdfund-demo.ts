// Demo mode's Crowdfund apps: a campaign with perks that keeps moving toward its goal (a new
// contribution every few seconds), a hard-capped one with reserved New invoices, a monthly resetting
// one, one counting every invoice of the second store, an announced one starting next week
// (monthly reset, so its window starts in the future: nothing raised yet), and two young campaigns
// for the pace views: one on pace for its end date and one at risk (it would need far more per day
// than it averages); both started within the last 7 days, so their 7-day pace is exact without any
// Prometheus history. Each gets a contribution history shaped
// like real traffic (most settle, some expire, a few are late, partial or marked).
import { planInvoice } from './history.js';
import { SimCrowdfund, type ContributeInput } from './crowdfund-apps.js';
import type { Rng } from './rng.js';
import { TimerSet } from './timers.js';
import type { BtcpaySimulator } from './simulator.js';

const DAY = 86_400;

export interface DemoCrowdfund {
  crowdfund: SimCrowdfund;
  /** Every demo app (the demo key cannot list apps, so the exporter is told their ids). */
  appIds: string[];
  /** The apps that count every invoice of their store. */
  allStoreInvoices: string[];
  /** The campaign that receives live contributions. */
  liveAppId: string;
  /** Young campaigns whose 7-day pace reaches the goal before the end date, and does not. */
  onPaceAppId: string;
  atRiskAppId: string;
  start(): void;
  stop(): void;
}

export interface DemoCrowdfundOptions {
  rng: Rng;
  /** Mean wait between live contributions; 0 turns them off. */
  intervalMs?: number;
}

export function setupDemoCrowdfund(sim: BtcpaySimulator, storeIds: readonly string[], opts: DemoCrowdfundOptions): DemoCrowdfund {
  const cf = new SimCrowdfund(sim);
  const rng = opts.rng;
  const now = sim.clock.now();
  const [main, shop] = [storeIds[0]!, storeIds[1] ?? storeIds[0]!];

  const node = cf.addApp(main, {
    appName: 'node-fund',
    title: 'Community Lightning node fund',
    targetCurrency: 'USD',
    targetAmount: '25000',
    startDate: now - 30 * DAY,
    endDate: now + 30 * DAY,
    created: now - 31 * DAY,
    perks: [
      { id: 'early-bird', title: 'Early bird', priceType: 'Fixed', price: '50', inventory: 60 },
      { id: 'supporter', title: 'Supporter', priceType: 'Minimum', price: '100' },
      { id: 'sponsor', title: 'Sponsor', priceType: 'Fixed', price: '1000', inventory: 6 },
      { id: 'donation', title: 'Donate any amount', priceType: 'Topup', price: null },
    ],
  });
  const hardware = cf.addApp(main, {
    appName: 'meetup-hardware',
    title: 'Meetup hardware (hard cap)',
    targetCurrency: 'USD',
    targetAmount: '2000',
    enforceTargetAmount: true,
    startDate: now - 10 * DAY,
    endDate: now + 5 * DAY,
    created: now - 11 * DAY,
    perks: [{ id: 'sticker-pack', title: 'Sticker pack', priceType: 'Fixed', price: '25', inventory: 30 }],
  });
  const monthly = cf.addApp(main, {
    appName: 'server-costs',
    title: 'Monthly server costs',
    targetCurrency: 'USD',
    targetAmount: '300',
    // On the 31st at noon, so the .NET month clamping shows (the window start drifts to the 30th, 28th…).
    startDate: lastDay31Before(now - 75 * DAY) + 12 * 3600,
    resetEvery: 'Month',
    created: now - 80 * DAY,
  });
  const shopGoal = cf.addApp(shop, {
    appName: 'shop-goal',
    title: 'Shop goal (all store invoices)',
    targetCurrency: sim.model.store(shop).defaultCurrency,
    targetAmount: '60000',
    tagAllInvoices: true,
    created: now - 40 * DAY,
  });
  cf.addOtherApp(main, 'PointOfSale', 'Meetup bar');

  const history = (appId: string, days: number, perDay: number, input: () => ContributeInput) => {
    let t = now - days * DAY;
    for (;;) {
      t += Math.max(1, Math.round(-Math.log(1 - rng.next()) * (DAY / perDay)));
      if (t > now) break;
      const inv = cf.contribute(appId, { ...input(), createdTime: t });
      for (const op of planInvoice(sim, rng, inv.id, inv.createdTime, inv.expirationTime)) if (op.at <= now) op.run();
    }
  };
  const available = () => node.perks.filter((p) => p.inventory === null || p.inventory > 0).map((p) => p.id);
  history(node.id, 30, 5, () => pick(rng, available()));
  history(hardware.id, 10, 2, () => ({ perk: rng.chance(0.5) ? 'sticker-pack' : undefined, amount: String(rng.pick([20, 50, 80])) }));
  history(monthly.id, 75, 1.5, () => ({ amount: String(rng.pick([5, 10, 15, 25])) }));
  // Open New invoices under the hard cap reserve their full price as pending.
  for (let i = 0; i < 2; i++) cf.contribute(hardware.id, { amount: '40', createdTime: now - 60 * (i + 1) });
  // Added last, so the other apps' seeded history is what it was before this app existed.
  const upcoming = cf.addApp(main, {
    appName: 'hackathon-prizes',
    title: 'Hackathon prize pool (starts next week)',
    targetCurrency: 'USD',
    targetAmount: '5000',
    startDate: Math.floor(now / DAY) * DAY + 7 * DAY + 9 * 3600,
    endDate: Math.floor(now / DAY) * DAY + 37 * DAY,
    resetEvery: 'Month',
    created: now - 2 * DAY,
    perks: [{ id: 'judge-dinner', title: 'Dinner with the judges', priceType: 'Fixed', price: '250', inventory: 10 }],
  });
  // The pace pair, added last too (the other apps keep their seeded history).
  // Started 4 days ago, 10 days to go: about 400 a day raised against about 150 a day needed.
  const podcast = cf.addApp(main, {
    appName: 'podcast-season-2',
    title: 'Podcast season 2 (on pace)',
    targetCurrency: 'USD',
    targetAmount: '3000',
    startDate: now - 4 * DAY,
    endDate: now + 10 * DAY,
    created: now - 5 * DAY,
  });
  // Started 5 days ago, 3 days to go: about 60 a day raised against over 1500 a day needed.
  const rent = cf.addApp(main, {
    appName: 'hackerspace-rent',
    title: 'Hackerspace rent (at risk)',
    targetCurrency: 'USD',
    targetAmount: '5000',
    startDate: now - 5 * DAY,
    endDate: now + 3 * DAY,
    created: now - 6 * DAY,
  });
  history(podcast.id, 4, 10, () => ({ amount: String(rng.pick([25, 50, 100])) }));
  history(rent.id, 5, 2, () => ({ amount: String(rng.pick([20, 40, 60])) }));
  sim.model.tick(now);

  const live = new LiveContributions(sim, cf, node.id, rng, opts.intervalMs ?? 5000);
  return {
    crowdfund: cf,
    appIds: [node.id, hardware.id, monthly.id, shopGoal.id, upcoming.id, podcast.id, rent.id],
    allStoreInvoices: [shopGoal.id],
    liveAppId: node.id,
    onPaceAppId: podcast.id,
    atRiskAppId: rent.id,
    start: () => live.start(),
    stop: () => live.stop(),
  };
}

/** A contribution to the node fund; `perks` are the ones still available. */
function pick(rng: Rng, perks: string[]): ContributeInput {
  const r = rng.next();
  if (r < 0.45 && perks.includes('early-bird')) return { perk: 'early-bird' };
  if (r >= 0.45 && r < 0.65) return { perk: 'supporter', amount: String(rng.pick([100, 120, 150, 250])) };
  if (r >= 0.65 && r < 0.68 && perks.includes('sponsor')) return { perk: 'sponsor' };
  return { amount: String(rng.pick([10, 21, 25, 42, 50, 100])) };
}

/** Unix seconds of 00:00 UTC on the last 31st of a month at or before `t`. */
function lastDay31Before(t: number): number {
  const d = new Date(t * 1000);
  for (let i = 0; i < 3; i++) {
    const candidate = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - i, 31);
    const c = new Date(candidate);
    if (c.getUTCDate() === 31 && candidate <= t * 1000) return candidate / 1000;
  }
  return Math.floor(t / DAY) * DAY;
}

/** A new contribution to one campaign every few seconds, paid within seconds (most of them). */
class LiveContributions {
  private readonly timers = new TimerSet();

  constructor(
    private readonly sim: BtcpaySimulator,
    private readonly cf: SimCrowdfund,
    private readonly appId: string,
    private readonly rng: Rng,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    if (this.timers.running || this.intervalMs <= 0) return;
    this.timers.start();
    this.next();
  }

  stop(): void {
    this.timers.stop();
  }

  private next(): void {
    this.timers.later(Math.round(this.intervalMs * (0.5 + this.rng.next())), () => {
      this.contributeOne();
      this.next();
    });
  }

  private contributeOne(): void {
    const app = this.cf.app(this.appId);
    const input = pick(this.rng, app.perks.filter((p) => p.inventory === null || p.inventory > 0).map((p) => p.id));
    const inv = this.cf.contribute(this.appId, { ...input, expirationMinutes: 3 });
    const r = this.rng.next();
    const payIn = 1000 + this.rng.int(0, 3000);
    if (r < 0.6) {
      const lnurl = r >= 0.45 && inv.methods.some((m) => m.id === 'BTC-LNURL');
      this.timers.later(payIn, () => void this.sim.pay(inv.id, { method: lnurl ? 'BTC-LNURL' : 'BTC-LN' }));
    } else if (r < 0.9) {
      this.timers.later(payIn, () => void this.sim.pay(inv.id, { method: 'BTC-CHAIN' }));
      this.timers.later(payIn + 20_000 + this.rng.int(0, 40_000), () => this.sim.confirm(inv.id));
    }
    // The rest are abandoned and expire.
  }
}
