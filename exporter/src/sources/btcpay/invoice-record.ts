// Maps a Greenfield invoice (and its payment methods) to the record the invoice store keeps.
import { btcToSats } from '../../money.js';
import type { Invoice, PaymentMethod } from './greenfield-schemas.js';
import type { InvoiceRecord } from '../../store/invoices.js';

/**
 * Gross BTC received: the sum of paymentMethodPaid over payment methods whose currency is BTC
 * (on-chain, Lightning and LNURL are all BTC). BTCPay rounds paymentMethodPaid up to 8 decimals;
 * rounding up here too keeps a server that ever sends more decimals consistent with its own rule.
 */
export function btcPaidSats(methods: readonly PaymentMethod[]): number {
  let sats = 0;
  for (const sum of Object.values(btcPaidByMethod(methods))) sats += sum;
  return sats;
}

/**
 * The same sats per payment method id (BTC-CHAIN, BTC-LN, BTC-LNURL, ...): each BTC method's
 * paymentMethodPaid rounded up, so the parts add up to btcPaidSats exactly. Methods nothing came
 * through are left out (the row stays small; the sum is the same).
 */
export function btcPaidByMethod(methods: readonly PaymentMethod[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of methods) {
    if (m.currency !== 'BTC') continue;
    const sats = btcToSats(m.paymentMethodPaid, 'up');
    if (sats !== 0) out[m.paymentMethodId] = (out[m.paymentMethodId] ?? 0) + sats;
  }
  return out;
}

function metadataString(metadata: Record<string, unknown>, key: string): string | null {
  const v = metadata[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/**
 * `methods` undefined means "not known now": the caller keeps what is stored (btcPaidSats from
 * `previous`, amountsSynced false unless the previous row had them).
 */
export function invoiceToRecord(
  invoice: Invoice,
  methods: readonly PaymentMethod[] | undefined,
  previous: InvoiceRecord | undefined,
): InvoiceRecord {
  return {
    id: invoice.id,
    storeId: invoice.storeId,
    status: invoice.status,
    additionalStatus: invoice.additionalStatus,
    currency: invoice.currency.toUpperCase(),
    amount: invoice.amount,
    btcPaidSats: methods ? btcPaidSats(methods) : (previous?.btcPaidSats ?? 0),
    btcPaidByMethod: methods ? btcPaidByMethod(methods) : (previous?.btcPaidByMethod ?? {}),
    createdTime: invoice.createdTime,
    expirationTime: invoice.expirationTime,
    monitoringExpiration: invoice.monitoringExpiration,
    archived: invoice.archived,
    orderId: metadataString(invoice.metadata, 'orderId'),
    itemCode: metadataString(invoice.metadata, 'itemCode'),
    amountsSynced: methods ? true : (previous?.amountsSynced ?? false),
    statusSource: 'sync',
  };
}
