import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InvoiceEventType } from '../../exporter/src/metrics/labels.js';
import { shouldApply, type StatusPair } from '../../exporter/src/store/invoice-status.js';
import { eventsAnnouncing, statusFromEvent } from '../../exporter/src/webhooks/event-status.js';

const S = (status: StatusPair['status'], additionalStatus = 'None'): StatusPair => ({ status, additionalStatus });

/** Applies events in order the way the receiver does, starting from the first reported status. */
function replay(types: InvoiceEventType[], flags: { manuallyMarked?: boolean } = {}): StatusPair | undefined {
  let cur: StatusPair | undefined;
  for (const type of types) {
    const next = statusFromEvent({ type, manuallyMarked: flags.manuallyMarked });
    if (!next) continue;
    if (cur === undefined || shouldApply(cur, next, flags.manuallyMarked === true)) cur = next;
  }
  return cur;
}

describe('status from events', () => {
  it('maps each invoice event to what BTCPay means by it', () => {
    expect(statusFromEvent({ type: 'InvoiceSettled', overPaid: true })).toEqual(S('Settled', 'PaidOver'));
    expect(statusFromEvent({ type: 'InvoiceSettled', manuallyMarked: true })).toEqual(S('Settled', 'Marked'));
    expect(statusFromEvent({ type: 'InvoiceExpired', partiallyPaid: true })).toEqual(S('Expired', 'PaidPartial'));
    expect(statusFromEvent({ type: 'InvoicePaidAfterExpiration' })).toEqual(S('Expired', 'PaidLate'));
    expect(statusFromEvent({ type: 'InvoiceInvalid' })).toEqual(S('Invalid'));
    expect(statusFromEvent({ type: 'InvoiceReceivedPayment' })).toBeUndefined();
    expect(statusFromEvent({ type: 'InvoiceRefund' })).toBeUndefined();
  });
});

describe('precedence', () => {
  it('never lets a late Processing or Created overwrite Settled or Invalid', () => {
    for (const final of [S('Settled'), S('Invalid')]) {
      expect(shouldApply(final, S('Processing'), false)).toBe(false);
      expect(shouldApply(final, S('New'), false)).toBe(false);
      expect(shouldApply(final, S('Expired'), false)).toBe(false);
    }
  });

  it('moves forward through the life of an invoice', () => {
    expect(shouldApply(S('New'), S('Processing'), false)).toBe(true);
    expect(shouldApply(S('Processing'), S('Settled'), false)).toBe(true);
    expect(shouldApply(S('Processing'), S('Invalid'), false)).toBe(true);
    expect(shouldApply(S('New'), S('Expired'), false)).toBe(true);
    expect(shouldApply(S('Expired'), S('Expired', 'PaidLate'), false)).toBe(true);
    expect(shouldApply(S('Expired', 'PaidLate'), S('Expired'), false)).toBe(false);
    expect(shouldApply(S('Expired', 'PaidPartial'), S('Expired'), false)).toBe(false);
  });

  it('lets an operator mark a final invoice as the other final status, and nothing else', () => {
    expect(shouldApply(S('Settled'), S('Invalid', 'Marked'), true)).toBe(true);
    expect(shouldApply(S('Invalid'), S('Settled', 'Marked'), true)).toBe(true);
    expect(shouldApply(S('Settled'), S('Invalid'), false)).toBe(false);
    expect(shouldApply(S('Settled'), S('Settled', 'Marked'), true)).toBe(false);
  });

  it('ends in the right status whatever order a lifecycle arrives in', () => {
    const lifecycles: Array<[InvoiceEventType[], StatusPair]> = [
      [['InvoiceCreated', 'InvoiceReceivedPayment', 'InvoiceProcessing', 'InvoicePaymentSettled', 'InvoiceSettled'], S('Settled')],
      [['InvoiceCreated', 'InvoiceReceivedPayment', 'InvoiceProcessing', 'InvoiceInvalid'], S('Invalid')],
      [['InvoiceCreated', 'InvoiceExpired', 'InvoiceReceivedPayment', 'InvoicePaidAfterExpiration'], S('Expired', 'PaidLate')],
      [['InvoiceCreated', 'InvoiceReceivedPayment', 'InvoiceExpiredPaidPartial', 'InvoiceExpired'], S('Expired', 'PaidPartial')],
      [['InvoiceCreated', 'InvoiceExpired'], S('Expired')],
    ];
    for (const [events, expected] of lifecycles) {
      fc.assert(
        fc.property(fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }), (order) => {
          // Redeliveries repeat events; repeat every event once more at the end.
          expect(replay([...order, ...order])).toEqual(expected);
        }),
        { numRuns: 200 },
      );
    }
  });
});

describe('which events announce a status (missed-webhook detection)', () => {
  it('expects the event BTCPay sends for each reachable status', () => {
    expect(eventsAnnouncing(S('Settled', 'PaidOver'))).toEqual(['InvoiceSettled']);
    expect(eventsAnnouncing(S('Processing'))).toEqual(['InvoiceProcessing']);
    expect(eventsAnnouncing(S('Expired', 'PaidLate'))).toEqual(['InvoicePaidAfterExpiration']);
    expect(eventsAnnouncing(S('Expired', 'PaidPartial'))).toContain('InvoiceExpiredPaidPartial');
    expect(eventsAnnouncing(S('New', 'PaidPartial'))).toEqual(['InvoiceReceivedPayment']);
  });

  it('expects nothing for a fall back to New, which BTCPay never announces', () => {
    expect(eventsAnnouncing(S('New'))).toEqual([]);
  });
});
