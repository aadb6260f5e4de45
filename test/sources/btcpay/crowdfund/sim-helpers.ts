// Shared by the crowdfund integration tests (with the /metrics helpers of test/helpers/metrics.ts):
// the exporter's stored progress of an app next to the simulator's own computation.
import type { Kysely } from 'kysely';
import type { Database } from '../../../../exporter/src/store/schema.js';
import type { RefProgress } from '../../../../exporter/src/demo/btcpay-simulator/crowdfund-reference.js';

export { metric, scrape, waitFor } from '../../../helpers/metrics.js';

/** The exporter's stored figures of an app, in the shape of the simulator's reference. */
export async function storedProgress(db: Kysely<Database>, appId: string) {
  const p = await db.selectFrom('crowdfund_progress').selectAll().where('app_id', '=', appId).executeTakeFirst();
  if (!p) return undefined;
  const perks = await db.selectFrom('crowdfund_perk_contributions').selectAll().where('app_id', '=', appId).execute();
  return {
    lastResetDate: p.window_start,
    nextResetDate: p.next_reset,
    currentAmount: p.settled_amount,
    currentPendingAmount: p.pending_amount,
    totalContributors: p.contributors,
    perkCount: Object.fromEntries(perks.map((r) => [r.perk_id, r.contributions])),
    raisedSats: p.raised_sats,
  };
}

/**
 * The reference's figures the exporter stores (percentages are derived, raised is the sum). Perk
 * counts are kept for the app's own perks: item codes of other invoices are not exported.
 */
export function referenceFigures(r: RefProgress, perkIds: readonly string[]) {
  return {
    lastResetDate: r.lastResetDate,
    nextResetDate: r.nextResetDate,
    currentAmount: r.currentAmount,
    currentPendingAmount: r.currentPendingAmount,
    totalContributors: r.totalContributors,
    perkCount: Object.fromEntries(perkIds.map((id) => [id, r.perkCount[id] ?? 0])),
    raisedSats: r.raisedSats,
  };
}
