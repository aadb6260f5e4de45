// Greenfield-shaped test invoices and apps, fed raw to the simulator reference and mapped to the
// plain input of progress.ts (what phase 2 will read from the database).
import type { CrowdfundProgress, ProgressInvoice } from '../../../../exporter/src/sources/btcpay/crowdfund/progress.js';
import { jsonNumberToDecimalString, type CrowdfundProgressSettings, type ResetEvery } from '../../../../exporter/src/sources/btcpay/crowdfund/settings.js';
import type { RefApp, RefInvoice, RefProgress } from '../../../../exporter/src/demo/btcpay-simulator/crowdfund-reference.js';

export const APP_ID = '2A2MhfxsirgJGHcY6ydS9WaJS2o4';
export const SEARCH_TERM = `crowdfund-app_${APP_ID}`;

export function app(overrides: Partial<RefApp> = {}): RefApp {
  return {
    id: APP_ID,
    targetCurrency: 'USD',
    targetAmount: 25000.0,
    enforceTargetAmount: false,
    startDate: null,
    endDate: null,
    resetEvery: 'Never',
    resetEveryAmount: 1,
    perks: [],
    ...overrides,
  };
}

export function toSettings(a: RefApp): CrowdfundProgressSettings {
  return {
    targetCurrency: a.targetCurrency,
    targetAmount:
      a.targetAmount === null ? null : typeof a.targetAmount === 'number' ? jsonNumberToDecimalString(a.targetAmount) : a.targetAmount,
    enforceTargetAmount: a.enforceTargetAmount,
    startDate: a.startDate,
    endDate: a.endDate,
    resetEvery: a.resetEvery as ResetEvery,
    resetEveryAmount: a.resetEveryAmount,
    perks: a.perks,
  };
}

export function toProgressInvoice(inv: RefInvoice): ProgressInvoice {
  const code = inv.metadata?.['itemCode'];
  return {
    id: inv.id,
    status: inv.status as ProgressInvoice['status'],
    additionalStatus: inv.additionalStatus,
    currency: inv.currency,
    amount: inv.amount,
    createdTime: inv.createdTime,
    expirationTime: inv.expirationTime,
    itemCode: typeof code === 'string' ? code : null,
    paymentMethods: (inv.paymentMethods ?? []).map((pm) => ({
      paymentMethodId: pm.paymentMethodId,
      currency: pm.currency,
      rate: pm.rate,
      payments: pm.payments.map((p) => ({
        value: p.value,
        fee: p.fee,
        status: p.status as 'Invalid' | 'Processing' | 'Settled',
        receivedDate: p.receivedDate,
      })),
    })),
  };
}

export const T0 = 1_763_000_000; // created
export const EXPIRY = T0 + 900;

type Pay = { value: string; rate: string; status?: string; fee?: string; at?: number; method?: string; currency?: string };

type Method = {
  paymentMethodId: string;
  currency: string;
  rate: string;
  payments: { value: string; fee: string; status: string; receivedDate: number }[];
};

export function invoice(
  id: string,
  status: string,
  additionalStatus: string,
  opts: { currency?: string; amount?: string; pays?: Pay[]; itemCode?: string; createdTime?: number; terms?: string[] } = {},
): RefInvoice {
  const methods = new Map<string, Method>();
  for (const p of opts.pays ?? []) {
    const method = p.method ?? 'BTC-CHAIN';
    const m = methods.get(method) ?? { paymentMethodId: method, currency: p.currency ?? 'BTC', rate: p.rate, payments: [] };
    m.payments.push({ value: p.value, fee: p.fee ?? '0', status: p.status ?? 'Settled', receivedDate: p.at ?? T0 + 60 });
    methods.set(method, m);
  }
  const createdTime = opts.createdTime ?? T0;
  return {
    id,
    status,
    additionalStatus,
    currency: opts.currency ?? 'USD',
    amount: opts.amount ?? '50',
    createdTime,
    expirationTime: createdTime + 900,
    metadata: opts.itemCode === undefined ? {} : { itemCode: opts.itemCode },
    paymentMethods: [...methods.values()],
    additionalSearchTerms: opts.terms ?? [SEARCH_TERM],
  };
}

/** The invoices of CROWDFUND.md d2 (target 25000 USD, soft cap, never resets). */
export function workedExample(): RefInvoice[] {
  return [
    invoice('A', 'Settled', 'None', { pays: [{ value: '0.00050899', rate: '98234.17' }] }),
    invoice('B', 'Processing', 'None', { pays: [{ value: '0.00102774', rate: '97301.18', status: 'Processing' }] }),
    invoice('C', 'Expired', 'PaidPartial', { pays: [{ value: '0.00020000', rate: '98020.00' }] }),
    invoice('D', 'Expired', 'PaidLate', { pays: [{ value: '0.00051010', rate: '98020.00', at: EXPIRY + 120 }] }),
    invoice('E', 'Settled', 'Marked', { amount: '250' }),
    invoice('F', 'Invalid', 'Marked', { pays: [{ value: '0.00051145', rate: '97761.44' }] }),
    invoice('G', 'New', 'None', { amount: '75' }),
    invoice('H', 'Settled', 'None', { currency: 'EUR', pays: [{ value: '0.0006', rate: '91000.5' }] }),
  ];
}

/** The figures both implementations produce, under common names, for comparison. */
export function summary(p: CrowdfundProgress) {
  return {
    windowStart: p.windowStart,
    nextReset: p.nextReset,
    settled: p.settled,
    pending: p.pending,
    raised: p.raised,
    progress: p.progressPercent,
    pendingProgress: p.pendingProgressPercent,
    contributors: p.contributors,
    perks: p.perkCounts,
    sats: p.raisedSats,
  };
}

export function refSummary(r: RefProgress) {
  return {
    windowStart: r.lastResetDate,
    nextReset: r.nextResetDate,
    settled: r.currentAmount,
    pending: r.currentPendingAmount,
    raised: r.raised,
    progress: r.progressPercentage,
    pendingProgress: r.pendingProgressPercentage,
    contributors: r.totalContributors,
    perks: r.perkCount,
    sats: r.raisedSats,
  };
}
