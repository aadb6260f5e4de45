// The history file from a database written through the store's own write paths: the raise-time
// rule case by case, the OpenMetrics shape promtool needs, step alignment, --from, and the last
// sample equal to what the live collector exports.
import { PassThrough, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PaymentMethodSchema, type PaymentMethod } from '../../exporter/src/sources/btcpay/greenfield-schemas.js';
import { createInvoiceWriter, ensureStoreTotals, type InvoiceRecord } from '../../exporter/src/store/invoices.js';
import { openDatabase, type DatabaseHandle } from '../../exporter/src/store/connection.js';
import { migrateToLatest } from '../../exporter/src/store/migrator.js';
import { historyRange, writeHistory, type HistoryOptions } from '../../exporter/src/history/history.js';
import { BufferedWriter } from '../../exporter/src/history/openmetrics.js';
import { BTCPAY_METRICS } from '../../exporter/src/metrics/btcpay-collector.js';
import { tempDbPath } from '../helpers/tmp.js';

const H = 3600;
const T0 = 1_699_999_200; // a multiple of 3600 (17:00 UTC)
const NOW = T0 + 30 * H;

let h: DatabaseHandle;
beforeEach(async () => {
  h = openDatabase(tempDbPath());
  await migrateToLatest(h.db);
});
afterEach(() => h.close());

function rec(id: string, o: Partial<InvoiceRecord> & Pick<InvoiceRecord, 'status' | 'createdTime'>): InvoiceRecord {
  return {
    id,
    storeId: 'S1',
    additionalStatus: 'None',
    currency: 'USD',
    amount: '10',
    btcPaidSats: 0,
    expirationTime: o.createdTime + 900,
    monitoringExpiration: o.createdTime + 86400,
    archived: false,
    orderId: null,
    itemCode: null,
    amountsSynced: true,
    statusSource: 'sync',
    ...o,
  };
}

type Pay = { method: 'BTC-CHAIN' | 'BTC-LN'; at: number; value: string; status?: 'Settled' | 'Processing' | 'Invalid' };

async function put(r: InvoiceRecord, payments: Pay[] = []): Promise<void> {
  const methods: PaymentMethod[] = (['BTC-CHAIN', 'BTC-LN'] as const)
    .filter((m) => payments.some((p) => p.method === m))
    .map((m) =>
      PaymentMethodSchema.parse({
        paymentMethodId: m,
        currency: 'BTC',
        rate: '50000',
        amount: '0.0002',
        paymentMethodPaid: '0',
        paymentMethodFee: '0',
        payments: payments
          .filter((p) => p.method === m)
          .map((p, i) => ({ id: `${r.id}-${m}-${i}`, receivedDate: p.at, value: p.value, fee: '0', status: p.status ?? 'Settled', destination: 'x' })),
      }),
    );
  const writer = createInvoiceWriter(h.sqlite);
  h.sqlite.transaction(() => {
    writer.upsert(r, NOW);
    writer.replacePayments([{ invoiceId: r.id, methods }]);
  })();
}

async function seed(): Promise<void> {
  // Two payments an hour apart: raised from the later one.
  await put(rec('A', { status: 'Settled', createdTime: T0 + 100, btcPaidSats: 1_000, amount: '10' }), [
    { method: 'BTC-CHAIN', at: T0 + 200, value: '0.00000500' },
    { method: 'BTC-LN', at: T0 + H + 100, value: '0.00000500' },
  ]);
  // Marked settled without payments: from its creation.
  await put(rec('B', { status: 'Settled', additionalStatus: 'Marked', createdTime: T0 + 2 * H + 100, currency: 'EUR', amount: '5.5' }));
  // Paid late, hours after its (earlier) creation.
  await put(rec('C', { status: 'Expired', additionalStatus: 'PaidLate', createdTime: T0 + 50, btcPaidSats: 3_000, amount: '20.25' }), [
    { method: 'BTC-CHAIN', at: T0 + 3 * H, value: '0.00003000' },
  ]);
  // Not raised: Invalid with a payment, and Expired partially paid.
  await put(rec('D', { status: 'Invalid', createdTime: T0 + 10, btcPaidSats: 7_000 }), [{ method: 'BTC-CHAIN', at: T0 + 20, value: '0.00007' }]);
  await put(rec('E', { status: 'Expired', additionalStatus: 'PaidPartial', createdTime: T0 + 10, btcPaidSats: 70 }), [{ method: 'BTC-CHAIN', at: T0 + 20, value: '0.0000007' }]);
  // A top-up without an amount: sats and a contribution, no amount.
  await put(rec('F', { status: 'Settled', createdTime: T0 + 4 * H + 1, btcPaidSats: 500, amount: null }), [{ method: 'BTC-LN', at: T0 + 4 * H + 2, value: '0.000005' }]);
  // An Invalid payment after the accounted one does not move the raise time.
  await put(rec('G', { status: 'Settled', createdTime: T0 + 5 * H + 10, btcPaidSats: 200, amount: '0.1' }), [
    { method: 'BTC-CHAIN', at: T0 + 5 * H + 20, value: '0.000002' },
    { method: 'BTC-CHAIN', at: T0 + 9 * H, value: '0.000002', status: 'Invalid' },
  ]);
  // A second store with nothing raised yet: exported with zeros, like the live collector does.
  await ensureStoreTotals(h.db, 'S2');
  await put(rec('Z', { storeId: 'S2', status: 'New', createdTime: T0 + 6 * H + 5 }));
}

