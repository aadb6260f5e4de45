// BTCPay does its crowdfund arithmetic in .NET `decimal`: a 96-bit integer mantissa and a scale of
// 0..28. Results that fit are exact; the rest are rounded half-to-even to the largest scale that
// fits (DecCalc.ScaleResult / VarDecDiv). Realistic sums and products always fit, so this only
// matters for percentages (a division) and for pathological rates, but reproducing it keeps our
// figures equal to BTCPay's digit for digit.
import { Decimal as DecimalJs } from 'decimal.js';
import { Decimal, parseDecimal } from '../../../money.js';

const MAX_SCALE = 28;
const MANTISSA_LIMIT = new Decimal(2).pow(96); // exclusive

export class DecimalOverflowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecimalOverflowError';
  }
}

/** Rounds an exact value to the .NET decimal BTCPay would hold. */
export function toNetDecimal(x: DecimalJs): Decimal {
  if (x.isZero()) return new Decimal(0);
  for (let scale = Math.min(MAX_SCALE, x.decimalPlaces()); scale >= 0; scale--) {
    // toDecimalPlaces ignores the clone's precision, so a 400-digit quotient rounds exactly here.
    const r = new Decimal(x.toDecimalPlaces(scale, DecimalJs.ROUND_HALF_EVEN).toFixed());
    if (r.abs().times(new Decimal(10).pow(scale)).lt(MANTISSA_LIMIT)) return r;
  }
  throw new DecimalOverflowError(`value too large for a .NET decimal: ${x.toFixed()}`);
}

/** A decimal string as .NET would parse it. */
export function netParse(s: string): Decimal {
  return toNetDecimal(parseDecimal(s));
}

// Operands are .NET decimals (≤ 29 digits), so sums and products are exact at money.ts's precision
// of 200 digits before rounding.
export const netAdd = (a: Decimal, b: Decimal): Decimal => toNetDecimal(a.plus(b));
export const netSub = (a: Decimal, b: Decimal): Decimal => toNetDecimal(a.minus(b));
export const netMul = (a: Decimal, b: Decimal): Decimal => toNetDecimal(a.times(b));

// Division is truncated at 400 digits, then rounded. That is exact: the true quotient a/b of two
// .NET decimals either terminates within those digits, or its expansion cannot hold a run of more
// than 29 zeros (b's mantissa < 10^29), so the truncated tail never fakes a tie or hides a carry.
const Wide = DecimalJs.clone({ precision: 400, rounding: DecimalJs.ROUND_DOWN, toExpNeg: -1000, toExpPos: 1000 });

export function netDiv(a: Decimal, b: Decimal): Decimal {
  if (b.isZero()) throw new RangeError('division by zero');
  return toNetDecimal(new Wide(a.toFixed()).div(new Wide(b.toFixed())));
}
