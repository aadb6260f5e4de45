// Zod schemas for what the Greenfield API returns (contracts/btcpay/FACTS.md d, CROWDFUND.md b).
// Objects are loose (unknown keys pass through) because BTCPay adds fields between versions;
// what we rely on is checked strictly: decimal strings stay strings, times are integer seconds.
import { z } from 'zod';
import { isDecimalString } from '../../money.js';

/** A decimal amount as BTCPay writes it: a plain string such as "0.00081532" (never a float). */
export const DecimalString = z.string().refine(isDecimalString, { error: 'expected a decimal string such as "0.0001"' });

/** Unix seconds. */
export const UnixSeconds = z.number().int();

export const INVOICE_STATUS_VALUES = ['New', 'Processing', 'Settled', 'Expired', 'Invalid'] as const;
export const InvoiceStatusSchema = z.enum(INVOICE_STATUS_VALUES);

export const PaymentSchema = z.looseObject({
  id: z.string(),
  receivedDate: UnixSeconds,
  value: DecimalString,
  fee: DecimalString.nullish().transform((v) => v ?? '0'),
  status: z.string(),
  destination: z.string().nullish(),
});
export type Payment = z.infer<typeof PaymentSchema>;

/** 1.x names (`paymentMethod`: "BTC", "BTC-LightningNetwork") mapped to the 2.x ids. */
const LEGACY_PAYMENT_METHOD_IDS: Record<string, string> = {
  BTC: 'BTC-CHAIN',
  'BTC-OnChain': 'BTC-CHAIN',
  'BTC-LightningNetwork': 'BTC-LN',
  'BTC-LightningLike': 'BTC-LN',
  'BTC-LNURLPAY': 'BTC-LNURL',
  'BTC-LNURLPay': 'BTC-LNURL',
};

export function normalisePaymentMethodId(id: string): string {
  return LEGACY_PAYMENT_METHOD_IDS[id] ?? id;
}

/**
 * One payment method of an invoice. Accepts the 2.x field names and the 1.x ones
 * (`paymentMethod`, `cryptoCode`, `networkFee`) and always yields the 2.x shape.
 */
export const PaymentMethodSchema = z
  .looseObject({
    paymentMethodId: z.string().optional(),
    paymentMethod: z.string().optional(),
    currency: z.string().optional(),
    cryptoCode: z.string().optional(),
    rate: DecimalString,
    amount: DecimalString,
    paymentMethodPaid: DecimalString,
    totalPaid: DecimalString.nullish(),
    due: DecimalString.nullish(),
    paymentMethodFee: DecimalString.nullish(),
    networkFee: DecimalString.nullish(),
    destination: z.string().nullish(),
    paymentLink: z.string().nullish(),
    activated: z.boolean().nullish(),
    payments: z.array(PaymentSchema).nullish(),
  })
  .transform((m, ctx) => {
    const rawId = m.paymentMethodId ?? m.paymentMethod;
    if (rawId === undefined) {
      ctx.addIssue({ code: 'custom', message: 'payment method without paymentMethodId (or legacy paymentMethod)' });
      return z.NEVER;
    }
    const paymentMethodId = normalisePaymentMethodId(rawId);
    const currency = m.currency ?? m.cryptoCode ?? paymentMethodId.split('-')[0]!;
    return {
      paymentMethodId,
      currency: currency.toUpperCase(),
      rate: m.rate,
      amount: m.amount,
      paymentMethodPaid: m.paymentMethodPaid,
      totalPaid: m.totalPaid ?? undefined,
      due: m.due ?? undefined,
      paymentMethodFee: m.paymentMethodFee ?? m.networkFee ?? '0',
      destination: m.destination ?? undefined,
      activated: m.activated ?? undefined,
      payments: m.payments ?? [],
    };
  });
export type PaymentMethod = z.output<typeof PaymentMethodSchema>;

