// Memory of the exporter's node process on a small home server (issue 17): a first sync of
// 100,000 invoices, then a second start over the same database, idle. The BTCPay simulator runs in
// its own process (bench/sync-simulator.ts); the exporter is the built one started with
// `node <the Dockerfile CMD's flags> dist/exporter/src/cli.js serve` exactly as the Docker image does (no npm wrapper, which
// adds its own ~54 MB process), and its PID's VmRSS is read from /proc/<pid>/status every 100 ms.
//
// Targets: peak RSS during the first sync < 180 MB; RSS 5 s after ready on the second start
// < 100 MB; first sync (spawn to the scheduler's first "sync finished") < 10 s.
//
// Usage: npx tsx bench/memory.ts   (or npm run bench:memory)
//   BENCH_MEMORY_INVOICES=100000   invoices in the store
//   BENCH_MEMORY_RUNS=1            first-sync + second-start pairs (one simulator; medians reported)
//   BENCH_MEMORY_PROBE=1           also log process.memoryUsage() from inside the exporter
//                                  (bench/memory-probe.mjs) and print it by phase
//   BENCH_NODE_OPTIONS="..."       node flags for the exporter instead of the Dockerfile's CMD ones
//                                  ("none": plain node; experiments)
//   BENCH_ENV="K=V ..."            extra environment for the exporter (experiments)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../exporter/src/version.js';
import { startSyncSimulator } from './sync-simulator-process.js';
import { BENCH_DIR, machine, percentile, shippedNodeFlags } from './lib.js';
import type { SimInfo } from './sync-simulator.js';

const N = Number(process.env.BENCH_MEMORY_INVOICES ?? 100_000);
const RUNS = Number(process.env.BENCH_MEMORY_RUNS ?? 1);
const PROBE = process.env.BENCH_MEMORY_PROBE === '1';
/** The Dockerfile's node flags, unless BENCH_NODE_OPTIONS says otherwise ("none" for none). */
const EXTRA = shippedNodeFlags();
/** Extra environment for the exporter (experiments), e.g. BENCH_ENV="MALLOC_ARENA_MAX=2". */
const EXTRA_ENV = Object.fromEntries((process.env.BENCH_ENV ?? '').split(/\s+/).filter(Boolean).map((kv) => [kv.split('=')[0]!, kv.slice(kv.indexOf('=') + 1)]));
const TARGET_PEAK_MB = 180;
const TARGET_IDLE_MB = 100;
const TARGET_SYNC_S = 10;
const IDLE_AFTER_READY_MS = 5000;

function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN; // exited
  }
}

/** utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15, USER_HZ = 100). */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

interface Phase {
  /** ms from spawn to the event. */
  readyMs: number;
  syncedMs: number;
  peakMb: number;
  /** RSS IDLE_AFTER_READY_MS after ready (second start only). */
  idleMb: number;
  /** CPU seconds (user + system, all threads) of the exporter until the first sync finished. */
  cpuSeconds: number;
  probe: Array<{ t: number; rss: number; heapTotal: number; heapUsed: number; external: number; arrayBuffers: number }>;
}

/** One exporter process: until its first sync finished, then (if `idle`) 5 s after ready. */
async function runExporter(info: SimInfo, db: string, tag: string, idle: boolean): Promise<Phase> {
  const port = await freePort();
  const probeFile = join(BENCH_DIR, `memory-probe-${tag}.jsonl`);
  rmSync(probeFile, { force: true });
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [...EXTRA, ...(PROBE ? ['--import', pathToFileURL(join(PROJECT_ROOT, 'bench/memory-probe.mjs')).href] : []), join(PROJECT_ROOT, 'dist/exporter/src/cli.js'), 'serve'],
    {
      env: {
        PATH: process.env.PATH ?? '',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_PATH: db,
        DEMO: 'false',
        ANGOR_ENABLE: 'false',
        BTCPAY_URL: info.url,
        BTCPAY_API_KEY: info.apiKey,
        BTCPAY_STORE_IDS: info.stores[0]!.id,
        LOG_LEVEL: 'info',
        ...(PROBE ? { BENCH_MEMORY_PROBE: probeFile } : {}),
        ...EXTRA_ENV,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const pid = child.pid!;
  let peakKb = 0;
  const timer = setInterval(() => {
    const kb = rssKb(pid);
    if (kb > peakKb) peakKb = kb;
  }, 100);
  let readyMs = NaN;
  let syncedMs = NaN;
  const synced = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`exporter exited (${code})`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let e: { msg?: string; err?: unknown };
      try {
        e = JSON.parse(line) as typeof e;
      } catch {
        return;
      }
      if (e.msg === 'exporter listening' && Number.isNaN(readyMs)) readyMs = performance.now() - t0;
      if (e.msg === 'sync finished' && Number.isNaN(syncedMs)) {
        syncedMs = performance.now() - t0;
        resolve();
      }
      if (typeof e.msg === 'string' && /fail|error/i.test(e.msg)) process.stderr.write(`exporter: ${line}\n`);
    });
  });
  let idleMb = NaN;
  let cpuSeconds = NaN;
  try {
    await synced;
    cpuSeconds = cpuSecondsOf(pid);
    if (idle) {
      const wait = readyMs + IDLE_AFTER_READY_MS - (performance.now() - t0);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      idleMb = rssKb(pid) / 1024;
    }
  } finally {
    clearInterval(timer);
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
  const probe = PROBE && existsSync(probeFile) ? readFileSync(probeFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Phase['probe'][number]) : [];
  return { readyMs, syncedMs, peakMb: peakKb / 1024, idleMb, cpuSeconds, probe };
}

