// BTCPay Crowdfund apps: settings and progress as the last sync computed them. Three small
// queries per scrape (apps, progress, perk counts), whatever the number of invoices.
import { Gauge } from 'prom-client';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { storedPerks } from '../store/crowdfund.js';
import { readCrowdfundTotals } from '../store/running-totals.js';
import type { Collector, PromRegistry } from './registry.js';

export const RAISED_STATES = ['settled', 'pending'] as const;

/** Name, HELP and labels of the gauges the history command also writes (exporter/src/history/). */
export const CROWDFUND_METRICS = {
  raisedSats: { name: 'btcpay_crowdfund_raised_sats', help: 'BTC received by the payments counted in the raised amount, in sats.', labelNames: ['app'] as const },
  contributors: {
    name: 'btcpay_crowdfund_contributors',
    help: 'Settled or Processing invoices of the app in the current window (any currency).',
    labelNames: ['app'] as const,
  },
} as const;

export class CrowdfundCollector implements Collector {
  readonly name = 'crowdfund';
  private readonly info: Gauge<'store' | 'app' | 'title' | 'currency'>;
  private readonly target: Gauge<'app'>;
  private readonly raised: Gauge<'app' | 'state'>;
  private readonly raisedSats: Gauge<'app'>;
  private readonly contributors: Gauge<'app'>;
  private readonly perks: Gauge<'app' | 'perk'>;
  private readonly start: Gauge<'app'>;
  private readonly end: Gauge<'app'>;
  private readonly windowStart: Gauge<'app'>;

  constructor(
    registry: PromRegistry,
    private readonly db: Kysely<Database>,
  ) {
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Gauge<L>({ name, help, labelNames, registers: [registry] });
    this.info = gauge('btcpay_crowdfund_info', 'A BTCPay Crowdfund app followed by the exporter; always 1.', ['store', 'app', 'title', 'currency']);
    this.target = gauge('btcpay_crowdfund_target_amount', 'Goal of the app in its target currency (absent without a target).', ['app']);
    this.raised = gauge(
      'btcpay_crowdfund_raised_amount',
      'Amount raised in the current window, in the target currency, computed by BTCPay\'s rules: settled, or pending (processing payments, plus New invoices under a hard cap).',
      ['app', 'state'],
    );
    const m = CROWDFUND_METRICS;
    this.raisedSats = gauge(m.raisedSats.name, m.raisedSats.help, m.raisedSats.labelNames);
    this.contributors = gauge(m.contributors.name, m.contributors.help, m.contributors.labelNames);
    this.perks = gauge('btcpay_crowdfund_perk_contributions', 'Settled or Processing invoices of the app per perk in the current window.', ['app', 'perk']);
    this.start = gauge('btcpay_crowdfund_start_timestamp_seconds', 'Campaign start (absent when not set).', ['app']);
    this.end = gauge('btcpay_crowdfund_end_timestamp_seconds', 'Campaign end (absent when not set).', ['app']);
    this.windowStart = gauge('btcpay_crowdfund_window_start_timestamp_seconds', 'Start of the current reset window (absent when the goal never resets).', ['app']);
  }

  async collect(): Promise<void> {
    const { apps, progress, perks: perkRows } = await readCrowdfundTotals(this.db);
    for (const g of [this.info, this.target, this.raised, this.raisedSats, this.contributors, this.perks, this.start, this.end, this.windowStart]) {
      g.reset();
    }
    const progressOf = new Map(progress.map((p) => [p.app_id, p]));
    const perkCount = new Map(perkRows.map((r) => [`${r.app_id}\u0000${r.perk_id}`, r.contributions]));
    for (const a of apps) {
      const app = a.app_id;
      const p = progressOf.get(app);
      this.info.set({ store: a.store_id, app, title: a.title, currency: a.target_currency.toUpperCase() }, 1);
      if (a.target_amount !== null) this.target.set({ app }, Number(a.target_amount));
      // Before the first computation the app exists with nothing raised yet.
      this.raised.set({ app, state: 'settled' }, Number(p?.settled_amount ?? 0));
      this.raised.set({ app, state: 'pending' }, Number(p?.pending_amount ?? 0));
      this.raisedSats.set({ app }, p?.raised_sats ?? 0);
      this.contributors.set({ app }, p?.contributors ?? 0);
      for (const perk of storedPerks(a.perks_json)) {
        this.perks.set({ app, perk: perk.id }, perkCount.get(`${app}\u0000${perk.id}`) ?? 0);
      }
      if (a.start_date !== null) this.start.set({ app }, a.start_date);
      if (a.end_date !== null) this.end.set({ app }, a.end_date);
      if (p?.window_start !== null && p?.window_start !== undefined) this.windowStart.set({ app }, p.window_start);
    }
  }
}