export const InvoiceSchema = z.looseObject({
  id: z.string().min(1),
  storeId: z.string().min(1),
  amount: DecimalString,
  paidAmount: DecimalString.nullish(),
  currency: z.string().min(1),
  type: z.string().nullish(),
  checkoutLink: z.string().nullish(),
  status: InvoiceStatusSchema,
  additionalStatus: z.string().nullish().transform((v) => v ?? 'None'),
  createdTime: UnixSeconds,
  expirationTime: UnixSeconds,
  monitoringExpiration: UnixSeconds,
  archived: z.boolean().nullish().transform((v) => v ?? false),
  metadata: z.record(z.string(), z.unknown()).nullish().transform((v) => v ?? {}),
  availableStatusesForManualMarking: z.array(z.string()).nullish(),
  /** Present (and filled) only with includePaymentMethods=true on BTCPay 2.4.0+. */
  paymentMethods: z.array(PaymentMethodSchema).nullish(),
});
export type Invoice = z.output<typeof InvoiceSchema>;

export const InvoiceListSchema = z.array(InvoiceSchema);
export const PaymentMethodListSchema = z.array(PaymentMethodSchema);

export const StoreSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().nullish(),
  defaultCurrency: z.string().nullish(),
  archived: z.boolean().nullish(),
});
export type Store = z.output<typeof StoreSchema>;
export const StoreListSchema = z.array(StoreSchema);

/**
 * One entry of GET /api/v1/stores/{storeId}/rates (FACTS.md g): `rate` is the bid as a decimal
 * string, null when BTCPay could not fetch the pair (then `errors` tells why). Pairs are checked
 * by the reader (BTCPay answers 200 even after a malformed pair).
 */
export const StoreRateSchema = z.looseObject({
  currencyPair: z.string(),
  rate: DecimalString.nullable(),
  errors: z.array(z.string()).nullish(),
});
export type StoreRate = z.output<typeof StoreRateSchema>;
export const StoreRateListSchema = z.array(StoreRateSchema);

export const AuthorizedEventsSchema = z.looseObject({
  everything: z.boolean().nullish(),
  specificEvents: z.array(z.string()).nullish(),
});

export const WebhookSchema = z.looseObject({
  id: z.string().min(1),
  enabled: z.boolean().nullish(),
  automaticRedelivery: z.boolean().nullish(),
  url: z.string(),
  authorizedEvents: AuthorizedEventsSchema.nullish(),
});
export type Webhook = z.output<typeof WebhookSchema>;
export const WebhookListSchema = z.array(WebhookSchema);

/** The create response is the only place BTCPay ever returns the secret. */
export const WebhookCreatedSchema = WebhookSchema.extend({ secret: z.string().nullish() });
export type WebhookCreated = z.output<typeof WebhookCreatedSchema>;

export const WebhookDeliverySchema = z.looseObject({
  id: z.string(),
  timestamp: UnixSeconds,
  deliveryTime: UnixSeconds.nullish(),
  httpCode: z.number().int().nullish().transform((v) => v ?? null),
  errorMessage: z.string().nullish().transform((v) => v ?? null),
  status: z.string(),
});
export type WebhookDelivery = z.output<typeof WebhookDeliverySchema>;
export const WebhookDeliveryListSchema = z.array(WebhookDeliverySchema);

export const AppBaseDataSchema = z.looseObject({
  id: z.string().min(1),
  appType: z.string(),
  appName: z.string().nullish(),
  storeId: z.string(),
  archived: z.boolean().nullish(),
  created: UnixSeconds.nullish(),
});
export type AppBaseData = z.output<typeof AppBaseDataSchema>;
export const AppBaseDataListSchema = z.array(AppBaseDataSchema);

// Crowdfund app settings are parsed by crowdfund/settings.ts (exact targetAmount, perks).

/** Error bodies (FACTS.md f): `{code, message, missingPermission?}`, or a 422 array. */
export const GreenfieldErrorSchema = z.looseObject({
  code: z.string().nullish(),
  message: z.string().nullish(),
  missingPermission: z.string().nullish(),
});
export const GreenfieldValidationErrorSchema = z.array(z.looseObject({ path: z.string().nullish(), message: z.string().nullish() }));
