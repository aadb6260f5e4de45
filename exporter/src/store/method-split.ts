// An invoice's BTC received, split by payment method (invoices.btc_paid_by_method, migration 008).
// The split is computed where btc_paid_sats is (from the same payment methods), travels with the
// invoice row, and feeds the per-method running totals. Whatever part of btc_paid_sats the split
// does not cover (only rows from before the split existed whose payment methods were never stored)
// is counted under UNKNOWN_METHOD, so the per-method totals always sum to the raised sats.

export type MethodSplit = Readonly<Record<string, number>>;

/** Where sats go that no stored payment method accounts for (the `unknown` of the label contracts). */
export const UNKNOWN_METHOD = 'unknown';

/** The column's text: sorted keys, so equal splits are equal strings. */
export function encodeMethodSplit(split: MethodSplit | undefined): string {
  if (!split) return '{}';
  const keys = Object.keys(split);
  // Already in order (as btcPaidByMethod and decodeMethodSplit give it): no copy.
  const sorted: Record<string, number> = {};
  if (keys.every((k, i) => i === 0 || keys[i - 1]! < k)) Object.assign(sorted, split);
  else for (const key of keys.sort()) sorted[key] = split[key]!;
  const text = JSON.stringify(sorted);
  remember(text, Object.freeze(sorted));
  return text;
}

/**
 * Splits seen lately, by their text: a write encodes the new row's split and then adds it to the
 * totals, and reads the previous row's split for the record it returns and for the totals; each
 * text is parsed once. Bounded (cleared when full); the objects are frozen, so sharing is safe.
 */
const recent = new Map<string, Readonly<Record<string, number>>>();
const RECENT_MAX = 4096;

function remember(text: string, split: Readonly<Record<string, number>>): void {
  if (recent.size >= RECENT_MAX) recent.clear();
  recent.set(text, split);
}

export function decodeMethodSplit(text: string): Readonly<Record<string, number>> {
  const known = recent.get(text);
  if (known) return known;
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`not a payment-method split: ${text}`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`not a payment-method split: ${text}`);
    out[k] = v;
  }
  Object.freeze(out);
  remember(text, out);
  return out;
}

/**
 * The sats an invoice row adds to each method's total when it counts as raised: its split, plus
 * the rest of btc_paid_sats (if any) under UNKNOWN_METHOD. The values sum to btc_paid_sats.
 */
export function raisedByMethod(row: { btc_paid_sats: number; btc_paid_by_method: string }): Map<string, number> {
  const out = new Map<string, number>();
  let covered = 0;
  if (row.btc_paid_by_method === '{}') {
    if (row.btc_paid_sats !== 0) out.set(UNKNOWN_METHOD, row.btc_paid_sats);
    return out;
  }
  for (const [method, sats] of Object.entries(decodeMethodSplit(row.btc_paid_by_method))) {
    out.set(method, sats);
    covered += sats;
  }
  if (covered !== row.btc_paid_sats) out.set(UNKNOWN_METHOD, (out.get(UNKNOWN_METHOD) ?? 0) + row.btc_paid_sats - covered);
  return out;
}
