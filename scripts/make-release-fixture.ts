// Writes test/fixtures/release-0.1.0/: a small database written by release 0.1.0 (commit 304ab1d,
// before the issue-12 rearrangement) and the business metrics that release exported from it.
// test/store/previous-release.test.ts opens a copy with the current code and expects the same values.
// Run once with the old code: npx tsx scripts/make-release-fixture.ts  (the committed files are the
// output of that run; rerunning with newer code would only prove the newer code agrees with itself).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { pino } from 'pino';
import { loadConfig } from '../exporter/src/config.js';
import { startExporter } from '../exporter/src/main.js';
import { PROJECT_ROOT } from '../exporter/src/version.js';

const OUT = join(PROJECT_ROOT, 'test/fixtures/release-0.1.0');
const log = pino({ level: 'silent' });
const { startDemoBtcpay } = await import('../exporter/src/demo/btcpay-simulator/demo.js');
const { createAngorSyncJob } = await import('../exporter/src/wiring/angor.js');
const { buildMetrics } = await import('../exporter/src/metrics/build.js');
const { Kysely, SqliteDialect } = await import('kysely');

const demo = await startDemoBtcpay({ log, seed: 4242, days: 1, invoicesPerDay: 20, liveIntervalMs: 150, crowdfundIntervalMs: 200 });
const dir = mkdtempSync(join(tmpdir(), 'release-fixture-'));
const dbPath = join(dir, 'release.db');
const config = loadConfig(
  {
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_PATH: dbPath,
    DEMO: 'false',
    BTCPAY_URL: demo.url,
    BTCPAY_API_KEY: demo.apiKey,
    BTCPAY_STORE_IDS: demo.storeIds.join(','),
    BTCPAY_WEBHOOK_SECRET: demo.webhookSecret,
    BTCPAY_CROWDFUND_APP_IDS: demo.crowdfundAppIds.join(','),
    BTCPAY_CROWDFUND_ALL_STORE_INVOICES: demo.crowdfundAllStoreInvoices.join(','),
    ANGOR_ENABLE: 'false',
  },
  { readDotenv: false },
);
const exporter = await startExporter(config, { log, schedule: false });
await exporter.scheduler.runAll('fixture');
demo.connect(`${exporter.url}/webhooks/btcpay`);
// Wait for live traffic: webhooks of new invoices, payments and crowdfund contributions.
const count = () => (exporter.database.sqlite.prepare('SELECT count(*) AS n FROM webhook_deliveries').get() as { n: number }).n;
while (count() < 30) await new Promise((r) => setTimeout(r, 100));
// Angor from the demo file, with a pinned clock.
const angorFile = JSON.parse(readFileSync(join(PROJECT_ROOT, 'data/angor_demo.json'), 'utf8')) as { anchor: number };
const now = angorFile.anchor + 3600;
const angor = loadConfig({ DEMO: 'true' }, { readDotenv: false }).angor;
exporter.scheduler.add(createAngorSyncJob({ angor, mode: 'demo', db: exporter.database.db, log, now: () => now }));
await exporter.scheduler.runAll('fixture');
await demo.close();
const sources = exporter.scheduler.sources;
await exporter.close();

mkdirSync(OUT, { recursive: true });
const sqlite = new BetterSqlite3(dbPath);
sqlite.pragma('wal_checkpoint(TRUNCATE)');
sqlite.exec('VACUUM');
sqlite.pragma('journal_mode = DELETE');
sqlite.close();
copyFileSync(dbPath, join(OUT, 'release.db'));

// The business metrics this release exports from that database (no process metrics, pinned clock).
const snap = new BetterSqlite3(join(OUT, 'release.db'), { readonly: true });
const db = new Kysely({ dialect: new SqliteDialect({ database: snap }) });
const metrics = buildMetrics({ db: db as never, mode: 'live', sources: () => sources, defaultMetrics: false, now: () => now, webhookStores: () => demo.storeIds });
const { body } = await metrics.render(false);
const lines = body.split('\n').filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('crowdfund_scrape_collector_duration_seconds'));
writeFileSync(join(OUT, 'metrics.txt'), lines.join('\n') + '\n');
writeFileSync(join(OUT, 'fixture.json'), JSON.stringify({ commit: '304ab1d', sources, storeIds: demo.storeIds, now }, null, 2) + '\n');
await db.destroy();
rmSync(dir, { recursive: true, force: true });
console.log(`wrote ${OUT}: ${lines.length} series`);
