// First sync of a large store: the simulator (its own process) holds 25k, 50k and 100k invoices in
// three stores; for each, the built exporter runs `crowdfund-exporter sync` as a child process into
// an empty database. Measures the command's wall time and the exporter's peak RSS (VmHWM), shows
// RSS along the way, then checks the database against the simulator's ground truth.
// Targets (issue 8): 100,000 invoices in under 20 s, peak RSS under 250 MB, memory flat in the
// number of invoices (pages are streamed).
//
// Usage: npx tsx bench/sync.ts   (or npm run bench:sync)
//   BENCH_SYNC_SIZES=25000,50000,100000   the store sizes, smallest first
//   BENCH_SYNC_CPU_PROF=<dir>             also write a V8 CPU profile of each exporter run there
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { Decimal } from '../exporter/src/money.js';
import { PROJECT_ROOT } from '../exporter/src/version.js';
import { startSyncSimulator } from './sync-simulator-process.js';
import { BENCH_DIR, machine } from './lib.js';
import type { SimInfo, SimStoreInfo } from './sync-simulator.js';

const SIZES = (process.env.BENCH_SYNC_SIZES ?? '25000,50000,100000').split(',').map(Number);
const TARGET_SECONDS = 20;
const TARGET_PEAK_MB = 250;
/** Flat: the largest run's peak within this factor of the smallest run's peak (4x the invoices). */
const FLAT_FACTOR = 1.15;

const mb = (kb: number) => kb / 1024;
const statusField = (status: string, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);

function readStatus(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined; // exited between the check and the read
  }
}

interface RunResult {
  store: SimStoreInfo;
  wallMs: number;
  /** From the first-sync log lines: the sync itself, without process start-up. */
  syncMs: number;
  peakMb: number;
  maxSampledMb: number;
  /** CPU seconds of the exporter process, and of the simulator while it served this run. */
  cpu: { user: number; system: number };
  simCpuSeconds: number;
  /** RSS when the progress log reached 25, 50, 75 and 100 %. */
  rssAt: Map<number, number>;
  exitCode: number | null;
  output: string[];
  problems: string[];
}

/** utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15, clock ticks of 1/100 s). */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function runSync(info: SimInfo, store: SimStoreInfo, run: number, simPid: number): Promise<RunResult> {
  const simCpuBefore = cpuSecondsOf(simPid);
  const db = join(BENCH_DIR, `sync-${run}.db`);
  const statusFile = join(BENCH_DIR, `sync-${run}.status`);
  for (const f of [db, `${db}-wal`, `${db}-shm`, statusFile]) rmSync(f, { force: true });
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_SYNC_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SYNC_CPU_PROF}`] : []),
      '--import',
      pathToFileURL(join(PROJECT_ROOT, 'bench/peak-rss-on-exit.mjs')).href,
      join(PROJECT_ROOT, 'dist/exporter/src/cli.js'),
      'sync',
    ],
    {
      env: {
        PATH: process.env.PATH ?? '',
        DATABASE_PATH: db,
        DEMO: 'false',
        ANGOR_ENABLE: 'false',
        BTCPAY_URL: info.url,
        BTCPAY_API_KEY: info.apiKey,
        BTCPAY_STORE_IDS: store.id,
        LOG_LEVEL: 'info',
        BENCH_STATUS_FILE: statusFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const pid = child.pid!;
  let maxSampledKb = 0;
  const sample = () => {
    const s = readStatus(pid);
    const kb = s ? statusField(s, 'VmRSS') : NaN;
    if (kb > maxSampledKb) maxSampledKb = kb;
    return kb;
  };
  const timer = setInterval(sample, 50);
  const rssAt = new Map<number, number>();
  const output: string[] = [];
  let syncStart: number | undefined;
  let syncEnd: number | undefined;
  const onLine = (line: string) => {
    let entry: { msg?: string; percent?: number; time?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      output.push(line);
      return;
    }
    if (entry.msg === 'first sync of the invoice history' && entry.time) syncStart = Date.parse(entry.time);
    if (entry.msg === 'invoice history synced' && entry.time) syncEnd = Date.parse(entry.time);
    if ((entry.msg === 'invoice history sync progress' || entry.msg === 'invoice history synced') && typeof entry.percent === 'number') {
      for (const mark of [25, 50, 75, 100]) if (entry.percent >= mark && !rssAt.has(mark)) rssAt.set(mark, mb(sample()));
    }
    if (typeof entry.msg === 'string' && /error|fail/i.test(entry.msg)) output.push(line);
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', (l) => output.push(l));
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const wallMs = performance.now() - t0;
  clearInterval(timer);

  const simCpuSeconds = cpuSecondsOf(simPid) - simCpuBefore;
  const { status, cpuSeconds } = JSON.parse(readFileSync(statusFile, 'utf8')) as { status: string; cpuSeconds: { user: number; system: number } };
  const result: RunResult = {
    store,
    wallMs,
    syncMs: syncStart !== undefined && syncEnd !== undefined ? syncEnd - syncStart : NaN,
    peakMb: mb(statusField(status, 'VmHWM')),
    maxSampledMb: mb(maxSampledKb),
    cpu: cpuSeconds,
    simCpuSeconds,
    rssAt,
    exitCode,
    output,
    problems: exitCode === 0 ? verify(db, store) : [`sync exited with ${exitCode}`],
  };
  for (const f of [db, `${db}-wal`, `${db}-shm`, statusFile]) rmSync(f, { force: true });
  return result;
}

/** Compares the database with the simulator's ground truth; returns what differs. */
function verify(path: string, store: SimStoreInfo): string[] {
  const problems: string[] = [];
  const check = (what: string, got: unknown, want: unknown) => {
    if (got !== want) problems.push(`${what}: database ${String(got)}, simulator ${String(want)}`);
  };
  const db = new Database(path, { readonly: true });
  try {
    const one = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).get(...args) as T;
    const all = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).all(...args) as T[];
    const t = store.truth;
    check('invoices', one<{ n: number }>('select count(*) n from invoices where store_id = ?', store.id).n, store.invoices);
    const rows = new Map(all<{ status: string; n: number }>('select status, count(*) n from invoices where store_id = ? group by status', store.id).map((r) => [r.status, r.n]));
    const totals = new Map(all<{ status: string; invoices: number }>('select status, invoices from invoice_status_totals where store_id = ?', store.id).map((r) => [r.status, r.invoices]));
    for (const [status, n] of Object.entries(t.counts)) {
      check(`${status} invoices (rows)`, rows.get(status) ?? 0, n);
      check(`${status} invoices (running total)`, totals.get(status) ?? 0, n);
    }
    const st = one<{ raised_sats: number; contributions: number } | undefined>('select raised_sats, contributions from store_totals where store_id = ?', store.id);
    check('raised sats (running total)', st?.raised_sats, t.raisedSats);
    check('contributions (running total)', st?.contributions, t.contributions);
    const raw = one<{ s: number; c: number }>('select coalesce(sum(btc_paid_sats), 0) s, count(*) c from invoices where store_id = ? and counts_as_raised = 1', store.id);
    check('raised sats (rows)', raw.s, t.raisedSats);
    const amounts = new Map(all<{ currency: string; amount: string }>('select currency, amount from store_raised_amounts where store_id = ?', store.id).map((r) => [r.currency, r.amount]));
    for (const [currency, amount] of Object.entries(t.raisedAmounts)) {
      const got = amounts.get(currency);
      if (got === undefined || !new Decimal(got).equals(new Decimal(amount))) problems.push(`raised ${currency}: database ${got}, simulator ${amount}`);
    }
    check(
      'payment methods',
      one<{ n: number }>('select count(*) n from invoice_payment_methods m join invoices i on i.id = m.invoice_id where i.store_id = ?', store.id).n,
      t.paymentMethods,
    );
    check('payments', one<{ n: number }>('select count(*) n from invoice_payments p join invoices i on i.id = p.invoice_id where i.store_id = ?', store.id).n, t.payments);
  } finally {
    db.close();
  }
  return problems;
}

execFileSync(process.execPath, [join(PROJECT_ROOT, 'scripts/build-if-needed.mjs')], { stdio: 'inherit' });
mkdirSync(BENCH_DIR, { recursive: true });
// Other work on the machine shows up in the wall times; the load average says how much there was.
const loadBefore = loadavg();
const { child: sim, info } = await startSyncSimulator(SIZES);
const results: RunResult[] = [];
try {
  for (const [i, store] of info.stores.entries()) {
    process.stderr.write(`syncing ${store.invoices.toLocaleString('en')} invoices...\n`);
    results.push(await runSync(info, store, i, sim.pid!));
  }
} finally {
  sim.kill('SIGTERM');
  await new Promise((r) => (sim.exitCode !== null ? r(null) : sim.once('exit', r)));
}

console.log(`machine: ${machine()}; load average before/after: ${loadBefore.map((l) => l.toFixed(2)).join(' ')} / ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const r of results) {
  const n = r.store.invoices;
  const along = [...r.rssAt].map(([p, v]) => `${p}% ${v.toFixed(0)}`).join(', ');
  console.log(
    `first sync of ${n.toLocaleString('en')} invoices: ${(r.wallMs / 1000).toFixed(2)} s wall ` +
      `(sync ${(r.syncMs / 1000).toFixed(2)} s, ${Math.round(n / (r.syncMs / 1000)).toLocaleString('en')} invoices/s), ` +
      `peak RSS ${r.peakMb.toFixed(1)} MB (VmHWM; sampled max ${r.maxSampledMb.toFixed(1)} MB; RSS MB at ${along})`,
  );
  console.log(
    `  CPU: exporter ${r.cpu.user.toFixed(1)} s user + ${r.cpu.system.toFixed(1)} s system, simulator ${r.simCpuSeconds.toFixed(1)} s (its own process)`,
  );
  console.log(`  check against the simulator: ${r.problems.length === 0 ? 'OK (invoices, statuses, raised sats and amounts, payments)' : r.problems.join('; ')}`);
  if (r.exitCode !== 0) for (const line of r.output.slice(-10)) console.log(`  | ${line}`);
}
const smallest = results[0]!;
const largest = results.at(-1)!;
const flatRatio = largest.peakMb / smallest.peakMb;
const timeOk = largest.wallMs < TARGET_SECONDS * 1000;
const peakOk = results.every((r) => r.peakMb < TARGET_PEAK_MB);
const flatOk = flatRatio <= FLAT_FACTOR;
const correct = results.every((r) => r.problems.length === 0);
console.log(`wall time ${largest.store.invoices.toLocaleString('en')}: ${(largest.wallMs / 1000).toFixed(2)} s (target < ${TARGET_SECONDS} s) ${timeOk ? 'ok' : 'MISS'}`);
console.log(`peak RSS: max ${Math.max(...results.map((r) => r.peakMb)).toFixed(1)} MB (target < ${TARGET_PEAK_MB} MB) ${peakOk ? 'ok' : 'MISS'}`);
console.log(
  `memory flatness: peak ${largest.peakMb.toFixed(1)} MB at ${largest.store.invoices.toLocaleString('en')} vs ${smallest.peakMb.toFixed(1)} MB at ` +
    `${smallest.store.invoices.toLocaleString('en')} = ${flatRatio.toFixed(2)}x (target <= ${FLAT_FACTOR}x for ${(largest.store.invoices / smallest.store.invoices).toFixed(0)}x the invoices) ${flatOk ? 'ok' : 'MISS'}`,
);
console.log(`correctness: ${correct ? 'ok' : 'FAILED'}`);
console.log(`RESULT sync: ${timeOk && peakOk && flatOk && correct ? 'PASS' : 'MISS'}`);
