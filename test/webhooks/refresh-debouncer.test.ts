// Targeted fetch after verified invoice events: debounced per store, coalescing bursts.
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWebhookReceiver } from '../../exporter/src/webhooks/receiver.js';
import { createRefreshDebouncer } from '../../exporter/src/webhooks/refresh-debouncer.js';
import { signBody } from '../../exporter/src/webhooks/signature.js';
import { openTestDb } from '../helpers/db.js';
import { btcpayBytes, FACTS_SECRET, invoiceEvent } from './fixtures.js';

const log = pino({ level: 'silent' });

describe('refresh debouncer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('coalesces a burst into one call per store after the delay', () => {
    vi.useFakeTimers();
    const calls: Array<[string, string[]]> = [];
    const d = createRefreshDebouncer({ log, delayMs: 2000, refreshInvoices: (s, ids) => void calls.push([s, ids]) });
    d.schedule('s1', 'a');
    d.schedule('s1', 'b');
    d.schedule('s1', 'a');
    d.schedule('s2', 'c');
    vi.advanceTimersByTime(1999);
    expect(calls).toEqual([]);
    // Asks during the window do not push the flush back.
    d.schedule('s1', 'd');
    vi.advanceTimersByTime(1);
    expect(calls).toEqual([
      ['s1', ['a', 'b', 'd']],
      ['s2', ['c']],
    ]);
    d.schedule('s1', 'a');
    vi.advanceTimersByTime(2000);
    expect(calls).toHaveLength(3);
    d.close();
  });

  it('flushes early at the batch size, survives a failing callback, and drops work on close', async () => {
    vi.useFakeTimers();
    const calls: string[][] = [];
    const d = createRefreshDebouncer({
      log,
      delayMs: 2000,
      maxBatch: 2,
      refreshInvoices: (_s, ids) => {
        calls.push(ids);
        throw new Error('API down');
      },
    });
    d.schedule('s', 'a');
    d.schedule('s', 'b');
    expect(calls).toEqual([['a', 'b']]);
    d.schedule('s', 'c');
    d.close();
    vi.advanceTimersByTime(5000);
    expect(calls).toHaveLength(1);
    expect(d.pending().size).toBe(0);
  });
});

describe('receiver → targeted fetch', () => {
  it('asks once for the invoices of accepted invoice events, never for duplicates or ignored ones', async () => {
    const { db, sqlite } = await openTestDb();
    const STORE = 'RefreshStore111111111111111111111111111111111';
    const calls: Array<[string, string[]]> = [];
    let done!: () => void;
    const flushed = new Promise<void>((r) => (done = r));
    const receiver = createWebhookReceiver({
      db,
      sqlite,
      log,
      secret: FACTS_SECRET,
      storeIds: () => [STORE],
      // The window must outlast the five deliveries below; each waits for its WAL fdatasync, which
      // no longer blocks the event loop (so the timer runs meanwhile) and can take 100+ ms on a busy disk.
      refreshDelayMs: 1000,
      refreshInvoices: (storeId, ids) => {
        calls.push([storeId, ids]);
        done();
      },
    });
    const receive = (ev: Record<string, unknown>) => {
      const bytes = btcpayBytes(ev);
      return receiver.receive(bytes, signBody(bytes, FACTS_SECRET));
    };
    const first = invoiceEvent({ type: 'InvoiceReceivedPayment', storeId: STORE, invoiceId: 'inv-1', extra: { afterExpiration: false } });
    expect((await receive(first)).result).toBe('accepted');
    expect((await receive(first)).result).toBe('duplicate');
    expect((await receive(invoiceEvent({ type: 'InvoiceProcessing', storeId: STORE, invoiceId: 'inv-1' }))).result).toBe('accepted');
    expect((await receive(invoiceEvent({ type: 'InvoiceCreated', storeId: STORE, invoiceId: 'inv-2' }))).result).toBe('accepted');
    expect((await receive(invoiceEvent({ type: 'PayoutCreated', storeId: STORE }))).result).toBe('ignored');
    await flushed;
    expect(calls).toEqual([[STORE, ['inv-1', 'inv-2']]]);
    await receiver.close();
  });
});
