// Database side of the webhook receiver: the delivery log, idempotency keys, persisted counters,
// per-store state and bounded retention. The receiver's writes are prepared statements
// (DeliveryLogWriter) it runs in one savepoint per delivery; the rest goes through kysely.
import type BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { prepared } from './connection.js';
import { seenKey } from './seen-key.js';
import type { Db } from './invoices.js';

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

export type WebhookCounter = 'requests' | 'verification_failures' | 'duplicates' | 'missed';

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

/** The receiver's writes, synchronous on prepared statements; the caller owns the transaction. */
export interface DeliveryLogWriter {
  logDelivery(e: DeliveryLogEntry): void;
  bumpCounter(storeId: string, counter: WebhookCounter, label?: string, by?: number): void;
  /** Records an idempotency key; false when it was already there (a redelivery or a replay). */
  markSeen(webhookId: string, originalDeliveryId: string, now: number): boolean;
  /** Moves the store's last verified delivery time forward, never back. */
  setLastVerified(storeId: string, now: number): void;
}

export function createDeliveryLogWriter(sqlite: BetterSqlite3.Database): DeliveryLogWriter {
  const insertLog = sqlite.prepare(
    `insert into webhook_deliveries (received_at, store_id, webhook_id, delivery_id, original_delivery_id, event_type,
       invoice_id, is_redelivery, result, signature_preview, payload, verified, http_status)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // New keys (nearly all): one plain insert, appended (rowid = insertion order), its hash into the
  // unique integer index (store/seen-key.ts; migration 010). Only when the hash is taken are the
  // texts compared: the same ids are a duplicate; other ids (a collision) are looked up among,
  // and else stored with, a null hash.
  const seen = sqlite.prepare('insert into webhook_seen (key, webhook_id, original_delivery_id, first_seen_at) values (?, ?, ?, ?) on conflict (key) do nothing');
  const sameIds = sqlite.prepare('select webhook_id = ? and original_delivery_id = ? from webhook_seen where key = ?').pluck();
  const collided = sqlite.prepare('select 1 from webhook_seen where key is null and webhook_id = ? and original_delivery_id = ?').pluck();
  const storeCollided = sqlite.prepare('insert into webhook_seen (key, webhook_id, original_delivery_id, first_seen_at) values (null, ?, ?, ?)');
  const lastVerified = sqlite.prepare(
    `insert into webhook_store_state (store_id, last_verified_at) values (?, ?)
     on conflict (store_id) do update set last_verified_at = max(coalesce(webhook_store_state.last_verified_at, 0), excluded.last_verified_at)`,
  );
  return {
    logDelivery(e) {
      insertLog.run(
        e.receivedAt,
        e.storeId ?? null,
        e.webhookId ?? null,
        e.deliveryId ?? null,
        e.originalDeliveryId ?? null,
        e.eventType ?? null,
        e.invoiceId ?? null,
        e.isRedelivery === undefined || e.isRedelivery === null ? null : e.isRedelivery ? 1 : 0,
        e.result,
        e.signaturePreview,
        e.verified ? (e.payload ?? null) : null,
        e.verified ? 1 : 0,
        e.httpStatus,
      );
    },
    bumpCounter(storeId, counter, label = '', by = 1) {
      bumpWebhookCounter(sqlite, storeId, counter, label, by);
    },
    markSeen(webhookId, originalDeliveryId, now) {
      const key = seenKey(webhookId, originalDeliveryId);
      if (seen.run(key, webhookId, originalDeliveryId, now).changes > 0) return true;
      if (sameIds.get(webhookId, originalDeliveryId, key) === 1) return false;
      if (collided.get(webhookId, originalDeliveryId) !== undefined) return false;
      storeCollided.run(webhookId, originalDeliveryId, now);
      return true;
    },
    setLastVerified(storeId, now) {
      lastVerified.run(storeId, now);
    },
  };
}

const BUMP_COUNTER = `insert into webhook_counters (store_id, counter, label, count) values (?, ?, ?, ?)
  on conflict (store_id, counter, label) do update set count = webhook_counters.count + excluded.count`;

/**
 * The one way a webhook counter goes up (the receiver's batches and the missed-webhook detector):
 * synchronous, on the connection of the caller's transaction.
 */
export function bumpWebhookCounter(sqlite: BetterSqlite3.Database, storeId: string, counter: WebhookCounter, label = '', by = 1): void {
  prepared(sqlite, BUMP_COUNTER).run(storeId, counter, label, by);
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
  // Keys are appended in time order (rowid = insertion order, migration 010): the old ones are the
  // lowest ids, up to the first key young enough to keep (a clock set back leaves some old keys
  // after it; they go in a later prune). No index on first_seen_at is needed for that walk.
  const seenDeleted = await sql`
    DELETE FROM webhook_seen WHERE id IN (
      SELECT s.id FROM webhook_seen s
      WHERE s.id < coalesce((SELECT y.id FROM webhook_seen y WHERE y.first_seen_at >= ${cutoff} ORDER BY y.id LIMIT 1), 9223372036854775807)
        AND s.first_seen_at < ${cutoff}
        AND NOT EXISTS (
          SELECT 1 FROM webhook_deliveries d
          WHERE d.webhook_id = s.webhook_id AND d.original_delivery_id = s.original_delivery_id AND d.result = 'accepted')
      ORDER BY s.id
      LIMIT ${batch})`.execute(db);
  return Number(logDeleted.numDeletedRows) + Number(seenDeleted.numAffectedRows ?? 0n);
}
