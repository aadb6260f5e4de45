// The label contracts of the exporter's metrics: every bounded set of label values, in one place.
// Collectors export each expected value as 0 before it happens; the sources, the webhook receiver
// and the BTCPay webhook registration use the same lists. A leaf module: it imports nothing, so
// every folder may import it (the only file of metrics/ outside http/ and main.ts that may be).

/** Store and event label for anything that cannot be attributed to a configured store or type. */
export const UNKNOWN_LABEL = 'unknown';

/** `reason` of crowdfund_sync_errors_total: a failure a sync job can name, never free text. */
export const SYNC_ERROR_REASONS = [
  'unauthenticated',
  'missing_permission',
  'not_found',
  'validation',
  'rate_limited',
  'server_error',
  'timeout',
  'network',
  'bad_response',
  'aborted',
  'internal',
] as const;
export type SyncErrorReason = (typeof SYNC_ERROR_REASONS)[number];

/** `reason` of btcpay_webhook_verification_failures_total. */
export const VERIFICATION_FAILURE_REASONS = ['missing_signature', 'bad_signature', 'unknown_store', 'malformed'] as const;
export type VerificationFailureReason = (typeof VERIFICATION_FAILURE_REASONS)[number];

/** Invoice events: the `event` values exported as 0 per store, and what the exporter's webhook subscribes to. */
export const INVOICE_EVENT_TYPES = [
  'InvoiceCreated',
  'InvoiceReceivedPayment',
  'InvoicePaymentSettled',
  'InvoiceProcessing',
  'InvoiceSettled',
  'InvoiceExpired',
  'InvoiceInvalid',
  'InvoiceExpiredPaidPartial',
  'InvoicePaidAfterExpiration',
  'InvoiceRefund',
] as const;
export type InvoiceEventType = (typeof INVOICE_EVENT_TYPES)[number];

/** Every type BTCPay v2.4 can send; these are the only `event` label values besides unknown/other. */
export const KNOWN_EVENT_TYPES: readonly string[] = [
  ...INVOICE_EVENT_TYPES,
  'PayoutCreated',
  'PayoutApproved',
  'PayoutUpdated',
  'PaymentRequestCreated',
  'PaymentRequestUpdated',
  'PaymentRequestArchived',
  'PaymentRequestStatusChanged',
  'PaymentRequestCompleted',
  'PendingTransactionCreated',
  'PendingTransactionSignatureCollected',
  'PendingTransactionBroadcast',
  'PendingTransactionCancelled',
  'SubscriberCreated',
  'SubscriberCredited',
  'SubscriberCharged',
  'SubscriberActivated',
  'SubscriberPhaseChanged',
  'SubscriberDisabled',
  'PaymentReminder',
  'PlanStarted',
  'SubscriberNeedUpgrade',
  'CreditRefunded',
];
