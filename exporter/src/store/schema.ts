// Kysely table types. Money is integer sats (INTEGER) or an exact decimal string (TEXT) plus its
// currency; time is integer unix seconds. Booleans are 0/1 integers (SQLite has no boolean).
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export type InvoiceStatus = 'New' | 'Processing' | 'Settled' | 'Expired' | 'Invalid';
export const INVOICE_STATUSES: readonly InvoiceStatus[] = ['New', 'Processing', 'Settled', 'Expired', 'Invalid'];

export interface InvoicesTable {
  id: string;
  store_id: string;
  status: InvoiceStatus;
  additional_status: string;
  /** Price currency of the invoice (USD, EUR, BTC, SATS, ...). */
  currency: string;
  /** Invoice price as BTCPay's exact decimal string; null for top-up invoices without an amount. */
  amount: string | null;
  /** Gross BTC received over BTC payment methods (sum of paymentMethodPaid), integer sats. */
  btc_paid_sats: number;
  /**
   * 008: btc_paid_sats split by payment method, a JSON object {"BTC-CHAIN": sats, "BTC-LN": sats}
   * with sorted keys, the BTC methods sats came through. Its values sum to btc_paid_sats; '{}'
   * while nothing was paid or the payment methods were never read.
   */
  btc_paid_by_method: ColumnType<string, string | undefined, string>;
  created_time: number;
  expiration_time: number;
  monitoring_expiration: number;
  archived: number;
  order_id: string | null;
  /** Crowdfund perk id (metadata.itemCode); '' when none was chosen. */
  item_code: string | null;
  /** 1 when the invoice counts as raised (Settled, or Expired with PaidLate). */
  counts_as_raised: number;
  /** 1 when no further status change is possible (Settled, Invalid, Expired past monitoring). */
  is_final: number;
  /** 1 once amounts came from the API (payment methods read), 0 while only a webhook told us. */
  amounts_synced: number;
  /** Who wrote the current status last: 'sync' or 'webhook'. */
  status_source: string;
  updated_at: number;
}

/** Running totals per store and status, kept in the same transaction as each invoice write. */
export interface InvoiceStatusTotalsTable {
  store_id: string;
  status: InvoiceStatus;
  invoices: number;
}

/** Running totals of raised invoices per store. */
export interface StoreTotalsTable {
  store_id: string;
  raised_sats: number;
  contributions: number;
  last_invoice_created: number | null;
}

/** Exact sum of raised invoices' prices per store and price currency (decimal string). */
export interface StoreRaisedAmountsTable {
  store_id: string;
  currency: string;
  amount: string;
}

/**
 * Running totals of raised invoices per store and BTC payment method (008): the sats of
 * btc_paid_by_method, so they sum to store_totals.raised_sats. A method sats came through only on
 * invoices not (yet) raised has a row with 0.
 */
export interface StorePaymentMethodTotalsTable {
  store_id: string;
  payment_method: string;
  raised_sats: number;
}

/** The store's BTC rates for its default currency pairs, as last read (009). Absent pairs are deleted. */
export interface StoreRatesTable {
  store_id: string;
  /** BTC_USD, BTC_EUR, ... */
  currency_pair: string;
  /** Decimal string as BTCPay sent it (a rate, not money). */
  rate: string;
  updated_at: number;
}

/** One payment method of an invoice (migration 002). Amounts are decimal strings in `currency`. */
export interface InvoicePaymentMethodsTable {
  invoice_id: string;
  /** BTC-CHAIN, BTC-LN, BTC-LNURL, ... (legacy 1.x names are normalised at the edge). */
  payment_method_id: string;
  currency: string;
  /** Invoice-currency units per 1 unit of `currency`, locked at invoice creation. */
  rate: string;
  /** Amount due through this method, payment-method fee included. */
  amount: string;
  /** paymentMethodPaid: gross received through this method (accounted payments, rounded up). */
  paid: string;
  /** paymentMethodFee. */
  fee: string;
}

/** One payment of an invoice (migration 002). `value` and `fee` are in the method's currency. */
export interface InvoicePaymentsTable {
  invoice_id: string;
  payment_method_id: string;
  payment_id: string;
  received_date: number;
  value: string;
  fee: string;
  /** Processing | Settled | Invalid */
  status: string;
}

export interface WebhookDeliveriesTable {
  id: Generated<number>;
  received_at: number;
  store_id: string | null;
  webhook_id: string | null;
  delivery_id: string | null;
  original_delivery_id: string | null;
  event_type: string | null;
  invoice_id: string | null;
  is_redelivery: number | null;
  /** accepted | duplicate | ignored | missing_signature | bad_signature | unknown_store | malformed | too_large | error */
  result: string;
  /** First characters of the received signature, for telling deliveries apart; never the secret. */
  signature_preview: string | null;
  /** Raw body, kept only for verified deliveries. */
  payload: string | null;
  /** 1 when the signature verified (added in 003). */
  verified: Generated<number>;
  /** Status code answered to BTCPay (added in 003). */
  http_status: number | null;
}

/** Idempotency keys of processed deliveries (003). */
export interface WebhookSeenTable {
  /** Insertion order (010): retention walks it oldest first. */
  id: Generated<number>;
  /** store/seen-key.ts seenKey(webhook_id, original_delivery_id), unique (010); null when another key has the same hash. */
  key: number | null;
  webhook_id: string;
  original_delivery_id: string;
  first_seen_at: number;
}

