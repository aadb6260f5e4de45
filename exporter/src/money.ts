// Money at the parsing edge: BTC decimal strings become integer sats without ever touching a
// float, and fiat decimal strings are summed exactly with decimal.js.
import { Decimal as DecimalJs } from 'decimal.js';

/** A Decimal with enough precision that no realistic sum is ever rounded. */
export const Decimal = DecimalJs.clone({ precision: 200, rounding: DecimalJs.ROUND_HALF_UP, toExpNeg: -1000, toExpPos: 1000 });
export type Decimal = InstanceType<typeof Decimal>;

export class MoneyParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyParseError';
  }
}

const DECIMAL_RE = /^(-)?(\d+)(?:\.(\d+))?$/;
export const SATS_PER_BTC = 100_000_000n;

export type SatsRounding = 'exact' | 'down' | 'up';

/**
 * Parses a BTC amount such as "0.00081532" into integer sats.
 * - 'exact' (default) rejects values with a sub-satoshi part (more than 8 significant decimals);
 * - 'down' / 'up' round sub-satoshi parts (Lightning values carry up to 11 decimals) toward zero / away from it.
 * Throws MoneyParseError for anything that is not a plain decimal, and for values beyond
 * Number.MAX_SAFE_INTEGER sats (90 million BTC, far beyond the supply: a sign of corrupt input).
 */
export function btcToSats(value: string, rounding: SatsRounding = 'exact'): number {
  const m = DECIMAL_RE.exec(value);
  if (!m) throw new MoneyParseError(`not a decimal BTC amount: ${JSON.stringify(value)}`);
  const negative = m[1] === '-';
  const whole = BigInt(m[2]!);
  const frac = m[3] ?? '';
  const head = frac.slice(0, 8).padEnd(8, '0');
  const tail = frac.slice(8);
  let sats = whole * SATS_PER_BTC + BigInt(head);
  if (/[1-9]/.test(tail)) {
    if (rounding === 'exact') {
      throw new MoneyParseError(`BTC amount has a sub-satoshi part: ${JSON.stringify(value)}`);
    }
    if (rounding === 'up') sats += 1n;
  }
  if (sats > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MoneyParseError(`BTC amount out of range: ${JSON.stringify(value)}`);
  }
  const n = Number(sats);
  return negative && n !== 0 ? -n : n;
}

/** Millisatoshis, exact for up to 11 decimals (Lightning precision). */
export function btcToMsats(value: string): bigint {
  const m = DECIMAL_RE.exec(value);
  if (!m) throw new MoneyParseError(`not a decimal BTC amount: ${JSON.stringify(value)}`);
  const frac = m[3] ?? '';
  if (/[1-9]/.test(frac.slice(11))) {
    throw new MoneyParseError(`BTC amount has a sub-millisatoshi part: ${JSON.stringify(value)}`);
  }
  const msats = BigInt(m[2]!) * SATS_PER_BTC * 1000n + BigInt(frac.slice(0, 11).padEnd(11, '0'));
  return m[1] === '-' ? -msats : msats;
}

/** Integer sats back to a BTC decimal string with 8 places ("0.00081532"). */
export function satsToBtc(sats: number | bigint): string {
  const v = BigInt(sats);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const s = `${abs / SATS_PER_BTC}.${(abs % SATS_PER_BTC).toString().padStart(8, '0')}`;
  return neg ? `-${s}` : s;
}

/** Parses a decimal string strictly (no exponents, no spaces, no hex). */
export function parseDecimal(value: string): Decimal {
  if (!DECIMAL_RE.test(value)) throw new MoneyParseError(`not a decimal amount: ${JSON.stringify(value)}`);
  return new Decimal(value);
}

export function isDecimalString(value: string): boolean {
  return DECIMAL_RE.test(value);
}

/** Exact a + b of two decimal strings, returned in plain notation without trailing zeros. */
export function addDecimalStrings(a: string, b: string): string {
  return plain(parseDecimal(a).plus(parseDecimal(b)));
}

/** Exact a − b of two decimal strings. */
export function subtractDecimalStrings(a: string, b: string): string {
  return plain(parseDecimal(a).minus(parseDecimal(b)));
}

/** Plain notation; never "-0". */
export function plain(d: Decimal): string {
  return d.isZero() ? '0' : d.toFixed();
}
