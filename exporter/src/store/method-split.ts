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
  const sorted: Record<string, number> = {};
  for (const key of Object.keys(split).sort()) sorted[key] = split[key]!;
  return JSON.stringify(sorted);
}

export function decodeMethodSplit(text: string): Record<string, number> {
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`not a payment-method split: ${text}`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Error(`not a payment-method split: ${text}`);
    out[k] = v;
  }
  return out;
}

/**
 * The sats an invoice row adds to each method's total when it counts as raised: its split, plus
 * the rest of btc_paid_sats (if any) under UNKNOWN_METHOD. The values sum to btc_paid_sats.
 */
export function raisedByMethod(row: { btc_paid_sats: number; btc_paid_by_method: string }): Map<string, number> {
  const out = new Map<string, number>();
  let covered = 0;
  for (const [method, sats] of Object.entries(decodeMethodSplit(row.btc_paid_by_method))) {
    out.set(method, sats);
    covered += sats;
  }
  if (covered !== row.btc_paid_sats) out.set(UNKNOWN_METHOD, (out.get(UNKNOWN_METHOD) ?? 0) + row.btc_paid_sats - covered);
  return out;
}
