import { describe, expect, it } from 'vitest';
import { computeCrowdfundProgress, type CrowdfundProgress } from '../../../../exporter/src/sources/btcpay/crowdfund/progress.js';
import { referenceCrowdfundProgress, type RefApp, type RefInvoice, type RefProgress } from '../../../../exporter/src/demo/btcpay-simulator/crowdfund-reference.js';
import { EXPIRY, SEARCH_TERM, T0, app, invoice, refSummary, summary, toProgressInvoice, toSettings, workedExample } from './fixtures.js';

const NOW = T0 + 3600;

/** Runs both implementations; progress.ts gets the attributed invoices, the reference all of them. */
function both(a: RefApp, invoices: RefInvoice[], now = NOW): { mine: CrowdfundProgress; ref: RefProgress } {
  const attributed = invoices.filter((i) => (i.additionalSearchTerms ?? []).some((t) => t.startsWith(SEARCH_TERM)));
  const mine = computeCrowdfundProgress(toSettings(a), attributed.map(toProgressInvoice), now);
  const ref = referenceCrowdfundProgress(a, invoices, { now });
  expect(summary(mine)).toEqual(refSummary(ref));
  return { mine, ref };
}

describe('CROWDFUND.md d2 worked example', () => {
  it('reproduces every figure exactly, in both implementations', () => {
    const { mine } = both(app(), workedExample());
    expect(mine.settled).toBe('319.6042101883');
    expect(mine.pending).toBe('100.0003147332');
    expect(mine.raised).toBe('419.6045249215');
    expect(mine.contributors).toBe(4);
    expect(mine.progressPercent).toBe('1.2784168407532');
    expect(mine.pendingProgressPercent).toBe('0.4000012589328');
    // The page's "Of Goal", shown with 2 decimals.
    expect((Number(mine.progressPercent) + Number(mine.pendingProgressPercent)).toFixed(2)).toBe('1.68');
    // BTC behind the counted payments: A + B + C (D late, E marked without payment, F marked invalid).
    expect(mine.raisedSats).toBe(50899 + 102774 + 20000);
  });

  it('with a hard cap reserves the full price of the New invoice G', () => {
    const { mine } = both(app({ enforceTargetAmount: true }), workedExample());
    expect(mine.settled).toBe('319.6042101883');
    expect(mine.pending).toBe('175.0003147332');
    expect(mine.remaining).toBe('24505.3954750785');
    expect(mine.capReached).toBe(false);
  });
});

