// BTCPay webhook bodies byte for byte as FACTS.md b shows them (Newtonsoft indented JSON, LF, no
// trailing newline), and helpers that sign and deliver bodies the way BTCPay does.
import { signBody } from '../../exporter/src/webhooks/signature.js';

export { EXPIRED_BODY, FACTS_SECRET, FACTS_STORE, RECEIVED_PAYMENT_BODY, SETTLED_BODY } from '../helpers/btcpay-facts.js';

let seq = 0;
/** A unique Base58-looking id (22 chars), like BTCPay's delivery ids. */
export function newId(prefix = 'D'): string {
  seq += 1;
  return `${prefix}${process.pid.toString(36)}x${seq.toString(36)}${Math.random().toString(36).slice(2)}`.slice(0, 22).padEnd(22, 'z');
}

export interface EventOptions {
  type: string;
  storeId: string;
  invoiceId?: string;
  webhookId?: string;
  deliveryId?: string;
  originalDeliveryId?: string;
  timestamp?: number;
  extra?: Record<string, unknown>;
}

/** An event object in BTCPay's key order: specific fields, common fields, then storeId/invoiceId/metadata. */
export function invoiceEvent(o: EventOptions): Record<string, unknown> {
  const deliveryId = o.deliveryId ?? newId();
  const ev: Record<string, unknown> = {
    ...(o.extra ?? {}),
    deliveryId,
    webhookId: o.webhookId ?? 'LjcHN4LxshnDu1Kwro5erG',
    originalDeliveryId: o.originalDeliveryId ?? deliveryId,
    isRedelivery: o.originalDeliveryId !== undefined && o.originalDeliveryId !== deliveryId,
    type: o.type,
    timestamp: o.timestamp ?? 1763742334,
    storeId: o.storeId,
  };
  if (o.invoiceId !== undefined) {
    ev.invoiceId = o.invoiceId;
    ev.metadata = { orderId: 'order-1' };
  }
  return ev;
}

/** Serialised as BTCPay does: indented with two spaces, LF, no trailing newline. */
export function btcpayBytes(event: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify(event, null, 2), 'utf8');
}

export interface PostResult {
  status: number;
  body: unknown;
}

/** POSTs exact bytes with an optional BTCPay-Sig header. */
export async function post(url: string, body: Uint8Array | string, signature?: string, headers: Record<string, string> = {}): Promise<PostResult> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'BTCPayServer/2.4.1',
      ...(signature !== undefined ? { 'BTCPay-Sig': signature } : {}),
      ...headers,
    },
    body,
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}

/** Signs and delivers an event like BTCPay: returns the HTTP status. */
export async function deliver(url: string, event: Record<string, unknown>, secret: string): Promise<PostResult> {
  const bytes = btcpayBytes(event);
  return post(url, bytes, signBody(bytes, secret));
}

/** Reads one sample value from a Prometheus text exposition; undefined when absent. */
export function sample(metricsText: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(`${name}{`) && line.split(' ')[0] !== name) continue;
    const m = /^([^{\s]+)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) got[pair[1]!] = pair[2]!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v) && Object.keys(got).length === Object.keys(labels).length) {
      return Number(m[3]);
    }
  }
  return undefined;
}
