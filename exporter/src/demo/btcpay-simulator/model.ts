// The simulated BTCPay data: stores, invoices, payment methods and payments, and the invoice
// lifecycle of BTCPay's InvoiceWatcher (FACTS.md d): New → Processing → Settled, expiry to
// Expired (None / PaidPartial / PaidLate), Invalid when confirmations miss the monitoring window,
// manual marking, archiving. Every state change emits the webhook event BTCPay would emit.
import { Decimal } from '../../money.js';
import { ceilToSat, formatBtc, msatsToFiat, priceToMsats } from './btc-amounts.js';
import type { SimClock } from './clock.js';
import type { Rng } from './rng.js';

export type SimStatus = 'New' | 'Processing' | 'Settled' | 'Expired' | 'Invalid';
export const SIM_STATUSES: readonly SimStatus[] = ['New', 'Processing', 'Settled', 'Expired', 'Invalid'];
export type SimMethodId = 'BTC-CHAIN' | 'BTC-LN' | 'BTC-LNURL';
/** Lightning methods: BOLT11 invoices and LNURL-pay settle at once. */
export const isLightning = (id: SimMethodId): boolean => id !== 'BTC-CHAIN';
export type SimPaymentStatus = 'Processing' | 'Settled' | 'Invalid';

export interface SimStore {
  id: string;
  name: string;
  defaultCurrency: string;
  /** The payment methods new invoices offer (default BTC-CHAIN and BTC-LN). */
  paymentMethods: SimMethodId[];
  /** What GET /stores/{id}/rates answers without currencyPair (default BTC_<defaultCurrency>). */
  defaultCurrencyPairs: string[];
  /** Invoices sorted by createdTime ascending (ties in creation order). */
  invoices: SimInvoice[];
}

export interface SimPaymentMethod {
  id: SimMethodId;
  currency: 'BTC';
  /** Invoice-currency units per BTC, locked at creation. */
  rate: string;
  /** Due through this method, fee included, whole sats (in msats). */
  amountMsats: bigint;
  feeMsats: bigint;
  destination: string;
}

export interface SimPayment {
  id: string;
  methodId: SimMethodId;
  receivedDate: number;
  valueMsats: bigint;
  feeMsats: bigint;
  status: SimPaymentStatus;
  destination: string;
}

export interface SimInvoice {
  id: string;
  storeId: string;
  createdTime: number;
  expirationTime: number;
  monitoringExpiration: number;
  status: SimStatus;
  additionalStatus: string;
  currency: string;
  /** Price as a decimal string in `currency`. */
  amount: string;
  type: 'Standard' | 'TopUp';
  archived: boolean;
  metadata: Record<string, unknown>;
  additionalSearchTerms: string[];
  speedPolicy: string;
  expirationMinutes: number;
  monitoringMinutes: number;
  methods: SimPaymentMethod[];
  payments: SimPayment[];
}

/** A webhook event before delivery: `extra` holds the event-specific fields in BTCPay's key order. */
export interface SimEvent {
  type: string;
  storeId: string;
  invoice: SimInvoice;
  extra: Record<string, unknown>;
  timestamp: number;
}

export interface CreateInvoiceInput {
  amount: string;
  currency?: string;
  /** Defaults to the clock. Invoices may be created in the past (history). */
  createdTime?: number;
  expirationMinutes?: number;
  monitoringMinutes?: number;
  metadata?: Record<string, unknown>;
  additionalSearchTerms?: string[];
  methods?: SimMethodId[];
  /** Invoice-currency units per BTC; a plausible rate is chosen when omitted. */
  rate?: string;
  /** On-chain payment-method fee in sats, added to the on-chain amount (default 0). */
  onchainFeeSats?: number;
  speedPolicy?: string;
}

export interface AddStoreInput {
  id?: string;
  name?: string;
  defaultCurrency?: string;
  paymentMethods?: SimMethodId[];
  defaultCurrencyPairs?: string[];
}

