// Reads of the small tables the exporter's figures come from: the running totals of invoices,
// crowdfund progress, webhook counters, sync state and Angor projects. The collectors (metrics/)
// and the status page (http/status-page.ts) both read through these, so the page shows the very
// numbers /metrics serves. Each read is a handful of rows per store, app or project, whatever the
// size of the invoice history.
import type { Kysely, Selectable } from 'kysely';
import type {
  AngorProjectRow,
  CrowdfundAppRow,
  CrowdfundPerkContributionsTable,
  CrowdfundProgressRow,
  Database,
  InvoiceStatusTotalsTable,
  StorePaymentMethodTotalsTable,
  StoreRaisedAmountsTable,
  StoreTotalsTable,
  SyncErrorCountsTable,
  SyncStateRow,
  WebhookCountersTable,
  WebhookStoreStateTable,
} from './schema.js';

export interface InvoiceTotals {
  stores: Selectable<StoreTotalsTable>[];
  statuses: Selectable<InvoiceStatusTotalsTable>[];
  amounts: Selectable<StoreRaisedAmountsTable>[];
  /** Raised sats per store and payment method (their sum per store is stores[].raised_sats). */
  methods: Selectable<StorePaymentMethodTotalsTable>[];
}

export async function readInvoiceTotals(db: Kysely<Database>): Promise<InvoiceTotals> {
  const [stores, statuses, amounts, methods] = await Promise.all([
    db.selectFrom('store_totals').selectAll().orderBy('store_id').execute(),
    db.selectFrom('invoice_status_totals').selectAll().execute(),
    db.selectFrom('store_raised_amounts').selectAll().orderBy('store_id').orderBy('currency').execute(),
    db.selectFrom('store_payment_method_totals').selectAll().orderBy('store_id').orderBy('payment_method').execute(),
  ]);
  return { stores, statuses, amounts, methods };
}

/** Every store the invoice totals know (what btcpay_* metrics are exported for), sorted. */
export function storesOf(t: InvoiceTotals): string[] {
  return [...new Set([...t.stores.map((s) => s.store_id), ...t.statuses.map((s) => s.store_id)])].sort();
}

export interface CrowdfundTotals {
  apps: CrowdfundAppRow[];
  progress: CrowdfundProgressRow[];
  perks: Selectable<CrowdfundPerkContributionsTable>[];
}

export async function readCrowdfundTotals(db: Kysely<Database>): Promise<CrowdfundTotals> {
  const [apps, progress, perks] = await Promise.all([
    db.selectFrom('crowdfund_apps').selectAll().orderBy('store_id').orderBy('app_id').execute(),
    db.selectFrom('crowdfund_progress').selectAll().execute(),
    db.selectFrom('crowdfund_perk_contributions').selectAll().execute(),
  ]);
  return { apps, progress, perks };
}

export interface WebhookTotals {
  counters: Selectable<WebhookCountersTable>[];
  states: Selectable<WebhookStoreStateTable>[];
}

export async function readWebhookTotals(db: Kysely<Database>): Promise<WebhookTotals> {
  const [counters, states] = await Promise.all([
    db.selectFrom('webhook_counters').selectAll().execute(),
    db.selectFrom('webhook_store_state').selectAll().execute(),
  ]);
  return { counters, states };
}

export interface SyncTotals {
  states: SyncStateRow[];
  errors: Selectable<SyncErrorCountsTable>[];
}

export async function readSyncTotals(db: Kysely<Database>): Promise<SyncTotals> {
  const [states, errors] = await Promise.all([
    db.selectFrom('sync_state').selectAll().orderBy('source').execute(),
    db.selectFrom('sync_error_counts').selectAll().execute(),
  ]);
  return { states, errors };
}

export async function readAngorProjects(db: Kysely<Database>): Promise<AngorProjectRow[]> {
  return db.selectFrom('angor_projects').selectAll().orderBy('project_id').execute();
}
