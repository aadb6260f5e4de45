// Shared by the crowdfund integration tests: reading /metrics, polling with a deadline, and the
// exporter's stored progress of an app next to the simulator's own computation.
import { expect } from 'vitest';
import type { Kysely } from 'kysely';
import type { Database } from '../../exporter/src/db/schema.js';
import type { RefProgress } from '../../exporter/src/btcpay/simulator/crowdfund-reference.js';

/** Value of one series in a Prometheus text exposition, or undefined. */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^([^{\s]+)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

export async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** Polls until `fn` returns a value, or fails after the deadline (no fixed sleeps in tests). */
export async function waitFor<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

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