export interface PayInput {
  method?: SimMethodId;
  /** Exact value in BTC ("0.00012345", up to 11 decimals). Default: what is still due. */
  btc?: string;
  /** Alternative to `btc`: this fraction of what is due through the method. */
  fraction?: number;
  /** Extra millisatoshis on top (Lightning payers' rounding). */
  extraMsats?: bigint;
  /** On-chain payments start Processing unless confirmed; Lightning payments are settled at once. */
  confirmed?: boolean;
  at?: number;
}

export interface GroundTruth {
  counts: Record<SimStatus, number>;
  raisedSats: number;
  /** raisedSats by payment method (each method's accounted payments rounded up to a sat). */
  raisedSatsByMethod: Record<string, number>;
  contributions: number;
  /** Exact sum of the raised invoices' prices per currency (plain decimal strings). */
  raisedAmounts: Record<string, string>;
  lastCreated: number | null;
  invoices: number;
}

const DEFAULT_RATES: Record<string, [number, number]> = { USD: [60000, 100000], EUR: [55000, 92000] };

export class SimModel {
  readonly stores = new Map<string, SimStore>();
  readonly invoices = new Map<string, SimInvoice>();
  /** New and Processing invoices: the only ones time can change. */
  private readonly open = new Set<SimInvoice>();
  private listener: ((e: SimEvent) => void) | undefined;

  constructor(
    readonly clock: SimClock,
    readonly rng: Rng,
  ) {}

  onEvent(listener: (e: SimEvent) => void): void {
    this.listener = listener;
  }

  addStore(input: AddStoreInput = {}): SimStore {
    const defaultCurrency = input.defaultCurrency ?? 'USD';
    const store: SimStore = {
      id: input.id ?? this.rng.base58(32),
      name: input.name ?? `Store ${this.stores.size + 1}`,
      defaultCurrency,
      paymentMethods: input.paymentMethods ?? ['BTC-CHAIN', 'BTC-LN'],
      defaultCurrencyPairs: input.defaultCurrencyPairs ?? [`BTC_${defaultCurrency.toUpperCase()}`],
      invoices: [],
    };
    this.stores.set(store.id, store);
    return store;
  }

  store(storeId: string): SimStore {
    const s = this.stores.get(storeId);
    if (!s) throw new Error(`simulator: unknown store ${storeId}`);
    return s;
  }

  invoice(invoiceId: string): SimInvoice {
    const inv = this.invoices.get(invoiceId);
    if (!inv) throw new Error(`simulator: unknown invoice ${invoiceId}`);
    return inv;
  }

  createInvoice(storeId: string, input: CreateInvoiceInput): SimInvoice {
    const store = this.store(storeId);
    const created = input.createdTime ?? this.clock.now();
    const currency = (input.currency ?? store.defaultCurrency).toUpperCase();
    const expirationMinutes = input.expirationMinutes ?? 15;
    const monitoringMinutes = input.monitoringMinutes ?? 1440;
    const rate = input.rate ?? this.plausibleRate(currency);
    const baseMsats = priceToMsats(input.amount, rate);
    const methods: SimPaymentMethod[] = (input.methods ?? store.paymentMethods).map((id) => {
      const feeMsats = id === 'BTC-CHAIN' ? BigInt(input.onchainFeeSats ?? 0) * 1000n : 0n;
      return {
        id,
        currency: 'BTC',
        rate,
        amountMsats: baseMsats + feeMsats,
        feeMsats,
        destination:
          id === 'BTC-CHAIN'
            ? `bc1q${this.rng.base58(20).toLowerCase().slice(0, 38)}`
            : id === 'BTC-LN'
              ? `lnbc${this.rng.hex(40)}`
              : // LNURL-pay: the store's static pay link (no random draw, so offering it leaves the seeded stream alone).
                `lnurl1dp68gurn8ghj7${storeId.slice(0, 12).toLowerCase()}`,
      };
    });
    const inv: SimInvoice = {
      id: this.rng.base58(16),
      storeId,
      createdTime: created,
      expirationTime: created + expirationMinutes * 60,
      monitoringExpiration: created + expirationMinutes * 60 + monitoringMinutes * 60,
      status: 'New',
      additionalStatus: 'None',
      currency,
      amount: input.amount,
      type: 'Standard',
      archived: false,
      metadata: { ...(input.metadata ?? {}) },
      additionalSearchTerms: [...(input.additionalSearchTerms ?? [])],
      speedPolicy: input.speedPolicy ?? 'MediumSpeed',
      expirationMinutes,
      monitoringMinutes,
      methods,
      payments: [],
    };
    this.insertSorted(store, inv);
    this.invoices.set(inv.id, inv);
    this.open.add(inv);
    this.emit(inv, 'InvoiceCreated', {}, created);
    return inv;
  }