describe('amount rules (CROWDFUND.md c3)', () => {
  it('excludes payments received after expiry, and counts one received exactly at expiry', () => {
    const { mine } = both(app(), [
      invoice('late', 'Expired', 'PaidLate', { pays: [{ value: '0.001', rate: '100000', at: EXPIRY + 1 }] }),
      invoice('edge', 'Settled', 'None', { pays: [{ value: '0.002', rate: '100000', at: EXPIRY }] }),
      invoice('partial', 'Expired', 'PaidPartial', {
        pays: [
          { value: '0.0001', rate: '100000', at: EXPIRY - 10 },
          { value: '0.0005', rate: '100000', at: EXPIRY + 10 },
        ],
      }),
    ]);
    expect(mine.settled).toBe('210');
    expect(mine.contributors).toBe(1);
  });

  it('marked settled: full price without payments, only (even late) payments when there are some', () => {
    const { mine } = both(app(), [
      invoice('cash', 'Settled', 'Marked', { amount: '300' }),
      invoice('partly', 'Settled', 'Marked', { amount: '500', pays: [{ value: '0.001', rate: '100000', at: EXPIRY + 600 }] }),
      // An Invalid payment is not accounted: the full price counts.
      invoice('bounced', 'Settled', 'Marked', { amount: '40', pays: [{ value: '0.001', rate: '100000', status: 'Invalid' }] }),
    ]);
    expect(mine.settled).toBe('440');
    expect(mine.raisedSats).toBe(100000);
  });

  it('marked invalid adds nothing, an unmarked invalid invoice still adds its payments', () => {
    const { mine } = both(app(), [
      invoice('marked', 'Invalid', 'Marked', { pays: [{ value: '0.01', rate: '100000' }] }),
      invoice('unmarked', 'Invalid', 'None', { pays: [{ value: '0.0002', rate: '100000', status: 'Processing' }] }),
    ]);
    expect(mine.settled).toBe('0');
    expect(mine.pending).toBe('20');
    expect(mine.contributors).toBe(0);
  });

  it('splits by payment status, subtracts fees, converts at the invoice rate per method', () => {
    const { mine } = both(app(), [
      invoice('mixed', 'Processing', 'None', {
        pays: [
          { value: '0.00100000', fee: '0.00000150', rate: '97000.5' },
          { value: '0.00012345678', rate: '97001.25', status: 'Processing', method: 'BTC-LN' },
        ],
      }),
    ]);
    expect(mine.settled).toBe('96.85499925'); // (0.001 − 0.0000015) × 97000.5 = 97.0005 − 0.14550075
    expect(mine.pending).toBe('11.975461980975'); // 0.00012345678 × 97001.25
    expect(mine.raisedSats).toBe(99850 + 12345);
  });

  it('lets a fee larger than a dust payment subtract, as BTCPay does, and floors the sats', () => {
    const { mine } = both(app(), [
      invoice('dust', 'Settled', 'None', { pays: [{ value: '0.00000100', fee: '0.000002505', rate: '100000' }] }),
    ]);
    expect(mine.settled).toBe('-0.1505');
    expect(mine.raisedSats).toBe(-151);
  });

  it('counts other-currency invoices as contributors but never as amount; currency match ignores case', () => {
    const { mine } = both(app({ targetCurrency: 'usd' }), [
      invoice('eur', 'Settled', 'None', { currency: 'EUR', pays: [{ value: '0.01', rate: '90000' }], itemCode: 'tee' }),
      invoice('usd', 'Settled', 'None', { currency: 'USD', pays: [{ value: '0.001', rate: '100000' }] }),
      invoice('eur-marked', 'Settled', 'Marked', { currency: 'EUR', amount: '1000' }),
    ]);
    expect(mine.settled).toBe('100');
    expect(mine.contributors).toBe(3);
    expect(mine.perkCounts).toEqual({ tee: 1 });
    expect(mine.raisedSats).toBe(100000);
  });

  it('hard cap: New invoices reserve their price whatever was paid; a top-up reserves 0', () => {
    const { mine } = both(app({ enforceTargetAmount: true, targetAmount: 200 }), [
      invoice('new-partial', 'New', 'PaidPartial', { amount: '100', pays: [{ value: '0.0004', rate: '100000' }] }),
      invoice('topup', 'New', 'None', { amount: '0' }),
      invoice('done', 'Settled', 'None', { amount: '100', pays: [{ value: '0.001', rate: '100000' }] }),
    ]);
    expect(mine.settled).toBe('100');
    expect(mine.pending).toBe('100');
    expect(mine.remaining).toBe('0');
    expect(mine.capReached).toBe(true);
    expect(mine.raisedSats).toBe(100000); // the reservation is no BTC
  });

  it('a soft cap counts a New invoice only by what it received', () => {
    const { mine } = both(app({ targetAmount: 200 }), [
      invoice('new-partial', 'New', 'PaidPartial', { amount: '100', pays: [{ value: '0.0004', rate: '100000' }] }),
    ]);
    expect(mine.settled).toBe('40');
    expect(mine.capReached).toBe(false);
  });
});

describe('contributors and perks (CROWDFUND.md c4)', () => {
  it('counts Settled and Processing invoices, perks by non-empty itemCode, every perk from 0', () => {
    const perks = [{ id: 'early-bird' }, { id: 'supporter' }, { id: 'sponsor' }];
    const { mine } = both(app({ perks }), [
      invoice('1', 'Settled', 'None', { itemCode: 'early-bird', pays: [{ value: '0.0005', rate: '100000' }] }),
      invoice('2', 'Processing', 'None', { itemCode: 'early-bird', pays: [{ value: '0.0005', rate: '100000', status: 'Processing' }] }),
      invoice('3', 'Settled', 'None', { itemCode: '', pays: [{ value: '0.0005', rate: '100000' }] }),
      invoice('4', 'Expired', 'PaidLate', { itemCode: 'supporter', pays: [{ value: '0.001', rate: '100000', at: EXPIRY + 5 }] }),
      invoice('5', 'New', 'None', { itemCode: 'supporter' }),
      invoice('6', 'Settled', 'Marked', { itemCode: 'deleted-perk', amount: '10' }),
    ]);
    expect(mine.contributors).toBe(4);
    expect(mine.perkCounts).toEqual({ 'early-bird': 2, supporter: 0, sponsor: 0, 'deleted-perk': 1 });
  });
});

