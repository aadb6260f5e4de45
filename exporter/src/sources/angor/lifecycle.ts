// Lifecycle state and released-stages ratio of an Angor project, from its dates and stats
// (FACTS.md section 3). Pure: the collector calls it at scrape time because the answer changes
// with the clock, not with the data. The apps compare dates by UTC day, and so do we.
import type { ProjectType } from './project-info.js';
import type { Stage } from './schemas.js';

export const LIFECYCLE_STATES = ['upcoming', 'funding', 'target_reached', 'succeeded', 'failed', 'expired'] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

export interface LifecycleInput {
  version: number;
  type: ProjectType;
  startTime: number | null;
  endTime: number | null;
  expiryTime: number | null;
  targetSats: number;
  raisedSats: number;
}

const DAY = 86_400;
/** The UTC day number of a unix time. */
export const dayOf = (unixSeconds: number): number => Math.floor(unixSeconds / DAY);

/** v1 events have no endDate: the old app treated startDate as the end of the investing window. */
function isLegacyWindow(p: LifecycleInput): boolean {
  return p.type === 'invest' && p.version < 2 && p.endTime === null;
}

/**
 * When the project stops taking investments: endDate for Invest, startDate for v1 Invest, and
 * expiryDate for Fund and Subscribe (they stay open until expiry). Null when unknown.
 */
export function fundingEndsAt(p: LifecycleInput): number | null {
  if (p.type !== 'invest') return p.expiryTime;
  return isLegacyWindow(p) ? p.startTime : p.endTime;
}

export function lifecycleState(p: LifecycleInput, now: number): LifecycleState {
  const today = dayOf(now);
  // Past expiry investors may reclaim what the founder left unspent: the project is over,
  // whatever it raised.
  if (p.expiryTime !== null && today >= dayOf(p.expiryTime)) return 'expired';
  const legacy = isLegacyWindow(p);
  if (!legacy && p.startTime !== null && today < dayOf(p.startTime)) return 'upcoming';
  // Fund and Subscribe have no window and no required target (0 = none).
  if (p.type !== 'invest') return p.targetSats > 0 && p.raisedSats >= p.targetSats ? 'target_reached' : 'funding';
  const reached = p.raisedSats >= p.targetSats;
  const end = fundingEndsAt(p);
  if (end === null || today <= dayOf(end)) return reached ? 'target_reached' : 'funding';
  return reached ? 'succeeded' : 'failed';
}

/**
 * Share (0–1) of the project's funds whose stage release date has come (Invest only; else 0).
 * A failed project releases nothing: the founder cannot claim and returns the coins instead.
 */
export function releasedStagesRatio(stages: readonly Stage[], now: number, state?: LifecycleState): number {
  if (state === 'failed') return 0;
  const today = dayOf(now);
  let percent = 0;
  for (const s of stages) if (today >= dayOf(s.releaseDate)) percent += s.amountToRelease;
  // Percentages may be decimals (33.33): round away float noise, keep it in 0..1.
  return Math.min(1, Math.max(0, Math.round(percent * 1e7) / 1e9));
}
