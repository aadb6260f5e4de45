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
      // The same series with the same values; their order inside a family is not part of the contract.
      expect(series(body).map(norm).sort()).toEqual(expected.map(norm).sort());
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
