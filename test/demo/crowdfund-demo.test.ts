// Demo mode serves Crowdfund apps: every btcpay_crowdfund_* metric has data, the live campaign
// moves toward its goal while the exporter runs, the quiet apps equal the simulator's figures, and
// of the two young campaigns one is on pace for its end date and one is not (the pace views and
// CrowdfundGoalAtRisk show both states).
import { describe, expect, it } from 'vitest';
import { startTestExporter } from '../helpers/exporter.js';
import { CONTRACT_METRICS } from '../stack/contract-metrics.js';
import { metric, referenceFigures, scrape, storedProgress, waitFor } from '../sources/btcpay/crowdfund/sim-helpers.js';

const CROWDFUND_METRICS = Object.keys(CONTRACT_METRICS).filter((m) => m.startsWith('btcpay_crowdfund_'));

describe('demo mode crowdfunds', () => {
  it('serves every crowdfund metric and a campaign that keeps moving', async () => {
    const e = await startTestExporter({ ANGOR_ENABLE: 'false' });
    const demo = e.demo!;
    const cf = demo.crowdfund.crowdfund;
    expect(demo.crowdfundAppIds).toHaveLength(7);
    const [, , , , upcoming] = demo.crowdfundAppIds.map((id) => cf.app(id));
    expect(upcoming!.startDate).toBeGreaterThan(Math.floor(Date.now() / 1000));
    const started = demo.crowdfundAppIds.filter((id) => id !== upcoming!.id);
    const first = await waitFor(async () => {
      const t = await scrape(e.url);
      return started.every((app) => (metric(t, 'btcpay_crowdfund_contributors', { app }) ?? 0) > 0) ? t : undefined;
    }, 'every demo app to be computed', 45_000);
    // The announced campaign: computed, nothing raised, its window starting at its start date.
    expect(metric(first, 'btcpay_crowdfund_contributors', { app: upcoming!.id })).toBe(0);
    expect(metric(first, 'btcpay_crowdfund_raised_sats', { app: upcoming!.id })).toBe(0);
    expect(metric(first, 'btcpay_crowdfund_perk_contributions', { app: upcoming!.id, perk: 'judge-dinner' })).toBe(0);
    expect(metric(first, 'btcpay_crowdfund_window_start_timestamp_seconds', { app: upcoming!.id })).toBe(upcoming!.startDate);
    expect(metric(first, 'crowdfund_sync_errors_total', { source: `btcpay:${demo.storeIds[0]}`, reason: 'validation' })).toBe(0);
    expect(CROWDFUND_METRICS).toHaveLength(9); // the nine of issue 6
    for (const name of CROWDFUND_METRICS) {
      expect(first, name).toMatch(new RegExp(`^${name}\\{`, 'm'));
    }
    // The apps without live traffic: equal to the simulator's own figures.
    const [, hardware, monthly] = demo.crowdfundAppIds.map((id) => cf.app(id));
    const onPace = cf.app(demo.crowdfund.onPaceAppId);
    const atRisk = cf.app(demo.crowdfund.atRiskAppId);
    for (const app of [hardware!, monthly!, onPace, atRisk]) {
      expect(await storedProgress(e.database.db, app.id), app.title).toEqual(referenceFigures(cf.reference(app.id), app.perks.map((p) => p.id)));
    }
    expect(Number(cf.reference(hardware!.id).currentPendingAmount)).toBeGreaterThanOrEqual(80); // reserved New invoices

    // Pace (settled since the start, per day: both started within 7 days) against the pace needed
    // by the end date, with a margin either way so the states hold for days of demo.
    const now = demo.simulator.clock.now();
    const paces = (app: typeof onPace) => {
      const settled = Number(cf.reference(app.id).currentAmount);
      return {
        actual: settled / ((now - app.startDate!) / 86_400),
        needed: (Number(app.targetAmount) - settled) / ((app.endDate! - now) / 86_400),
      };
    };
    expect(now - onPace.startDate!).toBeLessThan(7 * 86_400);
    expect(now - atRisk.startDate!).toBeLessThan(7 * 86_400);
    const on = paces(onPace);
    const risk = paces(atRisk);
    expect(on.actual, JSON.stringify(on)).toBeGreaterThan(1.5 * on.needed);
    expect(risk.needed, JSON.stringify(risk)).toBeGreaterThan(5 * risk.actual);

    const live = demo.crowdfund.liveAppId;
    const raised = (t: string) => (metric(t, 'btcpay_crowdfund_raised_amount', { app: live, state: 'settled' }) ?? 0) + (metric(t, 'btcpay_crowdfund_raised_amount', { app: live, state: 'pending' }) ?? 0);
    const start = raised(first);
    await waitFor(async () => (raised(await scrape(e.url)) > start ? true : undefined), 'the live campaign to raise more', 60_000);
  }, 120_000);
});
