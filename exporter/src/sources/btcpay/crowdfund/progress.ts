// A crowdfund's progress computed exactly as BTCPay's CrowdfundAppType.GetInfo and
// InvoiceRepository.GetContributionsByPaymentMethodId do (CROWDFUND.md c2–c4, d1). Pure: the
// caller supplies the app's settings, the invoices attributed to the app (all of them, or at least
// every one created since the window start) and `now`.
import { Decimal, plain } from '../../../money.js';
import { netAdd, netDiv, netMul, netParse, netSub } from './dotnet-decimal.js';
import { resetWindow } from './reset-window.js';
import type { CrowdfundProgressSettings } from './settings.js';

export type PaymentStatus = 'Invalid' | 'Processing' | 'Settled';

export interface ProgressPayment {
  /** Gross amount in the payment method's currency (decimal string, e.g. BTC). */
  value: string;
  /** Payment-method fee for this payment, same currency (decimal string). */
  fee: string;
  status: PaymentStatus;
  /** Unix seconds. */
  receivedDate: number;
}

export interface ProgressPaymentMethod {
  /** e.g. BTC-CHAIN, BTC-LN, BTC-LNURL. */
  paymentMethodId: string;
  /** Currency of the method (BTC for on-chain and Lightning). */
  currency: string;
  /** The invoice's locked rate: invoice-currency units per 1 unit of `currency` (decimal string). */
  rate: string;
  /** In the order BTCPay lists them. */
  payments: readonly ProgressPayment[];
}

export interface ProgressInvoice {
  id: string;
  status: 'New' | 'Processing' | 'Settled' | 'Expired' | 'Invalid';
  /** None | PaidPartial | PaidLate | PaidOver | Marked. */
  additionalStatus: string;
  currency: string;
  /** Invoice price (decimal string); null or "0" for a top-up invoice without an amount yet. */
  amount: string | null;
  createdTime: number;
  expirationTime: number;
  /** metadata.itemCode: the perk id; '' or null when no perk. */
  itemCode: string | null;
  paymentMethods: readonly ProgressPaymentMethod[];
}

export type CampaignPhase = 'upcoming' | 'active' | 'ended';

export interface CrowdfundProgress {
  /** BTCPay's lastResetDate / nextResetDate; null when the goal never resets. */
  windowStart: number | null;
  nextReset: number | null;
  /** CurrentAmount: settled, in the target currency, unrounded (decimal string). */
  settled: string;
  /** CurrentPendingAmount: processing payments plus, with a hard cap, New invoices' prices. */
  pending: string;
  /** settled + pending: BTCPay's "Raised". */
  raised: string;
  /** BTC (in sats, rounded down) behind the counted payments; 0 for marked or reserved amounts. */
  raisedSats: number;
  /** ProgressPercentage / PendingProgressPercentage; null without a target. */
  progressPercent: string | null;
  pendingProgressPercent: string | null;
  /** Target minus raised, never below 0; null without a target. With a hard cap BTCPay refuses a
   *  contribution larger than this. */
  remaining: string | null;
  /** Hard cap set and nothing remaining: BTCPay accepts no further contribution. */
  capReached: boolean;
  /** TotalContributors: window invoices in any currency with status Settled or Processing. */
  contributors: number;
  /** PerkCount: every perk of the app (0 before its first), plus any other itemCode seen. */
  perkCounts: Record<string, number>;
  phase: CampaignPhase;
  /** endDate − now, never below 0; null without an end date. */
  secondsLeft: number | null;
  /** Invoices of the window (after the reset filter). */
  windowInvoices: number;
}

const ZERO = new Decimal(0);
const HUNDRED = new Decimal(100);
const SATS_PER_BTC = new Decimal(100_000_000);