describe('reset window applied to invoices', () => {
  it('counts only invoices created since the last reset of a window that crossed a month end', () => {
    const start = Date.UTC(2025, 0, 31, 10) / 1000;
    const now = Date.UTC(2025, 2, 30) / 1000; // window Mar 28 10:00 → Apr 28 10:00
    const lastReset = Date.UTC(2025, 2, 28, 10) / 1000;
    const { mine } = both(app({ resetEvery: 'Month', startDate: start }), [
      invoice('before', 'Settled', 'None', { createdTime: lastReset - 1, pays: [{ value: '0.001', rate: '100000', at: lastReset }] }),
      invoice('at', 'Settled', 'None', { createdTime: lastReset, pays: [{ value: '0.002', rate: '100000', at: lastReset + 60 }] }),
      invoice('after', 'Processing', 'None', { createdTime: lastReset + 86400, pays: [{ value: '0.003', rate: '100000', status: 'Processing', at: lastReset + 86400 }] }),
    ], now);
    expect(mine.windowStart).toBe(lastReset);
    expect(mine.nextReset).toBe(Date.UTC(2025, 3, 28, 10) / 1000);
    expect(mine.settled).toBe('200');
    expect(mine.pending).toBe('300');
    expect(mine.contributors).toBe(2);
    expect(mine.windowInvoices).toBe(2);
  });

  it('without a reset, campaign dates do not filter invoices', () => {
    const { mine } = both(app({ startDate: T0 + 10_000, endDate: T0 + 20_000 }), [
      invoice('early', 'Settled', 'None', { pays: [{ value: '0.001', rate: '100000' }] }),
    ]);
    expect(mine.settled).toBe('100');
    expect(mine.windowStart).toBeNull();
  });
});

describe('targets, percentages and time', () => {
  it('has no percentages or remaining amount without a target', () => {
    const { mine } = both(app({ targetAmount: null }), workedExample());
    expect(mine.progressPercent).toBeNull();
    expect(mine.pendingProgressPercent).toBeNull();
    expect(mine.remaining).toBeNull();
  });

  it('rounds a non-terminating percentage the way .NET decimal does', () => {
    const { mine } = both(app({ targetAmount: 3 }), [invoice('one', 'Settled', 'Marked', { amount: '1' })]);
    // 1m / 3m = 0.3333333333333333333333333333 (28 places); × 100 overflows 96 bits at scale 28
    // and is rounded to scale 27: 33.333333333333333333333333330.
    expect(mine.progressPercent).toBe('33.33333333333333333333333333');
    const { mine: m2 } = both(app({ targetAmount: 3 }), [invoice('two', 'Settled', 'Marked', { amount: '2' })]);
    expect(m2.progressPercent).toBe('66.66666666666666666666666667');
  });

  it('rounds products beyond 28 decimal places half to even, as BTCPay does', () => {
    // 0.00000000001 BTC × 0.000000000000000005 = 5e-29: a tie at scale 28, rounded to even (0).
    // 3e-11 × 0.000000000000000005 = 1.5e-28: a tie, rounded up to the even 2e-28.
    const { mine } = both(app(), [
      invoice('tiny', 'Settled', 'None', {
        pays: [
          { value: '0.00000000001', rate: '0.000000000000000005', method: 'BTC-LN' },
          { value: '0.00000000003', rate: '0.000000000000000005', method: 'BTC-LNURL' },
        ],
      }),
    ]);
    expect(mine.settled).toBe('0.0000000000000000000000000002');
  });

  it('reports the campaign phase and the seconds left', () => {
    const a = toSettings(app({ startDate: 1000, endDate: 5000 }));
    expect(computeCrowdfundProgress(a, [], 500)).toMatchObject({ phase: 'upcoming', secondsLeft: 4500 });
    expect(computeCrowdfundProgress(a, [], 4000)).toMatchObject({ phase: 'active', secondsLeft: 1000 });
    expect(computeCrowdfundProgress(a, [], 6000)).toMatchObject({ phase: 'ended', secondsLeft: 0 });
    expect(computeCrowdfundProgress(toSettings(app()), [], 6000)).toMatchObject({ phase: 'active', secondsLeft: null });
  });
});
