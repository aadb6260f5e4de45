// Benchmark of `crowdfund-exporter history` (issue 13): 100,000 invoices over a year at --step 1h
// in under 10 s, with memory flat in the number of invoices (25,000 vs 100,000 in the same run).
// Each size runs the built CLI (dist/) as a user would, three times; peak RSS is the kernel's
// VmHWM, written at exit by peak-rss-on-exit.mjs. Peers in the same run: the history's reads alone
// (HistoryReader without fold or output: what it cannot go below), and promtool on the file.
//   npm run bench:history        (BENCH_HISTORY_SIZES=25000,100000 by default)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { openDatabase } from '../exporter/src/store/connection.js';
import { migrateToLatest } from '../exporter/src/store/migrator.js';
import { migrations } from '../exporter/src/store/migrations/index.js';
import { HistoryReader } from '../exporter/src/history/reader.js';
import { PROJECT_ROOT } from '../exporter/src/version.js';
import { BENCH_DIR, machine, summary } from './lib.js';

const SIZES = (process.env.BENCH_HISTORY_SIZES ?? '25000,100000').split(',').map(Number);
const RUNS = 3;
const TARGET_SECONDS = 10;
const YEAR = 365 * 86400;
const NOW = Math.floor(Date.now() / 1000);
const STORES = ['BenchStoreA', 'BenchStoreB', 'BenchStoreC'];
const CURRENCIES = ['USD', 'EUR', 'BTC'];

/**
 * A cached database of a year of invoices with payments: 60% raised (one payment, or two an hour
 * apart, some marked settled without any), the rest New, Expired or Invalid; 3 stores, 3 price
 * currencies. Written with raw statements for speed (benchmarks only).
 */