interface Parsed {
  lines: string[];
  series: Map<string, Array<[number, string]>>;
}

function parse(text: string): Parsed {
  const lines = text.split('\n');
  expect(lines.pop()).toBe(''); // ends with a newline
  const series = new Map<string, Array<[number, string]>>();
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    const m = /^(\S+) (\S+) (\d+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const list = series.get(m[1]!) ?? [];
    list.push([Number(m[3]), m[2]!]);
    series.set(m[1]!, list);
  }
  return { lines, series };
}

async function history(opts: Partial<HistoryOptions> = {}) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  const w = new BufferedWriter(out, 256); // small chunks: many flushes
  const summary = await writeHistory(h.sqlite, w, { step: H, until: T0 + 10 * H, job: 'j', instance: 'i:1', ...opts });
  await w.end();
  return { summary, text, ...parse(text) };
}

const key = (name: string, labels: string) => `${name}{${labels},job="j",instance="i:1"}`;
const values = (p: Parsed, k: string) => (p.series.get(k) ?? []).map(([, v]) => Number(v));

describe('history file', () => {
  beforeEach(seed);

  it('counts each raised invoice from its raise time, with the live figures per invoice', async () => {
    const p = await history();
    // Boundaries T0 … T0+10h; the earliest invoice (D, T0+10) puts the first one at T0+1h.
    const sats = p.series.get(key('btcpay_raised_sats', 'store="S1"'))!;
    expect(sats.map(([t]) => t)).toEqual(Array.from({ length: 10 }, (_, i) => T0 + (i + 1) * H));
    // 2h: A (its second payment); 3h: B (created 2h+100) and C (paid late at 3h, a boundary counts
    // what was raised at it); 5h: F; 6h: G (its later Invalid payment does not count).
    expect(values(p, key('btcpay_raised_sats', 'store="S1"'))).toEqual([0, 1000, 4000, 4000, 4500, 4700, 4700, 4700, 4700, 4700]);
    expect(values(p, key('btcpay_contributions', 'store="S1"'))).toEqual([0, 1, 3, 3, 4, 5, 5, 5, 5, 5]);
    // Amounts per currency appear with their first raised invoice (as the live series does).
    expect(p.series.get(key('btcpay_raised_amount', 'store="S1",currency="USD"'))).toEqual([
      [T0 + 2 * H, '10'],
      [T0 + 3 * H, '30.25'],
      [T0 + 4 * H, '30.25'],
      [T0 + 5 * H, '30.25'],
      ...[6, 7, 8, 9, 10].map((i): [number, string] => [T0 + i * H, '30.35']),
    ]);
    expect(p.series.get(key('btcpay_raised_amount', 'store="S1",currency="EUR"'))![0]).toEqual([T0 + 3 * H, '5.5']);
    // Creation times are history we know exactly.
    expect(values(p, key('btcpay_last_invoice_created_timestamp_seconds', 'store="S1"')).slice(0, 3)).toEqual([T0 + 100, T0 + 100, T0 + 2 * H + 100]);
    // The store with nothing raised: zeros, one series from the first boundary.
    expect(values(p, key('btcpay_raised_sats', 'store="S2"'))).toEqual(Array(10).fill(0));
    expect(values(p, key('btcpay_last_invoice_created_timestamp_seconds', 'store="S2"')).slice(5, 8)).toEqual([0, T0 + 6 * H + 5, T0 + 6 * H + 5]);
  });

  it('ends on what the live collector exports now (the running totals)', async () => {
    const p = await history({ until: NOW });
    const totals = await h.db.selectFrom('store_totals').selectAll().execute();
    for (const t of totals) {
      expect(values(p, key('btcpay_raised_sats', `store="${t.store_id}"`)).at(-1)).toBe(t.raised_sats);
      expect(values(p, key('btcpay_contributions', `store="${t.store_id}"`)).at(-1)).toBe(t.contributions);
    }
    for (const a of await h.db.selectFrom('store_raised_amounts').selectAll().execute()) {
      expect(values(p, key('btcpay_raised_amount', `store="${a.store_id}",currency="${a.currency}"`)).at(-1)).toBe(Number(a.amount));
    }
  });

  it('is OpenMetrics as promtool reads it: families once each with the live HELP and TYPE, series contiguous, # EOF last', async () => {
    const p = await history();
    expect(p.lines.at(-1)).toBe('# EOF');
    expect(p.lines.filter((l) => l === '# EOF')).toHaveLength(1);
    const families = [BTCPAY_METRICS.raisedSats, BTCPAY_METRICS.contributions, BTCPAY_METRICS.raisedAmount, BTCPAY_METRICS.lastCreated];
    const headers = p.lines.filter((l) => l.startsWith('# HELP') || l.startsWith('# TYPE'));
    expect(headers).toEqual(families.flatMap((f) => [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} gauge`]));
    // Each series' samples are in one run, in time order; a family's samples follow its header.
    const runs: string[] = [];
    let family = '';
    for (const line of p.lines) {
      if (line.startsWith('# TYPE ')) family = line.split(' ')[2]!;
      if (line.startsWith('#')) continue;
      const name = line.slice(0, line.indexOf(' '));
      expect(name.startsWith(`${family}{`)).toBe(true);
      if (runs.at(-1) !== name) runs.push(name);
    }
    expect(new Set(runs).size).toBe(runs.length);
    for (const list of p.series.values()) expect(list.map(([t]) => t)).toEqual([...list.map(([t]) => t)].sort((a, b) => a - b));
  });

  it('puts samples on multiples of the step since the epoch, from --from (values still count earlier invoices) to --until, both inclusive', async () => {
    const p = await history({ from: T0 + 3 * H, until: T0 + 6 * H });
    expect(p.series.get(key('btcpay_raised_sats', 'store="S1"'))).toEqual([
      [T0 + 3 * H, '4000'],
      [T0 + 4 * H, '4000'],
      [T0 + 5 * H, '4500'],
      [T0 + 6 * H, '4700'],
    ]);
    const daily = await history({ step: 86400, until: T0 + 30 * H });
    for (const list of daily.series.values()) for (const [t] of list) expect(t % 86400).toBe(0);
    const quarter = await history({ step: 900, from: T0 + H + 1, until: T0 + H + 1800 });
    expect(quarter.series.get(key('btcpay_raised_sats', 'store="S1"'))!.map(([t]) => t - T0)).toEqual([H + 900, H + 1800]);
  });

  it('writes only # EOF when no step boundary lies in the range', async () => {
    const p = await history({ from: T0 + H + 1, until: T0 + 2 * H - 1 });
    expect(p.text).toBe('# EOF\n');
    expect(p.summary.empty).toBe('no-steps');
  });
});

describe('history range and output', () => {
  it('an empty database gives only # EOF', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const w = new BufferedWriter(out);
    const summary = await writeHistory(h.sqlite, w, { step: H, until: NOW, job: 'j', instance: 'i' });
    await w.end();
    expect(text).toBe('# EOF\n');
    expect(summary).toMatchObject({ empty: 'no-invoices', series: 0, samples: 0 });
  });

  it('historyRange starts at the first boundary at or after the first invoice', () => {
    expect(historyRange(T0, { step: H, until: T0 })).toEqual({ start: T0, end: T0, step: H });
    expect(historyRange(T0 + 1, { step: H, until: T0 + 2 * H - 1 })).toEqual({ start: T0 + H, end: T0 + H, step: H });
    expect(historyRange(T0 + 1, { step: H, until: T0 + H - 1 })).toBeUndefined();
  });

  it('waits for a slow destination instead of buffering everything (backpressure)', async () => {
    let maxQueued = 0;
    let received = '';
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _enc, cb) {
        received += chunk.toString();
        setTimeout(cb, 1);
      },
    });
    const w = new BufferedWriter(slow, 512);
    let expected = '';
    for (let i = 0; i < 2000; i++) {
      const line = `line ${i} ${'x'.repeat(40)}\n`;
      expected += line;
      await w.write(line);
      maxQueued = Math.max(maxQueued, slow.writableLength);
    }
    await w.end();
    expect(received).toBe(expected);
    // Never more than about one chunk beyond the stream's own buffer.
    expect(maxQueued).toBeLessThan(1024 + 2 * 600);
  });
});
