// BTCPay invoice figures per store, read from the running-total tables only (invoice_status_totals,
// store_totals, store_raised_amounts, store_payment_method_totals) and the store's rates
// (store_rates): a handful of rows per store, whatever the history size.
import { Gauge } from 'prom-client';
import type { Kysely } from 'kysely';
import { readInvoiceTotals, storesOf } from '../store/running-totals.js';
import { INVOICE_STATUSES, type Database } from '../store/schema.js';
import { readStoreRates } from '../store/store-rates.js';
import type { Collector, PromRegistry } from './registry.js';

/** Name, HELP and labels of each gauge, shared with the history command (exporter/src/history/). */
export const BTCPAY_METRICS = {
  invoices: {
    name: 'btcpay_invoices',
    help: 'BTCPay invoices per store and status (archived invoices included).',
    labelNames: ['store', 'status'] as const,
  },
  raisedSats: {
    name: 'btcpay_raised_sats',
    help: 'BTC received by invoices that count as raised (Settled, or Expired and PaidLate), in satoshis.',
    labelNames: ['store'] as const,
  },
  contributions: {
    name: 'btcpay_contributions',
    help: 'Number of invoices that count as raised (Settled, or Expired and PaidLate).',
    labelNames: ['store'] as const,
  },
  raisedAmount: {
    name: 'btcpay_raised_amount',
    help: 'Sum of the prices of raised invoices, per price currency.',
    labelNames: ['store', 'currency'] as const,
  },
  lastCreated: {
    name: 'btcpay_last_invoice_created_timestamp_seconds',
    help: 'Creation time of the newest invoice seen for the store; 0 before the first one.',
    labelNames: ['store'] as const,
  },
  methodRaisedSats: {
    name: 'btcpay_payment_method_raised_sats',
    help: 'btcpay_raised_sats split by the BTCPay payment method the sats arrived through (BTC-CHAIN, BTC-LN, BTC-LNURL, ...).',
    labelNames: ['store', 'payment_method'] as const,
  },
  storeRate: {
    name: 'btcpay_store_rate',
    help: "The store's current rate for each of its default currency pairs (quote currency per BTC for BTC_XXX), as BTCPay's rate rules give it.",
    labelNames: ['store', 'currency_pair'] as const,
  },
} as const;

export class BtcpayCollector implements Collector {
  readonly name = 'btcpay';
  private readonly invoices: Gauge<'store' | 'status'>;
  private readonly raisedSats: Gauge<'store'>;
  private readonly contributions: Gauge<'store'>;
  private readonly raisedAmount: Gauge<'store' | 'currency'>;
  private readonly lastCreated: Gauge<'store'>;
  private readonly methodRaisedSats: Gauge<'store' | 'payment_method'>;
  private readonly storeRate: Gauge<'store' | 'currency_pair'>;

  constructor(
    registry: PromRegistry,
    private readonly db: Kysely<Database>,
  ) {
    const m = BTCPAY_METRICS;
    this.invoices = new Gauge({ ...m.invoices, registers: [registry] });
    this.raisedSats = new Gauge({ ...m.raisedSats, registers: [registry] });
    this.contributions = new Gauge({ ...m.contributions, registers: [registry] });
    this.raisedAmount = new Gauge({ ...m.raisedAmount, registers: [registry] });
    this.lastCreated = new Gauge({ ...m.lastCreated, registers: [registry] });
    this.methodRaisedSats = new Gauge({ ...m.methodRaisedSats, registers: [registry] });
    this.storeRate = new Gauge({ ...m.storeRate, registers: [registry] });
  }

  async collect(): Promise<void> {
    const [read, rates] = await Promise.all([readInvoiceTotals(this.db), readStoreRates(this.db)]);
    const { stores: totals, statuses: statusRows, amounts, methods } = read;
    this.invoices.reset();
    this.raisedSats.reset();
    this.contributions.reset();
    this.raisedAmount.reset();
    this.lastCreated.reset();
    this.methodRaisedSats.reset();
    this.storeRate.reset();
    for (const store of storesOf(read)) {
      for (const status of INVOICE_STATUSES) this.invoices.set({ store, status }, 0);
    }
    for (const r of statusRows) this.invoices.set({ store: r.store_id, status: r.status }, r.invoices);
    for (const t of totals) {
      this.raisedSats.set({ store: t.store_id }, t.raised_sats);
      this.contributions.set({ store: t.store_id }, t.contributions);
      this.lastCreated.set({ store: t.store_id }, t.last_invoice_created ?? 0);
    }
    // A float of the exact decimal is what the exposition format can carry; the exact value stays in the database.
    for (const a of amounts) this.raisedAmount.set({ store: a.store_id, currency: a.currency }, Number(a.amount));
    for (const r of methods) this.methodRaisedSats.set({ store: r.store_id, payment_method: r.payment_method }, r.raised_sats);
    // A rate is a float by nature (not money); the decimal string stays in the database.
    for (const r of rates) this.storeRate.set({ store: r.storeId, currency_pair: r.currencyPair }, Number(r.rate));
  }
}
