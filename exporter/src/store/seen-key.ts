// The integer key of webhook_seen (migration 010): a 53-bit hash of (webhookId, originalDeliveryId).
// BTCPay's delivery ids are random, so an index on the two texts took every new idempotency key
// to a random leaf of a wide B-tree (≈ 50 bytes an entry); this index holds 8-byte integers, five
// times as many per page, so the pages a burst touches stay in SQLite's small cache. The hash only
// narrows the search: a key counts as seen only when both texts match too, so a collision can
// never drop a delivery (the second key of a hash is stored with a null hash: store/webhook-log.ts).
// cyrb53 (public domain, bryc): two 32-bit FNV-like lanes mixed at the end; fast on short strings.
export function seenKey(webhookId: string, originalDeliveryId: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  const mix = (c: number) => {
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  };
  for (let i = 0; i < webhookId.length; i++) mix(webhookId.charCodeAt(i));
  mix(0); // separator: ("ab", "c") and ("a", "bc") differ
  for (let i = 0; i < originalDeliveryId.length; i++) mix(originalDeliveryId.charCodeAt(i));
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** The SQL name under which every connection knows seenKey (store/connection.ts), for migrations. */
export const SEEN_KEY_SQL_FUNCTION = 'webhook_seen_key';