  /** Applies what time alone does to one invoice up to `at` (expiry, end of monitoring). */
  advanceInvoice(inv: SimInvoice, at: number): void {
    if (inv.status === 'New' && at >= inv.expirationTime) {
      const partial = this.accountedMsats(inv) > 0n;
      inv.status = 'Expired';
      inv.additionalStatus = partial ? 'PaidPartial' : 'None';
      this.open.delete(inv);
      this.emit(inv, 'InvoiceExpired', { partiallyPaid: partial }, inv.expirationTime);
      if (partial) this.emit(inv, 'InvoiceExpiredPaidPartial', {}, inv.expirationTime);
    } else if (inv.status === 'Processing' && at >= inv.monitoringExpiration) {
      inv.status = 'Invalid';
      inv.additionalStatus = 'None';
      this.open.delete(inv);
      this.emit(inv, 'InvoiceInvalid', { manuallyMarked: false }, inv.monitoringExpiration);
    }
  }

  /** Brings every open invoice up to `at` (defaults to the clock). */
  tick(at: number = this.clock.now()): void {
    for (const inv of [...this.open]) this.advanceInvoice(inv, at);
  }

  pay(invoiceId: string, input: PayInput = {}): SimPayment {
    const inv = this.invoice(invoiceId);
    const at = input.at ?? this.clock.now();
    this.advanceInvoice(inv, at);
    const methodId = input.method ?? 'BTC-CHAIN';
    const method = inv.methods.find((m) => m.id === methodId);
    if (!method) throw new Error(`simulator: invoice ${invoiceId} has no ${methodId} payment method`);
    const due = method.amountMsats - this.accountedMsats(inv);
    let value: bigint;
    if (input.btc !== undefined) value = BigInt(new Decimal(input.btc).times(100_000_000_000).toFixed(0));
    else if (input.fraction !== undefined) value = ceilToSat(BigInt(Math.round(Number(due > 0n ? due : method.amountMsats) * input.fraction)));
    else value = due > 0n ? due : method.amountMsats;
    value += input.extraMsats ?? 0n;
    const lightning = isLightning(methodId);
    const settled = lightning || input.confirmed === true;
    const first = !inv.payments.some((p) => p.methodId === methodId);
    const payment: SimPayment = {
      id: lightning ? this.rng.hex(32) : `${this.rng.hex(32)}-${this.rng.int(0, 3)}`,
      methodId,
      receivedDate: at,
      valueMsats: value,
      // The method fee is charged once, on its first payment.
      feeMsats: first ? method.feeMsats : 0n,
      status: settled ? 'Settled' : 'Processing',
      destination: method.destination,
    };
    inv.payments.push(payment);
    const afterExpiration = at > inv.expirationTime || inv.status === 'Expired';
    const extra = { afterExpiration, paymentMethodId: methodId, payment: this.paymentJson(payment) };
    this.emit(inv, 'InvoiceReceivedPayment', extra, at);
    if (settled) this.emit(inv, 'InvoicePaymentSettled', extra, at);

    const paid = this.accountedMsats(inv);
    const full = paid >= method.amountMsats;
    const overPaid = paid - method.amountMsats >= 1000n;
    if (inv.status === 'New') {
      if (full) {
        inv.status = 'Processing';
        inv.additionalStatus = overPaid ? 'PaidOver' : 'None';
        this.emit(inv, 'InvoiceProcessing', { overPaid }, at);
        if (this.allSettled(inv)) this.settle(inv, at, false);
      } else {
        inv.additionalStatus = 'PaidPartial';
      }
    } else if (inv.status === 'Expired') {
      if (full && inv.additionalStatus !== 'PaidLate') {
        inv.additionalStatus = 'PaidLate';
        this.emit(inv, 'InvoicePaidAfterExpiration', {}, at);
      }
    } else if ((inv.status === 'Processing' || inv.status === 'Settled') && overPaid) {
      inv.additionalStatus = 'PaidOver';
    }
    return payment;
  }