export function computeCrowdfundProgress(
  settings: CrowdfundProgressSettings,
  invoices: readonly ProgressInvoice[],
  now: number,
): CrowdfundProgress {
  const window = resetWindow(settings, now);
  const inWindow = window === null ? invoices : invoices.filter((inv) => inv.createdTime >= window.start);
  const target = settings.targetCurrency.toUpperCase();
  const softCap = !settings.enforceTargetAmount;

  let settled = ZERO;
  let pending = ZERO;
  let btc = ZERO; // exact, not .NET-rounded: it is our own figure
  for (const inv of inWindow) {
    if (inv.currency.toUpperCase() !== target) continue;
    const c = contribution(inv, softCap);
    settled = c.settled.reduce(netAdd, settled);
    pending = c.pending.reduce(netAdd, pending);
    btc = btc.plus(c.btc);
  }

  const paid = inWindow.filter((inv) => inv.status === 'Settled' || inv.status === 'Processing');
  const perkCounts: Record<string, number> = {};
  for (const perk of settings.perks) perkCounts[perk.id] = 0;
  for (const inv of paid) {
    if (inv.itemCode) perkCounts[inv.itemCode] = (perkCounts[inv.itemCode] ?? 0) + 1;
  }

  const raised = netAdd(settled, pending);
  const targetAmount = settings.targetAmount === null ? null : netParse(settings.targetAmount);
  const hasTarget = targetAmount !== null && !targetAmount.isZero();
  const percent = (x: Decimal) => (hasTarget ? plain(netMul(netDiv(x, targetAmount), HUNDRED)) : null);
  const remaining = hasTarget ? Decimal.max(ZERO, netSub(targetAmount, raised)) : null;

  return {
    windowStart: window?.start ?? null,
    nextReset: window?.next ?? null,
    settled: plain(settled),
    pending: plain(pending),
    raised: plain(raised),
    raisedSats: btc.times(SATS_PER_BTC).floor().toNumber(),
    progressPercent: percent(settled),
    pendingProgressPercent: percent(pending),
    remaining: remaining === null ? null : plain(remaining),
    capReached: settings.enforceTargetAmount && remaining !== null && remaining.isZero(),
    contributors: paid.length,
    perkCounts,
    ...phaseOf(settings.startDate, settings.endDate, now),
    windowInvoices: inWindow.length,
  };
}

export interface Contribution {
  /** Amounts in the order BTCPay adds them to its running totals. */
  settled: Decimal[];
  pending: Decimal[];
  btc: Decimal;
}

/** One target-currency invoice: the first matching rule of CROWDFUND.md c3 applies. (Also read by history/.) */
export function contribution(inv: ProgressInvoice, softCap: boolean): Contribution {
  const price = netParse(inv.amount ?? '0');
  // 1. A hard cap reserves the full price of every New invoice, whatever was paid.
  if (!softCap && inv.status === 'New') return { settled: [], pending: [price], btc: ZERO };

  const marked = inv.additionalStatus === 'Marked';
  const markedSettled = marked && inv.status === 'Settled';
  const accounted = inv.paymentMethods.flatMap((pm) =>
    pm.payments.filter((p) => p.status !== 'Invalid').map((p) => ({ pm, p })),
  );
  // 2. Marked settled without a payment: money received by other means, the full price counts.
  if (markedSettled && accounted.length === 0) return { settled: [price], pending: [], btc: ZERO };
  // 3. Marked invalid: nothing counts.
  if (marked && inv.status === 'Invalid') return { settled: [], pending: [], btc: ZERO };

  // 4. Each accounted payment received by the expiry (any time when marked settled), at its net
  //    value converted with the invoice's locked rate; the payment's own status decides the bucket.
  const out: Contribution = { settled: [], pending: [], btc: ZERO };
  for (const { pm, p } of accounted) {
    if (!(p.receivedDate <= inv.expirationTime || markedSettled)) continue;
    const net = netSub(netParse(p.value), netParse(p.fee));
    const converted = netMul(net, netParse(pm.rate));
    (p.status === 'Settled' ? out.settled : out.pending).push(converted);
    if (pm.currency.toUpperCase() === 'BTC') out.btc = out.btc.plus(new Decimal(p.value).minus(p.fee));
  }
  return out;
}

function phaseOf(
  startDate: number | null,
  endDate: number | null,
  now: number,
): { phase: CampaignPhase; secondsLeft: number | null } {
  const secondsLeft = endDate === null ? null : Math.max(0, endDate - now);
  if (startDate !== null && now < startDate) return { phase: 'upcoming', secondsLeft };
  if (endDate !== null && now > endDate) return { phase: 'ended', secondsLeft };
  return { phase: 'active', secondsLeft };
}
