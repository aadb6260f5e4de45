import { describe, expect, it } from 'vitest';
import {
  crowdfundAppSchema,
  displayTitle,
  jsonNumberToDecimalString,
  parseCrowdfundAppJson,
  quoteTopLevelNumber,
} from '../../../../exporter/src/sources/btcpay/crowdfund/settings.js';

// The example response of CROWDFUND.md g (shortened where it does not matter).
const EXAMPLE = {
  perks: [
    { id: 'early-bird', title: 'Early bird', disabled: false, description: 'Your name.', categories: null, image: null, priceType: 'Fixed', price: '50', buyButtonText: null, inventory: 3, taxRate: null },
    { id: 'supporter', title: 'Supporter', disabled: false, description: null, categories: null, image: null, priceType: 'Minimum', price: '100', buyButtonText: 'Support', inventory: null, taxRate: null },
    { id: 'donation', title: 'Donate any amount', disabled: true, description: null, categories: null, image: null, priceType: 'Topup', price: null, buyButtonText: null, inventory: null, taxRate: null, customKey: 'kept' },
  ],
  title: 'Community Lightning node fund',
  enabled: true,
  enforceTargetAmount: false,
  startDate: 1761955200,
  targetCurrency: 'USD',
  description: '<p>Help us.</p>',
  endDate: 1769900400,
  targetAmount: 25000.0,
  mainImageUrl: null,
  resetEveryAmount: 1,
  resetEvery: 'Never',
  displayPerksValue: false,
  displayPerksRanking: true,
  sortPerksByPopularity: true,
  sounds: ['https://cdn.example.org/sounds/coin.wav'],
  animationColors: ['#FF6138'],
  formId: null,
  id: '2A2MhfxsirgJGHcY6ydS9WaJS2o4',
  appType: 'Crowdfund',
  appName: 'node-fund',
  storeId: 'YLPVGjoBw3vqwZ2vbWqNfMy4dZdzcj54w53PYjnBYri',
  archived: false,
  created: 1760951564,
};

describe('crowdfund app settings', () => {
  it('parses the example response of CROWDFUND.md with flat perks and unknown keys kept', () => {
    const app = crowdfundAppSchema.parse(EXAMPLE);
    expect(app.targetAmount).toBe('25000');
    expect(app.targetCurrency).toBe('USD');
    expect(app.startDate).toBe(1761955200);
    expect(app.endDate).toBe(1769900400);
    expect(app.resetEvery).toBe('Never');
    expect(app.perks.map((p) => [p.id, p.price, p.priceType, p.disabled])).toEqual([
      ['early-bird', '50', 'Fixed', false],
      ['supporter', '100', 'Minimum', false],
      ['donation', null, 'Topup', true],
    ]);
    expect((app.perks[2] as Record<string, unknown>)['customKey']).toBe('kept');
    expect((app as Record<string, unknown>)['sounds']).toEqual(EXAMPLE.sounds);
    expect(displayTitle(app)).toBe('Community Lightning node fund');
  });

  it('converts JSON-number targets without float artefacts', () => {
    expect(jsonNumberToDecimalString(420.69)).toBe('420.69');
    expect(jsonNumberToDecimalString(0.3)).toBe('0.3');
    expect(jsonNumberToDecimalString(25000.0)).toBe('25000');
    expect(jsonNumberToDecimalString(1e21)).toBe('1000000000000000000000');
    expect(crowdfundAppSchema.parse({ ...EXAMPLE, targetAmount: 1234.56 }).targetAmount).toBe('1234.56');
  });

  it('treats a null, missing or zero target as "no target", as BTCPay does', () => {
    expect(crowdfundAppSchema.parse({ ...EXAMPLE, targetAmount: null }).targetAmount).toBeNull();
    const { targetAmount: _omit, ...noTarget } = EXAMPLE;
    expect(crowdfundAppSchema.parse(noTarget).targetAmount).toBeNull();
    expect(crowdfundAppSchema.parse({ ...EXAMPLE, targetAmount: 0.0 }).targetAmount).toBeNull();
  });

  it('keeps every digit of a long target when parsing the raw response text', () => {
    const text = JSON.stringify({ ...EXAMPLE, targetAmount: 0 }).replace(
      '"targetAmount":0',
      '"targetAmount": 12345678901234567890.123456789',
    );
    // A plain JSON.parse loses the digits; that is why the raw text is used.
    expect(String(JSON.parse(text).targetAmount)).not.toBe('12345678901234567890.123456789');
    expect(parseCrowdfundAppJson(text).targetAmount).toBe('12345678901234567890.123456789');
  });

  it('rewrites only the top-level key, never text inside strings or nested objects', () => {
    const text = '{"description":"say \\"targetAmount\\": 5","perks":[{"targetAmount":7}],"targetAmount":9.10}';
    expect(quoteTopLevelNumber(text, 'targetAmount')).toBe(
      '{"description":"say \\"targetAmount\\": 5","perks":[{"targetAmount":7}],"targetAmount":"9.10"}',
    );
    expect(quoteTopLevelNumber('{"targetAmount":null}', 'targetAmount')).toBe('{"targetAmount":null}');
  });

  it('rejects what the exporter cannot compute with, naming the field', () => {
    expect(() => crowdfundAppSchema.parse({ ...EXAMPLE, resetEvery: 'Week' })).toThrow(/resetEvery/);
    expect(() => crowdfundAppSchema.parse({ ...EXAMPLE, targetCurrency: ' ' })).toThrow(/targetCurrency/);
    expect(() => crowdfundAppSchema.parse({ ...EXAMPLE, startDate: '2025-11-01' })).toThrow(/startDate/);
    expect(() => crowdfundAppSchema.parse({ ...EXAMPLE, perks: [{ title: 'no id' }] })).toThrow(/id/);
  });

  it('falls back to the app name when the title is empty', () => {
    expect(displayTitle(crowdfundAppSchema.parse({ ...EXAMPLE, title: '' }))).toBe('node-fund');
  });
});
