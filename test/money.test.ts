// btcToSats: BTC decimal strings to integer sats without floating point.
import { describe, expect, it } from 'vitest';
import { MoneyParseError, btcToSats } from '../exporter/src/money.js';

describe('btcToSats', () => {
  it('parses zero in every spelling BTCPay uses', () => {
    expect(btcToSats('0')).toBe(0);
    expect(btcToSats('0.0')).toBe(0);
    expect(btcToSats('0.00000000')).toBe(0);
  });

  it('parses 8 decimal places exactly, including values floats get wrong', () => {
    expect(btcToSats('0.00081532')).toBe(81_532);
    expect(btcToSats('0.00000001')).toBe(1);
    expect(btcToSats('1')).toBe(100_000_000);
    expect(btcToSats('21.00000000')).toBe(2_100_000_000);
    // 0.1 + 0.2 style trap: as a float 0.29 * 1e8 is 28999999.999999996
    expect(btcToSats('0.29')).toBe(29_000_000);
    expect(btcToSats('1.15')).toBe(115_000_000);
  });

  it('handles 11 decimal places (Lightning) according to the rounding mode', () => {
    expect(() => btcToSats('0.00081532123')).toThrow(MoneyParseError);
    expect(btcToSats('0.00081532123', 'down')).toBe(81_532);
    expect(btcToSats('0.00081532123', 'up')).toBe(81_533);
    // A sub-satoshi part made only of zeros is not a remainder.
    expect(btcToSats('0.00081532000')).toBe(81_532);
    expect(btcToSats('0.00081532000', 'up')).toBe(81_532);
    expect(btcToSats('0.00000000001', 'up')).toBe(1);
    expect(btcToSats('0.00000000999', 'down')).toBe(0);
  });

  it('parses huge values exactly up to the safe-integer limit and rejects beyond', () => {
    expect(btcToSats('21000000')).toBe(2_100_000_000_000_000);
    expect(btcToSats('90071992.54740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => btcToSats('90071992.54740992')).toThrow(/out of range/);
    expect(() => btcToSats('1000000000000000000000')).toThrow(MoneyParseError);
  });

  it('rejects malformed strings', () => {
    for (const bad of ['', '1e5', '0x10', ' 1', '1 ', '1.', '.5', '+1', '1,5', 'NaN', 'Infinity', '--1', '0.0.1', '١']) {
      expect(() => btcToSats(bad), JSON.stringify(bad)).toThrow(MoneyParseError);
    }
  });

  it('keeps the sign of negative values (BTCPay sends negative `due` when overpaid)', () => {
    expect(btcToSats('-0.1')).toBe(-10_000_000);
    expect(btcToSats('-0')).toBe(0);
    expect(Object.is(btcToSats('-0'), -0)).toBe(false);
  });
});