  /** Confirms every unconfirmed payment; a Processing invoice becomes Settled. */
  confirm(invoiceId: string, at: number = this.clock.now()): void {
    const inv = this.invoice(invoiceId);
    this.advanceInvoice(inv, at);
    for (const p of inv.payments) {
      if (p.status !== 'Processing') continue;
      p.status = 'Settled';
      this.emit(inv, 'InvoicePaymentSettled', { afterExpiration: p.receivedDate > inv.expirationTime, paymentMethodId: p.methodId, payment: this.paymentJson(p) }, at);
    }
    if (inv.status === 'Processing') this.settle(inv, at, false);
  }

  /**
   * A payment disappears (double spend, RBF): it becomes Invalid and stops counting. A Processing
   * invoice no longer covered falls back to New (PaidPartial if something is left), as in BTCPay.
   */
  invalidatePayment(invoiceId: string, paymentId: string, at: number = this.clock.now()): void {
    const inv = this.invoice(invoiceId);
    const p = inv.payments.find((x) => x.id === paymentId);
    if (!p) throw new Error(`simulator: invoice ${invoiceId} has no payment ${paymentId}`);
    p.status = 'Invalid';
    const covered = inv.methods.some((m) => this.accountedMsats(inv) >= m.amountMsats);
    if (inv.status === 'Processing' && !covered) {
      inv.status = 'New';
      inv.additionalStatus = this.accountedMsats(inv) > 0n ? 'PaidPartial' : 'None';
      this.open.add(inv);
      this.advanceInvoice(inv, at);
    }
  }

  markSettled(invoiceId: string, at: number = this.clock.now()): void {
    const inv = this.invoice(invoiceId);
    this.advanceInvoice(inv, at);
    inv.status = 'Settled';
    inv.additionalStatus = 'Marked';
    this.open.delete(inv);
    this.emit(inv, 'InvoiceSettled', { manuallyMarked: true, overPaid: false }, at);
  }

  markInvalid(invoiceId: string, at: number = this.clock.now()): void {
    const inv = this.invoice(invoiceId);
    this.advanceInvoice(inv, at);
    inv.status = 'Invalid';
    inv.additionalStatus = 'Marked';
    this.open.delete(inv);
    this.emit(inv, 'InvoiceInvalid', { manuallyMarked: true }, at);
  }

  /** Moves the expiry to `at` and applies it (a New invoice becomes Expired). */
  expire(invoiceId: string, at: number = this.clock.now()): void {
    const inv = this.invoice(invoiceId);
    if (inv.status !== 'New') return;
    inv.expirationTime = Math.max(inv.createdTime, at);
    inv.monitoringExpiration = inv.expirationTime + inv.monitoringMinutes * 60;
    this.advanceInvoice(inv, at);
  }

  archive(invoiceId: string, archived = true): void {
    this.invoice(invoiceId).archived = archived;
  }

  // ---- derived figures ----------------------------------------------------------------------

  /** Accounted (Processing or Settled) payments of a method, msats. */
  methodPaidMsats(inv: SimInvoice, methodId: SimMethodId): bigint {
    let sum = 0n;
    for (const p of inv.payments) if (p.methodId === methodId && p.status !== 'Invalid') sum += p.valueMsats;
    return sum;
  }

  accountedMsats(inv: SimInvoice): bigint {
    let sum = 0n;
    for (const p of inv.payments) if (p.status !== 'Invalid') sum += p.valueMsats;
    return sum;
  }

