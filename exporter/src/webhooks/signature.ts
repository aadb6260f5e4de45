// BTCPay-Sig verification: HMAC-SHA256 of the exact raw body bytes with the webhook secret,
// sent as `sha256=<lower-hex>` (FACTS.md a). Runs before any parsing; compares in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'btcpay-sig';

export type SignatureCheck =
  | { ok: true }
  | { ok: false; reason: 'missing_signature' | 'bad_signature' };

/** `sha256=` + lower-hex HMAC, exactly as BTCPay computes it. */
export function signBody(body: Uint8Array | string, secret: string): string {
  return `sha256=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex')}`;
}

const HEADER_RE = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * Verifies a header value against the body. A header of the wrong shape is a bad signature;
 * only an absent or blank header is a missing one. Both sides are 32 bytes before the
 * constant-time compare, so nothing about the expected digest leaks through timing.
 */
export function verifySignature(body: Uint8Array, header: string | undefined, secret: string): SignatureCheck {
  if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing_signature' };
  const m = HEADER_RE.exec(header.trim());
  if (!m) return { ok: false, reason: 'bad_signature' };
  const received = Buffer.from(m[1]!, 'hex');
  const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest();
  return timingSafeEqual(received, expected) ? { ok: true } : { ok: false, reason: 'bad_signature' };
}

/** Finds the BTCPay-Sig header in a header map whatever its case; repeated headers count as bad. */
export function signatureHeader(headers: Record<string, string | string[] | undefined>): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() !== SIGNATURE_HEADER) continue;
    if (Array.isArray(value)) return value.join(', ');
    return value;
  }
  return undefined;
}

/** A few leading characters of the received header, to tell deliveries apart; never secret. */
export function signaturePreview(header: string | undefined): string | null {
  if (header === undefined || header.trim() === '') return null;
  const clean = header.trim().slice(0, 15).replace(/[^A-Za-z0-9=]/g, '?');
  return header.trim().length > 15 ? `${clean}…` : clean;
}
