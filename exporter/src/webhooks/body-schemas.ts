// zod schemas for BTCPay webhook bodies (FACTS.md b). Parsed only after the signature verified.
// Unknown event types are valid deliveries: they pass the common schema and are ignored.
import { z } from 'zod';

import { INVOICE_EVENT_TYPES, type InvoiceEventType } from '../metrics/labels.js';

const id = z.string().min(1).max(128);

/** Fields every event carries. originalDeliveryId equals deliveryId on a first delivery. */
export const webhookCommonSchema = z.object({
  deliveryId: id,
  webhookId: id,
  originalDeliveryId: id.nullish(),
  isRedelivery: z.boolean().optional(),
  type: z.string().min(1).max(128),
  timestamp: z.number().int().min(0).max(2 ** 40),
  storeId: id,
});
export type WebhookCommon = z.infer<typeof webhookCommonSchema>;

// The booleans are always present on BTCPay v2.4; optional here so older servers still parse.
export const invoiceEventSchema = webhookCommonSchema.extend({
  type: z.enum(INVOICE_EVENT_TYPES),
  invoiceId: id,
  metadata: z.record(z.string(), z.unknown()).nullish(),
  manuallyMarked: z.boolean().optional(),
  overPaid: z.boolean().optional(),
  partiallyPaid: z.boolean().optional(),
  afterExpiration: z.boolean().optional(),
});
export type InvoiceEvent = z.infer<typeof invoiceEventSchema>;

export type ParsedWebhook =
  | { ok: true; kind: 'invoice'; event: InvoiceEvent }
  | { ok: true; kind: 'other'; event: WebhookCommon }
  | { ok: false; error: string; storeId: string | undefined };

export function isInvoiceEventType(type: string): type is InvoiceEventType {
  return (INVOICE_EVENT_TYPES as readonly string[]).includes(type);
}

/** Parses a verified body (its bytes, or its text when the caller decoded it already). Never throws. */
export function parseWebhookBody(body: Uint8Array | string): ParsedWebhook {
  let json: unknown;
  try {
    json = JSON.parse(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch {
    return { ok: false, error: 'body is not JSON', storeId: undefined };
  }
  const obj = typeof json === 'object' && json !== null ? (json as { storeId?: unknown; type?: unknown }) : undefined;
  const storeId = typeof obj?.storeId === 'string' ? obj.storeId : undefined;
  // One schema pass: an invoice event's schema includes the common fields.
  if (typeof obj?.type === 'string' && isInvoiceEventType(obj.type)) {
    const inv = invoiceEventSchema.safeParse(json);
    return inv.success ? { ok: true, kind: 'invoice', event: inv.data } : { ok: false, error: describe(inv.error), storeId };
  }
  const common = webhookCommonSchema.safeParse(json);
  if (!common.success) return { ok: false, error: describe(common.error), storeId };
  return { ok: true, kind: 'other', event: common.data };
}

function describe(err: z.ZodError): string {
  const issue = err.issues[0];
  if (!issue) return 'invalid body';
  const path = issue.path.map(String).join('.') || '(root)';
  return `${path}: ${issue.message}`.slice(0, 200);
}