/** Persisted webhook counters (003): requests | verification_failures | duplicates | missed. */
export interface WebhookCountersTable {
  store_id: string;
  counter: string;
  /** Event type, failure reason, or '' for single-label counters. */
  label: string;
  count: number;
}

/** Per-store webhook state (003). */
export interface WebhookStoreStateTable {
  store_id: string;
  last_verified_at: number | null;
  delivery_failures: number | null;
  delivery_failures_checked_at: number | null;
}

export interface AngorProjectsTable {
  project_id: string;
  network: string;
  name: string | null;
  nostr_event_id: string | null;
  founder_key: string | null;
  nostr_pubkey: string | null;
  target_sats: number | null;
  raised_sats: number;
  investments: number;
  spent_by_founder_sats: number;
  penalties_sats: number;
  start_time: number | null;
  end_time: number | null;
  expiry_time: number | null;
  /** JSON array of {releaseDate, amountToRelease} from the project info. */
  stages_json: string;
  project_type: string;
  created_block_height: number | null;
  updated_at: number;
  /** 004: project-info version; 1 = legacy (no endDate, startDate ends the window). */
  info_version: ColumnType<number, number | undefined, number>;
  /** 004: kind of the project-info event (3030, or 30078 for legacy events). */
  nostr_event_kind: number | null;
  /** 004: created_at of the profile the name came from. */
  profile_created_at: number | null;
}

export interface SyncRunsTable {
  id: Generated<number>;
  source: string;
  started_at: number;
  finished_at: number | null;
  /** running | success | error */
  outcome: string;
  error_reason: string | null;
  error_message: string | null;
  items_fetched: number;
  items_written: number;
}

/** Latest state per source, so the scrape reads one row instead of scanning runs. */
export interface SyncStateTable {
  source: string;
  last_attempt_at: number | null;
  last_success_at: number | null;
  last_outcome: string | null;
  last_duration_seconds: number | null;
  last_error_reason: string | null;
  /** Source-specific resume point (JSON), e.g. how far a first sync got. */
  cursor: string | null;
}

/** Counter of failed runs per source and reason; persisted so restarts keep it monotonic. */
export interface SyncErrorCountsTable {
  source: string;
  reason: string;
  count: number;
}

/** A BTCPay Crowdfund app's settings as last read from Greenfield (CROWDFUND.md b). */
export interface CrowdfundAppsTable {
  app_id: string;
  store_id: string;
  title: string;
  app_name: string | null;
  enabled: number;
  archived: number;
  target_currency: string;
  /** Exact decimal string; null = no target. */
  target_amount: string | null;
  /** 1 = hard cap. */
  enforce_target_amount: number;
  start_date: number | null;
  end_date: number | null;
  /** Never | Hour | Day | Month | Year */
  reset_every: string;
  reset_every_amount: number;
  /** JSON array of {id, title, disabled, priceType, price, inventory}, template order. */
  perks_json: string;
  /** 1 when every store invoice counts (BTCPAY_CROWDFUND_ALL_STORE_INVOICES; the API cannot tell). */
  all_store_invoices: number;
  updated_at: number;
}

/** Which invoices belong to which app (search term `crowdfund-app_<appId>`, or all store invoices). */
export interface CrowdfundAppInvoicesTable {
  app_id: string;
  invoice_id: string;
}

/** Progress per app, computed by sources/btcpay/crowdfund/progress.ts after each sync. */
export interface CrowdfundProgressTable {
  app_id: string;
  /** Exact decimal strings in the target currency. */
  settled_amount: string;
  pending_amount: string;
  raised_sats: number;
  contributors: number;
  /** Start of the current reset window; null when the goal never resets. */
  window_start: number | null;
  next_reset: number | null;
  computed_at: number;
}

/** Paid invoices per perk of an app, in the current window. */
export interface CrowdfundPerkContributionsTable {
  app_id: string;
  perk_id: string;
  contributions: number;
}

export interface Database {
  invoices: InvoicesTable;
  invoice_status_totals: InvoiceStatusTotalsTable;
  store_totals: StoreTotalsTable;
  store_raised_amounts: StoreRaisedAmountsTable;
  store_payment_method_totals: StorePaymentMethodTotalsTable;
  store_rates: StoreRatesTable;
  invoice_payment_methods: InvoicePaymentMethodsTable;
  invoice_payments: InvoicePaymentsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_seen: WebhookSeenTable;
  webhook_counters: WebhookCountersTable;
  webhook_store_state: WebhookStoreStateTable;
  angor_projects: AngorProjectsTable;
  sync_runs: SyncRunsTable;
  sync_state: SyncStateTable;
  sync_error_counts: SyncErrorCountsTable;
  crowdfund_apps: CrowdfundAppsTable;
  crowdfund_app_invoices: CrowdfundAppInvoicesTable;
  crowdfund_progress: CrowdfundProgressTable;
  crowdfund_perk_contributions: CrowdfundPerkContributionsTable;
}

export type InvoiceRow = Selectable<InvoicesTable>;
export type NewInvoiceRow = Insertable<InvoicesTable>;
export type InvoiceUpdate = Updateable<InvoicesTable>;
export type AngorProjectRow = Selectable<AngorProjectsTable>;
export type SyncStateRow = Selectable<SyncStateTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type CrowdfundAppRow = Selectable<CrowdfundAppsTable>;
export type CrowdfundProgressRow = Selectable<CrowdfundProgressTable>;
// Re-exported so migrations and repositories need one import.
export type { ColumnType };
