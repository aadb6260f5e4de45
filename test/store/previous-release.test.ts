// A database written by release 0.1.0 (test/fixtures/release-0.1.0, made by
// scripts/make-release-fixture.ts at commit 304ab1d) opens with the current code: migrations apply
// cleanly and /metrics exports the same business values.
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../exporter/src/store/connection.js';
import { computeTotals, readTotals } from '../../exporter/src/store/invoice-totals.js';
import { migrateToLatest } from '../../exporter/src/store/migrator.js';
import { buildMetrics } from '../../exporter/src/metrics/build.js';
import { PROJECT_ROOT } from '../../exporter/src/version.js';
import { tempDir } from '../helpers/tmp.js';

const FIXTURE = join(PROJECT_ROOT, 'test/fixtures/release-0.1.0');
const info = JSON.parse(readFileSync(join(FIXTURE, 'fixture.json'), 'utf8')) as { sources: string[]; storeIds: string[]; now: number };

/** Series lines without comments and without the collectors' timings (they differ per scrape). */
const series = (body: string) =>
  body.split('\n').filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('crowdfund_scrape_collector_duration_seconds'));

describe('a database written by release 0.1.0', () => {
  it('migrates cleanly and exports the same metric values', async () => {
    const path = join(tempDir(), 'release.db');
    copyFileSync(join(FIXTURE, 'release.db'), path);
    const database = openDatabase(path);
    try {
      await migrateToLatest(database.db);
      const metrics = buildMetrics({
        db: database.db,
        mode: 'live',
        sources: () => info.sources,
        defaultMetrics: false,
        now: () => info.now,
        webhookStores: () => info.storeIds,
      });
      const { body } = await metrics.render(false);
      const expected = readFileSync(join(FIXTURE, 'metrics.txt'), 'utf8').trimEnd().split('\n');
      // build_info carries the Node version of the machine that made the fixture.
      const norm = (l: string) => l.replace(/nodejs_version="[^"]*"/, 'nodejs_version=""');
      // Series added since 0.1.0 are checked below; everything 0.1.0 exported is unchanged.
      const since010 = /^(btcpay_payment_method_raised_sats|btcpay_store_rate)\{/;
      // The same series with the same values; their order inside a family is not part of the contract.
      expect(series(body).filter((l) => !since010.test(l)).map(norm).sort()).toEqual(expected.map(norm).sort());
      // Migration 008 filled the per-method totals from the stored rows: at once, they add up to
      // each store's raised sats (and readTotals = computeTotals below covers them too).
      const value = (l: string) => Number(l.slice(l.lastIndexOf(' ') + 1));
      const storeOf = (l: string) => /store="([^"]*)"/.exec(l)![1]!;
      const raised = new Map(series(body).filter((l) => l.startsWith('btcpay_raised_sats{')).map((l) => [storeOf(l), value(l)]));
      const byMethod = new Map<string, number>();
      const methodLines = series(body).filter((l) => l.startsWith('btcpay_payment_method_raised_sats{'));
      for (const l of methodLines) byMethod.set(storeOf(l), (byMethod.get(storeOf(l)) ?? 0) + value(l));
      expect([...raised.values()].some((v) => v > 0)).toBe(true);
      for (const [store, sats] of raised) expect(byMethod.get(store) ?? 0, store).toBe(sats);
      expect(methodLines.some((l) => l.includes('payment_method="BTC-LN"') && value(l) > 0)).toBe(true);
      expect(methodLines.some((l) => l.includes('payment_method="unknown"'))).toBe(false);
      expect(expected.length).toBeGreaterThan(200);
      // The running totals that release kept equal the reference recomputed from its rows.
      expect(readTotals(database.sqlite)).toEqual(computeTotals(database.sqlite));
      for (const name of ['btcpay_invoices', 'btcpay_raised_sats', 'btcpay_webhook_requests_total', 'btcpay_crowdfund_raised_sats', 'angor_project_raised_sats']) {
        expect(expected.some((l) => l.startsWith(`${name}{`)), name).toBe(true);
      }
    } finally {
      await database.close();
    }
  });
});
