// The store's BTC rates, read after each successful store sync (Greenfield GET
// /api/v1/stores/{storeId}/rates, FACTS.md g) for the "at today's rate" fiat view. Rates are
// optional: a key without btcpay.store.canviewstoresettings is told once per store per process
// and the store has no rates; any other failure keeps the last rates; neither fails the sync.
import type { Kysely } from 'kysely';
import type { Logger } from '../../log.js';
import type { Database } from '../../store/schema.js';
import { deleteStoreRates, replaceStoreRates, type StoreRate } from '../../store/store-rates.js';
import { SyncError } from '../sync-error.js';
import type { GreenfieldClient } from './greenfield-client.js';

/** BASE_QUOTE, e.g. BTC_USD (BTCPay answers 200 even when a pair was malformed: check it here). */
const PAIR = /^[A-Z0-9]{2,12}_[A-Z0-9]{2,12}$/;

export interface StoreRatesOptions {
  db: Kysely<Database>;
  client: GreenfieldClient;
  log: Logger;
  now?: () => number;
}

export class StoreRatesReader {
  /** Stores whose key lacks the permission, already logged in this process. */
  private readonly toldMissingPermission = new Set<string>();

  constructor(private readonly opts: StoreRatesOptions) {}

  /** Reads and stores the rates of one store. Never throws (except when aborted). */
  async sync(storeId: string, signal?: AbortSignal): Promise<void> {
    const { db, client, log } = this.opts;
    let answer;
    try {
      answer = await client.getStoreRates(storeId, signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      if (err instanceof SyncError && err.reason === 'missing_permission') {
        if (!this.toldMissingPermission.has(storeId)) {
          this.toldMissingPermission.add(storeId);
          log.info(
            { store: storeId },
            'the API key may not read the store rates (btcpay.store.canviewstoresettings): btcpay_store_rate stays absent for this store',
          );
        }
        await deleteStoreRates(db, storeId).catch((e: unknown) =>
          log.error({ store: storeId, err: e instanceof Error ? e.message : String(e) }, 'could not remove the store rates'),
        );
        return;
      }
      log.warn({ store: storeId, err: err instanceof Error ? err.message : String(err) }, 'could not read the store rates; keeping the last ones');
      return;
    }
    const rates: StoreRate[] = [];
    for (const r of answer) {
      if (!PAIR.test(r.currencyPair)) {
        log.warn({ store: storeId, pair: r.currencyPair }, 'ignoring a malformed currency pair in the store rates');
        continue;
      }
      // A pair BTCPay could not rate now is absent, not 0 and not its old value.
      if (r.rate === null || !(Number(r.rate) > 0)) continue;
      rates.push({ currencyPair: r.currencyPair, rate: r.rate });
    }
    try {
      await replaceStoreRates(db, storeId, rates, (this.opts.now ?? (() => Math.floor(Date.now() / 1000)))());
    } catch (err) {
      log.error({ store: storeId, err: err instanceof Error ? err.message : String(err) }, 'could not store the store rates');
    }
  }
}