function printProbe(label: string, p: Phase['probe']): void {
  if (p.length === 0) return;
  const max = (k: keyof Phase['probe'][number]) => Math.max(...p.map((s) => s[k]));
  const last = p.at(-1)!;
  console.log(
    `  ${label} (inside the process, MB): max rss ${max('rss')}, heapTotal ${max('heapTotal')}, heapUsed ${max('heapUsed')}, external ${max('external')}; ` +
      `at the end rss ${last.rss} = heapTotal ${last.heapTotal} + external ${last.external} + other ${(last.rss - last.heapTotal - last.external).toFixed(1)}`,
  );
}

execFileSync(process.execPath, [join(PROJECT_ROOT, 'scripts/build-if-needed.mjs')], { stdio: 'inherit' });
mkdirSync(BENCH_DIR, { recursive: true });
const loadBefore = loadavg();
const { child: sim, info } = await startSyncSimulator([N]);
const first: Phase[] = [];
const second: Phase[] = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const db = join(BENCH_DIR, `memory-${run}.db`);
    for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });
    process.stderr.write(`run ${run + 1}/${RUNS}: first sync of ${N.toLocaleString('en')} invoices...\n`);
    first.push(await runExporter(info, db, `first-${run}`, false));
    process.stderr.write(`run ${run + 1}/${RUNS}: second start over the same database...\n`);
    second.push(await runExporter(info, db, `second-${run}`, true));
    for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });
  }
} finally {
  sim.kill('SIGTERM');
  await new Promise((r) => (sim.exitCode !== null ? r(null) : sim.once('exit', r)));
}

const med = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
const peak = med(first.map((p) => p.peakMb));
const idle = med(second.map((p) => p.idleMb));
const syncS = med(first.map((p) => p.syncedMs)) / 1000;
console.log(`machine: ${machine()}; load average before/after: ${loadBefore.map((l) => l.toFixed(2)).join(' ')} / ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(`exporter: node ${[...EXTRA, 'dist/exporter/src/cli.js serve'].join(' ')}; ${RUNS} run(s), medians`);
for (const [i, p] of first.entries()) {
  console.log(`first start ${i + 1}: listening after ${p.readyMs.toFixed(0)} ms, first sync done after ${(p.syncedMs / 1000).toFixed(2)} s (exporter CPU ${p.cpuSeconds.toFixed(1)} s), peak RSS ${p.peakMb.toFixed(1)} MB`);
  printProbe('first start', p.probe);
}
for (const [i, p] of second.entries()) {
  console.log(`second start ${i + 1}: listening after ${p.readyMs.toFixed(0)} ms, RSS ${IDLE_AFTER_READY_MS / 1000} s after ready ${p.idleMb.toFixed(1)} MB, peak ${p.peakMb.toFixed(1)} MB`);
  printProbe('second start', p.probe);
}
const peakOk = peak < TARGET_PEAK_MB;
const idleOk = idle < TARGET_IDLE_MB;
const syncOk = syncS < TARGET_SYNC_S;
console.log(`peak RSS during the first sync of ${N.toLocaleString('en')}: ${peak.toFixed(1)} MB (target < ${TARGET_PEAK_MB} MB) ${peakOk ? 'ok' : 'MISS'}`);
console.log(`RSS ${IDLE_AFTER_READY_MS / 1000} s after ready, second start: ${idle.toFixed(1)} MB (target < ${TARGET_IDLE_MB} MB) ${idleOk ? 'ok' : 'MISS'}`);
console.log(
  `first sync, spawn to success: ${syncS.toFixed(2)} s (target < ${TARGET_SYNC_S} s) ${syncOk ? 'ok' : 'MISS'}; exporter CPU ${med(first.map((p) => p.cpuSeconds)).toFixed(1)} s (the steadier figure on a shared machine)`,
);
console.log(`RESULT memory: ${peakOk && idleOk && syncOk ? 'PASS' : 'MISS'}`);
