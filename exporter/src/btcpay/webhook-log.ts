// Database side of the webhook receiver: the delivery log, idempotency keys, persisted counters,
// per-store state and bounded retention. Every function writes through the `db` it is given, so
// the receiver can run them inside one transaction per delivery.
import { sql } from 'kysely';
import type { Db } from './invoice-store.js';

/** What happened to one request; the `result` column of webhook_deliveries. */
export type DeliveryResult =
  | 'accepted'
  | 'ignored'
  | 'duplicate'
  | 'missing_signature'
  | 'bad_signature'
  | 'unknown_store'
  | 'malformed'
  | 'too_large'
  | 'error';

export const VERIFICATION_FAILURE_REASONS = ['missing_signature', 'bad_signature', 'unknown_store', 'malformed'] as const;
export type VerificationFailureReason = (typeof VERIFICATION_FAILURE_REASONS)[number];

export type WebhookCounter = 'requests' | 'verification_failures' | 'duplicates' | 'missed';

/** Store label for anything that cannot be attributed to a configured store. */
export const UNKNOWN_LABEL = 'unknown';

export interface DeliveryLogEntry {
  receivedAt: number;
  verified: boolean;
  result: DeliveryResult;
  httpStatus: number;
  signaturePreview: string | null;
  storeId?: string | null;
  webhookId?: string | null;
  deliveryId?: string | null;
  originalDeliveryId?: string | null;
  eventType?: string | null;
  invoiceId?: string | null;
  isRedelivery?: boolean | null;
  /** Raw body; only ever passed for verified deliveries. */
  payload?: string | null;
}

export async function logDelivery(db: Db, e: DeliveryLogEntry): Promise<void> {
  await db
    .insertInto('webhook_deliveries')
    .values({
      received_at: e.receivedAt,
      store_id: e.storeId ?? null,
      webhook_id: e.webhookId ?? null,
      delivery_id: e.deliveryId ?? null,
      original_delivery_id: e.originalDeliveryId ?? null,
      event_type: e.eventType ?? null,
      invoice_id: e.invoiceId ?? null,
      is_redelivery: e.isRedelivery === undefined || e.isRedelivery === null ? null : e.isRedelivery ? 1 : 0,
      result: e.result,
      signature_preview: e.signaturePreview,
      payload: e.verified ? (e.payload ?? null) : null,
      verified: e.verified ? 1 : 0,
      http_status: e.httpStatus,
    })
    .execute();
}

export async function bumpCounter(db: Db, storeId: string, counter: WebhookCounter, label = '', by = 1): Promise<void> {
  await db
    .insertInto('webhook_counters')
    .values({ store_id: storeId, counter, label, count: by })
    .onConflict((oc) =>
      oc.columns(['store_id', 'counter', 'label']).doUpdateSet((eb) => ({ count: eb('webhook_counters.count', '+', by) })),
    )
    .execute();
}

/** Records an idempotency key; false when it was already there (a redelivery or a replay). */
export async function markSeen(db: Db, webhookId: string, originalDeliveryId: string, now: number): Promise<boolean> {
  const res = await db
    .insertInto('webhook_seen')
    .values({ webhook_id: webhookId, original_delivery_id: originalDeliveryId, first_seen_at: now })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function setLastVerified(db: Db, storeId: string, now: number): Promise<void> {
  await db
    .insertInto('webhook_store_state')
    .values({ store_id: storeId, last_verified_at: now })
    .onConflict((oc) =>
      oc.column('store_id').doUpdateSet({
        last_verified_at: sql<number>`max(coalesce(webhook_store_state.last_verified_at, 0), ${now})`,
      }),
    )
    .execute();
}

export async function setDeliveryFailures(db: Db, storeId: string, failures: number, now: number): Promise<void> {
  await db
    .insertInto('webhook_store_state')
    .values({ store_id: storeId, delivery_failures: failures, delivery_failures_checked_at: now })
    .onConflict((oc) => oc.column('store_id').doUpdateSet({ delivery_failures: failures, delivery_failures_checked_at: now }))
    .execute();
}

/** True when a verified, processed delivery of one of `types` exists for the invoice. */
export async function hasVerifiedEvent(db: Db, invoiceId: string, types: readonly string[]): Promise<boolean> {
  if (types.length === 0) return false;
  const row = await db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('invoice_id', '=', invoiceId)
    .where('result', 'in', ['accepted', 'duplicate'])
    .where('event_type', 'in', types)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export interface RecentDelivery {
  receivedAt: number;
  verified: boolean;
  result: string;
  httpStatus: number | null;
  eventType: string | null;
  storeId: string | null;
  invoiceId: string | null;
  webhookId: string | null;
  deliveryId: string | null;
  originalDeliveryId: string | null;
  isRedelivery: boolean | null;
  signaturePreview: string | null;
}

/** Newest first; never the payload (it may hold buyer data). */
export async function recentDeliveries(db: Db, limit: number): Promise<RecentDelivery[]> {
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select([
      'received_at',
      'verified',
      'result',
      'http_status',
      'event_type',
      'store_id',
      'invoice_id',
      'webhook_id',
      'delivery_id',
      'original_delivery_id',
      'is_redelivery',
      'signature_preview',
    ])
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    receivedAt: r.received_at,
    verified: r.verified === 1,
    result: r.result,
    httpStatus: r.http_status,
    eventType: r.event_type,
    storeId: r.store_id,
    invoiceId: r.invoice_id,
    webhookId: r.webhook_id,
    deliveryId: r.delivery_id,
    originalDeliveryId: r.original_delivery_id,
    isRedelivery: r.is_redelivery === null ? null : r.is_redelivery === 1,
    signaturePreview: r.signature_preview,
  }));
}

export interface RetentionOptions {
  now: number;
  retentionDays: number;
  maxRows: number;
  /** Rows per DELETE; small so a prune never holds the write lock for long. */
  batchSize?: number;
}

/**
 * Deletes one batch of log rows beyond the age or row limit, and one batch of idempotency keys
 * past the age limit whose accepted log row is gone. Counters live in their own table and are
 * never touched. Returns the rows deleted; call again while it returns a full batch.
 */
export async function pruneBatch(db: Db, o: RetentionOptions): Promise<number> {
  const batch = o.batchSize ?? 500;
  const cutoff = o.now - o.retentionDays * 86_400;
  const max = await db.selectFrom('webhook_deliveries').select((eb) => eb.fn.max('id').as('maxId')).executeTakeFirst();
  const keepFromId = Number(max?.maxId ?? 0) - o.maxRows;
  const logDeleted = await db
    .deleteFrom('webhook_deliveries')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('webhook_deliveries')
        .select('id')
        .where((w) => w.or([w('received_at', '<', cutoff), w('id', '<=', keepFromId)]))
        .orderBy('id')
        .limit(batch),
    )
    .executeTakeFirst();
  const seenDeleted = await sql`
    DELETE FROM webhook_seen WHERE rowid IN (
      SELECT s.rowid FROM webhook_seen s
      WHERE s.first_seen_at < ${cutoff}
        AND NOT EXISTS (
          SELECT 1 FROM webhook_deliveries d
          WHERE d.webhook_id = s.webhook_id AND d.original_delivery_id = s.original_delivery_id AND d.result = 'accepted')
      LIMIT ${batch})`.execute(db);
  return Number(logDeleted.numDeletedRows) + Number(seenDeleted.numAffectedRows ?? 0n);
}