  /** Net paid in the invoice currency (value − fee at the rate), rounded to the currency's decimals. */
  paidAmount(inv: SimInvoice): string {
    let sum = new Decimal(0);
    for (const p of inv.payments) {
      if (p.status === 'Invalid') continue;
      const rate = inv.methods.find((m) => m.id === p.methodId)!.rate;
      sum = sum.plus(msatsToFiat(p.valueMsats - p.feeMsats, rate));
    }
    const dp = inv.currency === 'BTC' ? 8 : inv.currency === 'SATS' ? 0 : 2;
    return sum.toDecimalPlaces(dp, Decimal.ROUND_HALF_UP).toFixed(dp);
  }

  paymentJson(p: SimPayment): Record<string, unknown> {
    return {
      id: p.id,
      receivedDate: p.receivedDate,
      value: formatBtc(p.valueMsats),
      fee: formatBtc(p.feeMsats),
      status: p.status,
      destination: p.destination,
    };
  }

  /**
   * What the exporter must end up with, computed straight from the payments (msats), not from the
   * API's decimal strings: raised = Settled, or Expired+PaidLate; sats = per BTC method, the sum of
   * accounted payments rounded up to whole sats (BTCPay's paymentMethodPaid).
   */
  groundTruth(storeId: string): GroundTruth {
    const counts = Object.fromEntries(SIM_STATUSES.map((s) => [s, 0])) as Record<SimStatus, number>;
    let raisedMsats = 0n;
    const byMethod: Record<string, number> = {};
    let contributions = 0;
    const amounts = new Map<string, InstanceType<typeof Decimal>>();
    const store = this.store(storeId);
    for (const inv of store.invoices) {
      counts[inv.status] += 1;
      const raised = inv.status === 'Settled' || (inv.status === 'Expired' && inv.additionalStatus === 'PaidLate');
      if (!raised) continue;
      contributions += 1;
      for (const m of inv.methods) {
        let sum = 0n;
        for (const p of inv.payments) if (p.methodId === m.id && p.status !== 'Invalid') sum += p.valueMsats;
        raisedMsats += (sum + 999n) / 1000n;
        byMethod[m.id] = (byMethod[m.id] ?? 0) + Number((sum + 999n) / 1000n);
      }
      amounts.set(inv.currency, (amounts.get(inv.currency) ?? new Decimal(0)).plus(new Decimal(inv.amount)));
    }
    const last = store.invoices.at(-1);
    return {
      counts,
      raisedSats: Number(raisedMsats),
      raisedSatsByMethod: byMethod,
      contributions,
      raisedAmounts: Object.fromEntries([...amounts].map(([c, d]) => [c, d.isZero() ? '0' : d.toFixed()])),
      lastCreated: last ? last.createdTime : null,
      invoices: store.invoices.length,
    };
  }

  // ---- internals ----------------------------------------------------------------------------

  private settle(inv: SimInvoice, at: number, manuallyMarked: boolean): void {
    inv.status = 'Settled';
    this.open.delete(inv);
    const overPaid = inv.additionalStatus === 'PaidOver';
    this.emit(inv, 'InvoiceSettled', { manuallyMarked, overPaid }, at);
  }

  private allSettled(inv: SimInvoice): boolean {
    return inv.payments.every((p) => p.status !== 'Processing');
  }

  private plausibleRate(currency: string): string {
    if (currency === 'BTC') return '1';
    if (currency === 'SATS') return '100000000';
    const [lo, hi] = DEFAULT_RATES[currency] ?? [60000, 100000];
    return (lo + this.rng.next() * (hi - lo)).toFixed(2);
  }

  private insertSorted(store: SimStore, inv: SimInvoice): void {
    const list = store.invoices;
    if (list.length === 0 || list[list.length - 1]!.createdTime <= inv.createdTime) {
      list.push(inv);
      return;
    }
    list.splice(upperBound(list, inv.createdTime), 0, inv);
  }

  private emit(inv: SimInvoice, type: string, extra: Record<string, unknown>, at: number): void {
    this.listener?.({ type, storeId: inv.storeId, invoice: inv, extra, timestamp: at });
  }
}

/** First index whose createdTime is >= t. */
export function lowerBound(list: readonly SimInvoice[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.createdTime < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose createdTime is > t. */
export function upperBound(list: readonly SimInvoice[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.createdTime <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
