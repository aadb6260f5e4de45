import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addMonthsUtc, resetWindow } from '../../../../exporter/src/sources/btcpay/crowdfund/reset-window.js';
import type { ResetEvery } from '../../../../exporter/src/sources/btcpay/crowdfund/settings.js';
import { referenceCrowdfundProgress } from '../../../../exporter/src/demo/btcpay-simulator/crowdfund-reference.js';

const utc = (iso: string) => Date.parse(iso) / 1000;
const iso = (unix: number) => new Date(unix * 1000).toISOString();

describe('.NET AddMonths semantics', () => {
  it('clamps to the last day of a shorter month, keeping the time of day', () => {
    expect(iso(addMonthsUtc(utc('2025-01-31T10:30:15Z'), 1))).toBe('2025-02-28T10:30:15.000Z');
    expect(iso(addMonthsUtc(utc('2024-01-31T10:30:15Z'), 1))).toBe('2024-02-29T10:30:15.000Z');
    expect(iso(addMonthsUtc(utc('2025-03-31T00:00:00Z'), 1))).toBe('2025-04-30T00:00:00.000Z');
    expect(iso(addMonthsUtc(utc('2024-02-29T23:59:59Z'), 12))).toBe('2025-02-28T23:59:59.000Z');
    expect(iso(addMonthsUtc(utc('2025-11-30T12:00:00Z'), 3))).toBe('2026-02-28T12:00:00.000Z');
  });
});

describe('reset window (CROWDFUND.md c2)', () => {
  const settings = (resetEvery: ResetEvery, startDate: number | null, resetEveryAmount = 1) => ({
    resetEvery,
    startDate,
    resetEveryAmount,
  });

  it('has no window when the goal never resets or has no start date', () => {
    expect(resetWindow(settings('Never', utc('2025-01-01T00:00:00Z')), utc('2025-06-01T00:00:00Z'))).toBeNull();
    expect(resetWindow(settings('Month', null), utc('2025-06-01T00:00:00Z'))).toBeNull();
    // BTCPay would loop forever on 0; we refuse to reset instead of hanging.
    expect(resetWindow(settings('Day', utc('2025-01-01T00:00:00Z'), 0), utc('2025-06-01T00:00:00Z'))).toBeNull();
  });

  it('starts and ends at startDate before the campaign starts', () => {
    const start = utc('2025-06-01T00:00:00Z');
    expect(resetWindow(settings('Day', start), start - 1)).toEqual({ start, next: start });
  });

  it('resets exactly at a boundary (now >= next moves the window)', () => {
    const start = utc('2025-06-01T00:00:00Z');
    expect(resetWindow(settings('Day', start), start)).toEqual({ start, next: start + 86400 });
    expect(resetWindow(settings('Day', start), start + 86400 - 1)).toEqual({ start, next: start + 86400 });
    expect(resetWindow(settings('Day', start), start + 86400)).toEqual({ start: start + 86400, next: start + 2 * 86400 });
    expect(resetWindow(settings('Hour', start, 6), start + 13 * 3600)).toEqual({
      start: start + 12 * 3600,
      next: start + 18 * 3600,
    });
  });

  it('drifts Jan 31 → Feb 28 → Mar 28 for monthly resets, crossing month ends', () => {
    const start = utc('2025-01-31T10:00:00Z');
    const w1 = resetWindow(settings('Month', start), utc('2025-02-15T00:00:00Z'))!;
    expect([iso(w1.start), iso(w1.next)]).toEqual(['2025-01-31T10:00:00.000Z', '2025-02-28T10:00:00.000Z']);
    const w2 = resetWindow(settings('Month', start), utc('2025-03-30T00:00:00Z'))!;
    // Not Mar 31: each boundary adds a month to the previous (clamped) one.
    expect([iso(w2.start), iso(w2.next)]).toEqual(['2025-03-28T10:00:00.000Z', '2025-04-28T10:00:00.000Z']);
    const w3 = resetWindow(settings('Month', start, 2), utc('2025-05-01T00:00:00Z'))!;
    expect([iso(w3.start), iso(w3.next)]).toEqual(['2025-03-31T10:00:00.000Z', '2025-05-31T10:00:00.000Z']);
  });

  it('steps years from Feb 29 to Feb 28 and stays there', () => {
    const start = utc('2024-02-29T00:00:00Z');
    const w = resetWindow(settings('Year', start), utc('2028-03-01T00:00:00Z'))!;
    expect([iso(w.start), iso(w.next)]).toEqual(['2028-02-28T00:00:00.000Z', '2029-02-28T00:00:00.000Z']);
  });

  it('agrees with the simulator reference (BTCPay loop) on random settings', () => {
    const unit = fc.constantFrom<ResetEvery>('Hour', 'Day', 'Month', 'Year');
    // 2020..2030, often on a 28th–31st to hit clamping.
    const start = fc.oneof(
      fc.integer({ min: utc('2020-01-01T00:00:00Z'), max: utc('2030-01-01T00:00:00Z') }),
      fc
        .record({ y: fc.integer({ min: 2020, max: 2029 }), m: fc.integer({ min: 0, max: 11 }), d: fc.integer({ min: 28, max: 31 }), s: fc.integer({ min: 0, max: 86399 }) })
        .map(({ y, m, d, s }) => Date.UTC(y, m, Math.min(d, new Date(Date.UTC(y, m + 1, 0)).getUTCDate())) / 1000 + s),
    );
    fc.assert(
      fc.property(unit, fc.integer({ min: 1, max: 5 }), start, fc.integer({ min: -86400 * 40, max: 86400 * 365 * 3 }), (u, n, s, offset) => {
        const now = s + offset;
        const mine = resetWindow({ resetEvery: u, resetEveryAmount: n, startDate: s }, now);
        const ref = referenceCrowdfundProgress(
          { id: 'a', targetCurrency: 'USD', targetAmount: null, enforceTargetAmount: false, startDate: s, endDate: null, resetEvery: u, resetEveryAmount: n, perks: [] },
          [],
          { now },
        );
        expect(mine).toEqual({ start: ref.lastResetDate, next: ref.nextResetDate });
        expect(mine!.start <= Math.max(now, s)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
