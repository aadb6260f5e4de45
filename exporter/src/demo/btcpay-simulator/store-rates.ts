// GET /api/v1/stores/{storeId}/rates as BTCPay answers it (FACTS.md g): needs
// btcpay.store.canviewstoresettings; without `currencyPair` the store's default pairs; each entry
// {currencyPair, rate (decimal string, or null when the pair cannot be rated), errors}; a malformed
// pair ends the list (200 with the pairs parsed before it). Rates are believable and move slowly
// (±1 % over six hours) without drawing from the seeded stream.
import { PERM, missingPermissionBody, type ApiKeys } from './api-keys.js';
import type { SimClock } from './clock.js';
import type { SimModel } from './model.js';
import type { SimRouter } from './router.js';

/** Mid-market USD (or other quote) per BTC the simulated rate provider centres on. */
const MID: Record<string, number> = { USD: 80_000, EUR: 73_500, GBP: 63_000, CHF: 70_500, JPY: 12_300_000 };
const PAIR = /^([A-Z0-9]+)_([A-Z0-9]+)$/;

export class SimStoreRates {
  /** "storeId/PAIR" that the provider cannot rate now (rate null). */
  private readonly failing = new Set<string>();

  constructor(
    private readonly model: SimModel,
    private readonly clock: SimClock,
  ) {}

  /** Makes a pair unratable for a store (null, with an error) until restored. */
  fail(storeId: string, pair: string): void {
    this.failing.add(`${storeId}/${pair}`);
  }

  restore(storeId: string, pair: string): void {
    this.failing.delete(`${storeId}/${pair}`);
  }

  /** The rate of BTC in `quote` now, as BTCPay's decimal string; undefined for an unknown quote. */
  rate(quote: string, at: number = this.clock.now()): string | undefined {
    if (quote === 'BTC') return '1';
    if (quote === 'SATS') return '100000000';
    const mid = MID[quote];
    if (mid === undefined) return undefined;
    return (mid * (1 + 0.01 * Math.sin((2 * Math.PI * at) / 21_600))).toFixed(2);
  }

  /** One entry of the answer. */
  entry(storeId: string, pair: string): { currencyPair: string; rate: string | null; errors: string[] } {
    const m = PAIR.exec(pair)!;
    const rate = m[1] === 'BTC' && !this.failing.has(`${storeId}/${pair}`) ? this.rate(m[2]!) : undefined;
    return rate === undefined
      ? { currencyPair: pair, rate: null, errors: [`Rate unavailable: the rate provider gave no rate for ${pair}`] }
      : { currencyPair: pair, rate, errors: [] };
  }

  /** The answer for a store and the requested pairs (the store's defaults when none). */
  answer(storeId: string, requested: readonly string[]): Array<{ currencyPair: string; rate: string | null; errors: string[] }> {
    const pairs = requested.length > 0 ? requested : this.model.store(storeId).defaultCurrencyPairs;
    const out = [];
    for (const p of pairs) {
      const pair = p.trim().toUpperCase();
      if (!PAIR.test(pair)) break; // BTCPay records a model error and answers with what it had
      out.push(this.entry(storeId, pair));
    }
    return out;
  }
}

export function registerStoreRatesRoute(router: SimRouter, keys: ApiKeys, model: SimModel, rates: SimStoreRates): void {
  router.add('GET', '/api/v1/stores/:storeId/rates', (req) => {
    const storeId = req.params.storeId!;
    if (!model.stores.has(storeId) || !keys.can(req.apiKey!, PERM.viewStoreSettings, storeId)) {
      return { status: 403, body: missingPermissionBody(PERM.viewStoreSettings) };
    }
    return { status: 200, body: rates.answer(storeId, req.query.getAll('currencyPair')) };
  });
}
