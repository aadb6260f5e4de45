// Start-up on a large database: time from spawning the built exporter to the first successful
// /metrics, and its resident memory once idle. Targets: ready within 1 s on 1,000,000 invoices;
// idle RSS under 120 MB.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../exporter/src/version.js';
import { BENCH_DIR, machine, ms, seededDatabase, summary } from './lib.js';

const N = Number(process.env.BENCH_LARGE ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

execFileSync(process.execPath, [join(PROJECT_ROOT, 'scripts/build-if-needed.mjs')], { stdio: 'inherit' });
const seeded = await seededDatabase(N);
const ready: number[] = [];
const rss: number[] = [];
for (let run = 0; run < RUNS; run++) {
  // A copy, so WAL files of earlier runs never help or hurt the next one.
  const db = join(BENCH_DIR, `startup-${run}.db`);
  copyFileSync(seeded, db);
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist/exporter/src/cli.js'), 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_PATH: db,
      DEMO: 'false',
      ANGOR_ENABLE: 'false',
      BTCPAY_URL: 'http://127.0.0.1:9',
      BTCPAY_API_KEY: 'bench',
      BTCPAY_STORE_IDS: 'BenchStoreA,BenchStoreB',
      // The first sync would fail against the dead URL; keep it out of the idle measurement.
      SYNC_SCHEDULE: '0 0 1 1 *',
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  try {
    const deadline = performance.now() + 30_000;
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        // Ready = a full scrape answered. crowdfund_build_info is always there; until the BTCPay
        // collector lands no btcpay_ series exists to wait for.
        if (res.status === 200 && (await res.text()).includes('crowdfund_build_info')) break;
      } catch {
        // not listening yet
      }
      if (performance.now() > deadline) throw new Error('exporter did not become ready in 30 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    ready.push(performance.now() - t0);
    // Idle: a few scrapes, then let the event loop settle before reading RSS.
    for (let i = 0; i < 10; i++) await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    await new Promise((r) => setTimeout(r, 3000));
    rss.push(rssMb(child.pid!));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(db + suffix)) rmSync(db + suffix);
  }
}
const r = summary(ready);
const m = summary(rss);
console.log(`machine: ${machine()}`);
console.log(`start-up to first /metrics with ${N.toLocaleString('en')} invoices: median ${ms(r.median)} max ${ms(r.max)} (n=${r.n}; target < 1000 ms)`);
console.log(`idle RSS: median ${m.median.toFixed(1)} MB max ${m.max.toFixed(1)} MB (target < 120 MB)`);
console.log(`RESULT startup: ${r.max < 1000 && m.max < 120 ? 'PASS' : 'MISS'}`);
