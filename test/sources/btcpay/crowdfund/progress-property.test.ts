// The exporter's progress.ts and the simulator's independent reference must agree on any input:
// random apps (targets, hard cap, resets incl. month/year clamping) and random invoices (statuses,
// marks, currencies, late payments, fees, Lightning precision, long rates that force .NET rounding).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeCrowdfundProgress } from '../../../../exporter/src/sources/btcpay/crowdfund/progress.js';
import { referenceCrowdfundProgress, type RefApp, type RefInvoice } from '../../../../exporter/src/demo/btcpay-simulator/crowdfund-reference.js';
import { APP_ID, SEARCH_TERM, refSummary, summary, toProgressInvoice, toSettings } from './fixtures.js';

const BASE = Date.UTC(2025, 0, 1) / 1000;
const PERKS = ['early-bird', 'supporter', 'sponsor'];

/** A decimal string with up to `intDigits` integer and `maxDp` fractional digits. */
const decimal = (intDigits: number, maxDp: number) =>
  fc
    .tuple(fc.bigInt({ min: 0n, max: 10n ** BigInt(intDigits) - 1n }), fc.integer({ min: 0, max: maxDp }), fc.bigInt({ min: 0n, max: 10n ** BigInt(maxDp) - 1n }))
    .map(([w, dp, f]) => (dp === 0 ? w.toString() : `${w}.${(f % 10n ** BigInt(dp)).toString().padStart(dp, '0')}`));

const payment = fc.record({
  value: fc.oneof(decimal(1, 8), decimal(0, 11)),
  fee: fc.oneof(fc.constant('0'), decimal(0, 8)),
  status: fc.constantFrom('Settled', 'Processing', 'Invalid'),
  // Often right at the expiry (created + 900), where <= versus < matters.
  receivedOffset: fc.oneof(fc.constantFrom(899, 900, 901), fc.integer({ min: 0, max: 3000 })),
});

const method = fc.record({
  paymentMethodId: fc.constantFrom('BTC-CHAIN', 'BTC-LN', 'BTC-LNURL', 'LTC-CHAIN'),
  // Ordinary 2-dp rates, and long ones (cross rates) whose products need rounding.
  rate: fc.oneof(decimal(6, 2), decimal(6, 22), decimal(0, 28)),
  payments: fc.array(payment, { maxLength: 3 }),
});

const invoiceArb = fc.record({
  status: fc.constantFrom('New', 'Processing', 'Settled', 'Expired', 'Invalid'),
  additionalStatus: fc.constantFrom('None', 'Marked', 'PaidLate', 'PaidPartial', 'PaidOver'),
  currency: fc.constantFrom('USD', 'usd', 'EUR', 'BTC'),
  amount: fc.oneof(fc.constant('0'), decimal(5, 2)),
  createdOffset: fc.integer({ min: -86400 * 400, max: 86400 * 400 }),
  itemCode: fc.option(fc.constantFrom('', ...PERKS, 'unknown-perk'), { nil: undefined }),
  methods: fc.uniqueArray(method, { maxLength: 2, selector: (m) => m.paymentMethodId }),
  attributed: fc.boolean(),
});

const appArb = fc.record({
  targetAmount: fc.option(fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 10_000_000 }).map((c) => c / 100), fc.constant(3), fc.constant(7)), { nil: null }),
  targetCurrency: fc.constantFrom('USD', 'usd', 'BTC'),
  enforceTargetAmount: fc.boolean(),
  startOffset: fc.option(fc.integer({ min: -86400 * 800, max: 86400 * 30 }), { nil: null }),
  resetEvery: fc.constantFrom('Never', 'Hour', 'Day', 'Month', 'Year'),
  resetEveryAmount: fc.integer({ min: 1, max: 3 }),
  perkCount: fc.integer({ min: 0, max: PERKS.length }),
});

describe('progress.ts vs the simulator reference (property)', () => {
  it('agree on every figure for random apps and invoices', () => {
    fc.assert(
      fc.property(appArb, fc.array(invoiceArb, { maxLength: 25 }), fc.integer({ min: 0, max: 86400 * 60 }), (a, invs, nowOffset) => {
        const now = BASE + nowOffset;
        const refApp: RefApp = {
          id: APP_ID,
          targetCurrency: a.targetCurrency,
          targetAmount: a.targetAmount,
          enforceTargetAmount: a.enforceTargetAmount,
          startDate: a.startOffset === null ? null : BASE + a.startOffset,
          endDate: null,
          resetEvery: a.resetEvery,
          resetEveryAmount: a.resetEveryAmount,
          perks: PERKS.slice(0, a.perkCount).map((id) => ({ id })),
        };
        const raw: RefInvoice[] = invs.map((inv, i) => {
          const createdTime = BASE + inv.createdOffset;
          return {
            id: `inv${i}`,
            status: inv.status,
            additionalStatus: inv.additionalStatus,
            currency: inv.currency,
            amount: inv.amount,
            createdTime,
            expirationTime: createdTime + 900,
            metadata: inv.itemCode === undefined ? {} : { itemCode: inv.itemCode },
            paymentMethods: inv.methods.map((m) => ({
              paymentMethodId: m.paymentMethodId,
              currency: m.paymentMethodId.split('-')[0]!,
              rate: m.rate,
              payments: m.payments.map((p) => ({ value: p.value, fee: p.fee, status: p.status, receivedDate: createdTime + p.receivedOffset })),
            })),
            additionalSearchTerms: inv.attributed ? [SEARCH_TERM] : ['someone@example.org'],
          };
        });
        const attributed = raw.filter((r) => r.additionalSearchTerms![0] === SEARCH_TERM);
        const mine = computeCrowdfundProgress(toSettings(refApp), attributed.map(toProgressInvoice), now);
        const ref = referenceCrowdfundProgress(refApp, raw, { now });
        expect(summary(mine)).toEqual(refSummary(ref));
      }),
      { numRuns: 400 },
    );
  });

  it('agree when the app counts every store invoice', () => {
    fc.assert(
      fc.property(fc.array(invoiceArb, { maxLength: 15 }), (invs) => {
        const refApp: RefApp = { id: APP_ID, targetCurrency: 'USD', targetAmount: 1000, enforceTargetAmount: false, startDate: null, endDate: null, resetEvery: 'Never', resetEveryAmount: 1, perks: [] };
        const raw: RefInvoice[] = invs.map((inv, i) => ({
          id: `inv${i}`,
          status: inv.status,
          additionalStatus: inv.additionalStatus,
          currency: inv.currency,
          amount: inv.amount,
          createdTime: BASE,
          expirationTime: BASE + 900,
          metadata: {},
          paymentMethods: [],
          additionalSearchTerms: [],
        }));
        const mine = computeCrowdfundProgress(toSettings(refApp), raw.map(toProgressInvoice), BASE);
        const ref = referenceCrowdfundProgress(refApp, raw, { now: BASE, countAllStoreInvoices: true });
        expect(summary(mine)).toEqual(refSummary(ref));
        // Sanity: without the option, none of these invoices belongs to the app.
        expect(referenceCrowdfundProgress(refApp, raw, { now: BASE }).totalContributors).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});
