// BTC amounts inside the simulator are integer millisatoshis (bigint): Lightning payments carry up
// to 11 decimals, and keeping msats makes BTCPay's "round up to 8 decimals" an integer ceiling.
import { Decimal } from '../../money.js';

export const MSATS_PER_BTC = 100_000_000_000n;

/** Ceiling to whole satoshis, still in msats. */
export function ceilToSat(msats: bigint): bigint {
  const r = msats % 1000n;
  return r === 0n ? msats : msats + (1000n - r);
}

/**
 * Decimal string as BTCPay writes it: "0" for zero, else 8 decimals, or 11 when the value has a
 * sub-satoshi part (Lightning).
 */
export function formatBtc(msats: bigint): string {
  if (msats === 0n) return '0';
  const neg = msats < 0n;
  const abs = neg ? -msats : msats;
  const whole = abs / MSATS_PER_BTC;
  const frac = (abs % MSATS_PER_BTC).toString().padStart(11, '0');
  const s = `${whole}.${abs % 1000n === 0n ? frac.slice(0, 8) : frac}`;
  return neg ? `-${s}` : s;
}

/** price (invoice currency) / rate, rounded up to whole sats, in msats. */
export function priceToMsats(price: string, rate: string): bigint {
  const sats = new Decimal(price).div(new Decimal(rate)).times(100_000_000).ceil();
  return BigInt(sats.toFixed(0)) * 1000n;
}

/** msats × rate in the invoice currency, as an exact Decimal. */
export function msatsToFiat(msats: bigint, rate: string): InstanceType<typeof Decimal> {
  return new Decimal(msats.toString()).div(MSATS_PER_BTC.toString()).times(new Decimal(rate));
}