async function seededHistoryDb(n: number): Promise<string> {
  mkdirSync(BENCH_DIR, { recursive: true });
  const key = Buffer.from(Object.keys(migrations).sort().join(',')).toString('base64url').slice(-16);
  const path = join(BENCH_DIR, `history-${n}-${key}.db`);
  if (existsSync(path)) return path;
  const t0 = performance.now();
  process.stderr.write(`seeding ${n.toLocaleString('en')} invoices with payments into ${path}...\n`);
  const h = openDatabase(`${path}.tmp`);
  await migrateToLatest(h.db);
  await h.close();
  const db = new BetterSqlite3(`${path}.tmp`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const invoice = db.prepare(`insert into invoices (id, store_id, status, additional_status, currency, amount, btc_paid_sats,
    created_time, expiration_time, monitoring_expiration, archived, order_id, item_code, counts_as_raised, is_final,
    amounts_synced, status_source, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, null, null, ?, 1, 1, 'sync', ?)`);
  const method = db.prepare(`insert into invoice_payment_methods (invoice_id, payment_method_id, currency, rate, amount, paid, fee)
    values (?, ?, 'BTC', '80000', '0.001', ?, '0')`);
  const payment = db.prepare(`insert into invoice_payments (invoice_id, payment_method_id, payment_id, received_date, value, fee, status)
    values (?, ?, ?, ?, ?, '0', ?)`);
  const btc = (sats: number) => `0.${String(sats).padStart(8, '0')}`;
  db.transaction(() => {
    for (const store of STORES) {
      db.prepare('insert into store_totals (store_id, raised_sats, contributions, last_invoice_created) values (?, 0, 0, null)').run(store);
    }
    for (let i = 0; i < n; i++) {
      const id = `hist${i.toString(36).padStart(8, '0')}`;
      const created = NOW - YEAR + Math.floor((i * YEAR) / n);
      const kind = i % 10; // 0-5 raised, 6 New, 7-8 Expired, 9 Invalid
      const raised = kind <= 5;
      const status = raised ? 'Settled' : kind === 6 ? 'New' : kind <= 8 ? 'Expired' : 'Invalid';
      const marked = kind === 5 && i % 20 === 5;
      const sats = raised && !marked ? 10_000 + (i % 90_000) : 0;
      const currency = CURRENCIES[Math.floor(i / 3) % 3]!; // every store gets every currency
      const amount = currency === 'BTC' ? btc(sats || 10_000) : `${(i % 500) + 1}.${String(i % 100).padStart(2, '0')}`;
      invoice.run(id, STORES[i % 3], status, marked ? 'Marked' : 'None', currency, amount, sats, created, created + 900, created + 86400, raised ? 1 : 0, NOW);
      if (!raised || marked) continue;
      if (kind === 4) {
        // Two payments an hour apart: on-chain and Lightning.
        const half = Math.floor(sats / 2);
        method.run(id, 'BTC-CHAIN', btc(half));
        method.run(id, 'BTC-LN', btc(sats - half));
        payment.run(id, 'BTC-CHAIN', `${id}-0`, created + 120, btc(half), 'Settled');
        payment.run(id, 'BTC-LN', `${id}-1`, created + 3720, btc(sats - half), 'Settled');
      } else {
        method.run(id, 'BTC-CHAIN', btc(sats));
        payment.run(id, 'BTC-CHAIN', `${id}-0`, created + 120 + (i % 600), btc(sats), 'Settled');
      }
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  execFileSync('mv', [`${path}.tmp`, path]);
  for (const f of [`${path}.tmp-wal`, `${path}.tmp-shm`]) rmSync(f, { force: true });
  process.stderr.write(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s (${(statSync(path).size / 1e6).toFixed(0)} MB)\n`);
  return path;
}

interface Run {
  seconds: number;
  peakRssMb: number;
  cpuSeconds: number;
  bytes: number;
  stderr: string;
}

async function runHistoryCli(db: string, out: string, statusFile: string): Promise<Run> {
  rmSync(statusFile, { force: true });
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', pathToFileURL(join(PROJECT_ROOT, 'bench/peak-rss-on-exit.mjs')).href, join(PROJECT_ROOT, 'dist/exporter/src/cli.js'), 'history', '--out', out],
    { env: { PATH: process.env.PATH ?? '', DATABASE_PATH: db, BENCH_STATUS_FILE: statusFile }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`history exited ${code}: ${stderr}`);
  const status = JSON.parse(readFileSync(statusFile, 'utf8')) as { status: string; cpuSeconds: { user: number; system: number } };
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(status.status)?.[1]);
  return { seconds, peakRssMb: hwm / 1024, cpuSeconds: status.cpuSeconds.user + status.cpuSeconds.system, bytes: statSync(out).size, stderr: stderr.trim() };
}

/** The peer: the reads of every series (HistoryReader, rows into JavaScript) without the fold or any output. */
function readsAlone(db: string): number {
  const sqlite = new BetterSqlite3(db, { readonly: true });
  const t0 = performance.now();
  const reader = new HistoryReader(sqlite);
  reader.materialise(NOW);
  for (const store of reader.stores()) {
    // raised_sats, contributions, and one pass per currency, as the history reads them.
    for (let pass = 0; pass < 2; pass++) for (const _ of reader.raised(store, NOW));
    for (const currency of reader.raisedCurrencies(store)) for (const _ of reader.raised(store, NOW, currency));
    for (const _ of reader.created(store, NOW));
  }
  const seconds = (performance.now() - t0) / 1000;
  sqlite.close();
  return seconds;
}

function promtoolSeconds(file: string, dir: string): number | undefined {
  try {
    execFileSync('sh', ['-c', 'command -v promtool'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  rmSync(dir, { recursive: true, force: true });
  const t0 = performance.now();
  execFileSync('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=672h', '-q', file, dir], { stdio: 'ignore' });
  const s = (performance.now() - t0) / 1000;
  rmSync(dir, { recursive: true, force: true });
  return s;
}

execFileSync(process.execPath, [join(PROJECT_ROOT, 'scripts/build-if-needed.mjs')], { stdio: 'inherit' });
const loadBefore = loadavg()[0]!;
process.stdout.write(`machine: ${machine()}; load average before: ${loadBefore.toFixed(2)}\n`);
const rows: Array<{ n: number; median: number; max: number; rss: number; cpu: number; peer: number; promtool: number | undefined; bytes: number; line: string }> = [];
for (const n of SIZES) {
  const db = await seededHistoryDb(n);
  const out = join(BENCH_DIR, `history-${n}.om`);
  const runs: Run[] = [];
  for (let r = 0; r < RUNS; r++) runs.push(await runHistoryCli(db, out, join(BENCH_DIR, `history-${n}.status`)));
  const s = summary(runs.map((r) => r.seconds));
  const row = {
    n,
    median: s.median,
    max: s.max,
    rss: Math.max(...runs.map((r) => r.peakRssMb)),
    cpu: summary(runs.map((r) => r.cpuSeconds)).median,
    peer: summary([0, 1, 2].map(() => readsAlone(db))).median,
    promtool: promtoolSeconds(out, join(BENCH_DIR, `history-${n}-blocks`)),
    bytes: runs[0]!.bytes,
    line: runs[0]!.stderr,
  };
  rows.push(row);
  process.stdout.write(
    `${n.toLocaleString('en')} invoices: history ${row.median.toFixed(2)} s median, ${row.max.toFixed(2)} s max of ${RUNS} (CPU ${row.cpu.toFixed(2)} s), ` +
      `peak RSS ${row.rss.toFixed(1)} MB, ${(row.bytes / 1e6).toFixed(1)} MB written; its reads alone ${row.peer.toFixed(2)} s; ` +
      `promtool ${row.promtool === undefined ? 'not installed' : `${row.promtool.toFixed(2)} s`}\n  ${row.line}\n`,
  );
}
const largest = rows.at(-1)!;
const smallest = rows[0]!;
const target = rows.find((r) => r.n === 100_000);
const rssRatio = largest.rss / smallest.rss;
process.stdout.write(`peak RSS ratio ${largest.n.toLocaleString('en')} / ${smallest.n.toLocaleString('en')} invoices: ${rssRatio.toFixed(2)}; load average after: ${loadavg()[0]!.toFixed(2)}\n`);
// The target is judged on the 100,000-invoice row (every run of it), memory across all sizes.
const pass = target !== undefined && target.max < TARGET_SECONDS && rssRatio < 1.25;
process.stdout.write(`RESULT history: ${pass ? 'PASS' : 'MISS'} (target: ${TARGET_SECONDS} s at 100,000 invoices, peak RSS flat within 25%)\n`);
