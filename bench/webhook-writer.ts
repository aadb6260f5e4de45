// The webhook writer alone: CPU per delivery of the SQLite part (group commit, savepoints, the
// jobs of store/webhook-deliveries.ts) on a database file, without HTTP, and a digest of every table it
// writes so two versions of the writer can be compared for identical content.
// `npx tsx bench/webhook-writer.ts` (BENCH_WRITER_N deliveries, 40,000 by default; 3 per invoice).
// BENCH_WRITER_PREFILL=500000 first records that many idempotency keys (random ids, as BTCPay's),
// as a store that received webhooks for weeks has: the size at which the key's index stops
// fitting SQLite's page cache, where its layout matters.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createWebhookJobRunner, type DeliveryJob } from '../exporter/src/store/webhook-deliveries.js';
import type { StatusPair } from '../exporter/src/store/invoice-status.js';
import { openDatabase } from '../exporter/src/store/connection.js';
import { createGroupCommit } from '../exporter/src/store/group-commit.js';
import { migrateToLatest } from '../exporter/src/store/migrator.js';
import { createDeliveryLogWriter } from '../exporter/src/store/webhook-log.js';

const N = Number(process.env.BENCH_WRITER_N ?? 40_000);
const PREFILL = Number(process.env.BENCH_WRITER_PREFILL ?? 0);
const STAGES: Array<[string, StatusPair]> = [
  ['InvoiceCreated', { status: 'New', additionalStatus: 'None' }],
  ['InvoiceProcessing', { status: 'Processing', additionalStatus: 'None' }],
  ['InvoiceSettled', { status: 'Settled', additionalStatus: 'None' }],
  ['InvoiceExpired', { status: 'Expired', additionalStatus: 'None' }],
];

function job(i: number): DeliveryJob {
  const inv = Math.floor(i / 3);
  const [event, reported] = STAGES[i % 3 === 2 && inv % 4 === 0 ? 3 : i % 3]!;
  const store = inv % 2 ? 'StoreA' : 'StoreB';
  const id = `inv${(inv * 7919) % 1_000_003}x${inv}`; // random key order, as real invoice ids
  const at = 1_700_000_000 + i;
  const deliveryId = `d${(i * 104_729) % 9_999_991}-${i}`;
  return {
    kind: 'delivery',
    at,
    webhookId: `wh${store}`,
    originalDeliveryId: deliveryId,
    entry: { signaturePreview: 'sha256=abc…', storeId: store, webhookId: `wh${store}`, deliveryId, originalDeliveryId: deliveryId, eventType: event, invoiceId: id, isRedelivery: false, payload: 'x'.repeat(600) },
    storeId: store,
    event,
    invoice: {
      invoiceId: id,
      storeId: store,
      reported,
      manuallyMarked: false,
      placeholder: { id, storeId: store, ...reported, currency: 'USD', amount: '10.5', btcPaidSats: 1000, createdTime: at, expirationTime: at + 900, monitoringExpiration: at + 3600, archived: false, orderId: null, itemCode: null, amountsSynced: false, statusSource: 'webhook' },
    },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'bench-writer-'));
const h = openDatabase(join(dir, 'bench.db'));
try {
  await migrateToLatest(h.db);
  if (PREFILL > 0) {
    const w = createDeliveryLogWriter(h.sqlite);
    const t0 = performance.now();
    h.sqlite.transaction(() => {
      for (let i = 0; i < PREFILL; i++) w.markSeen(`wh${i % 2 ? 'StoreA' : 'StoreB'}`, `p${randomBytes(12).toString('base64url')}`, 1_690_000_000 + Math.floor(i / 100));
    })();
    h.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    console.log(`prefilled ${PREFILL.toLocaleString('en')} idempotency keys in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const runner = createWebhookJobRunner(h.sqlite);
  // The WAL sync runs on libuv's pool, not on the writer thread: left out here.
  const gc = createGroupCommit({ sqlite: h.sqlite, hooks: runner.hooks, syncWal: async () => undefined, maxBatch: 64 });
  const jobs = Array.from({ length: N }, (_, i) => job(i));
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i += 64) await Promise.all(jobs.slice(i, i + 64).map((j) => gc.run(() => runner.run(j))));
  const cpu = process.cpuUsage(cpu0);
  await gc.close();
  console.log(`writer CPU per delivery: ${((cpu.user + cpu.system) / N).toFixed(1)} µs (user ${(cpu.user / N).toFixed(1)}, system ${(cpu.system / N).toFixed(1)}), ${N} deliveries in batches of 64`);
  const tables = ['webhook_deliveries order by id', 'webhook_seen order by 1, 2', 'webhook_counters order by 1, 2, 3', 'webhook_store_state order by 1', 'invoices order by id', 'invoice_status_totals order by 1, 2', 'store_totals order by 1', 'store_raised_amounts order by 1, 2'];
  for (const t of tables) {
    const digest = createHash('sha256').update(JSON.stringify(h.sqlite.prepare(`select * from ${t}`).all())).digest('hex').slice(0, 16);
    console.log(`  ${t.split(' ')[0]!.padEnd(22)} ${digest}`);
  }
} finally {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
}
