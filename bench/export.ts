// Invoice export (issue 15): GET /api/invoices?format=csv of 100,000 seeded invoices (with their
// payments, so every raise time is looked up) from the built exporter in its own process, next to
// a peer in the same run: a bare better-sqlite3 SELECT of the same rows and columns (raise time
// included, in table order), iterated and written to /dev/null as comma-joined lines. Then the CLI
// (`crowdfund-exporter export --format csv --out -`) on 25,000 and 100,000 invoices for its wall
// time and peak RSS (VmHWM at exit): memory must stay flat in the number of invoices.
// Targets: the 100,000-invoice CSV over HTTP in under 5 s; peak RSS at 100,000 within 1.15x of
// the peak at 25,000.
//
// Usage: npm run bench:export
//   BENCH_EXPORT_SIZES=25000,100000   invoice counts, smallest first (the largest is timed over HTTP)
//   BENCH_EXPORT_ROUNDS=5             HTTP and peer rounds (alternating)
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { parse } from 'csv-parse/sync';
import { EXPORT_SELECT } from '../exporter/src/export/invoice-cursor.js';
import { PROJECT_ROOT } from '../exporter/src/version.js';
import { BENCH_DIR, machine, seededDatabase, summary } from './lib.js';

const SIZES = (process.env.BENCH_EXPORT_SIZES ?? '25000,100000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_EXPORT_ROUNDS ?? 5);
const TARGET_SECONDS = 5;
const FLAT_FACTOR = 1.15;
const CLI = join(PROJECT_ROOT, 'dist/exporter/src/cli.js');
const mb = (kb: number) => kb / 1024;
const statusField = (status: string, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);

execFileSync(process.execPath, [join(PROJECT_ROOT, 'scripts/build-if-needed.mjs')], { stdio: 'inherit' });
const loadBefore = loadavg();
const dbs = new Map<number, string>();
for (const n of SIZES) dbs.set(n, await seededDatabase(n, { payments: true }));
const largest = SIZES[SIZES.length - 1]!;
const largestDb = dbs.get(largest)!;
const baseEnv = { PATH: process.env.PATH ?? '', DEMO: 'false', ANGOR_ENABLE: 'false', LOG_LEVEL: 'warn' };

/** The peer: the export's columns of every invoice, iterated bare in table order, joined with commas, to /dev/null. */
function peer(path: string): { ms: number; rows: number } {
  const db = new Database(path, { readonly: true });
  const fd = openSync('/dev/null', 'w');
  try {
    const t0 = performance.now();
    let rows = 0;
    let chunk = '';
    for (const row of db.prepare(`select ${EXPORT_SELECT} from invoices i`).iterate() as Iterable<Record<string, unknown>>) {
      chunk += `${Object.values(row).join(',')}\n`;
      rows++;
      if (chunk.length > 65_536) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk);
    return { ms: performance.now() - t0, rows };
  } finally {
    closeSync(fd);
    db.close();
  }
}

/** The built exporter serving `path`; resolves with its URL once it listens. */
async function serve(path: string) {
  const child = spawn(process.execPath, [CLI, 'serve'], {
    cwd: PROJECT_ROOT,
    env: { ...baseEnv, LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', DATABASE_PATH: path, SYNC_SCHEDULE: '0 0 1 1 *' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`exporter exited (${code}) before listening`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /"url":"([^"]+)".*"msg":"exporter listening"/.exec(line);
      if (m) resolve(m[1]!);
    });
  });
  return { url, pid: child.pid!, stop: () => new Promise<void>((r) => (child.once('exit', () => r()), child.kill('SIGTERM'))) };
}

/** One CSV download, streamed and dropped; returns the time to the last byte and what arrived. */
async function download(url: string): Promise<{ ms: number; bytes: number; lines: number; tail: string }> {
  const t0 = performance.now();
  const res = await fetch(`${url}/api/invoices?format=csv`);
  if (res.status !== 200 || !res.body) throw new Error(`export answered ${res.status}`);
  let bytes = 0;
  let lines = 0;
  let tail = '';
  for await (const chunk of res.body) {
    const b = chunk as Uint8Array;
    bytes += b.length;
    for (const x of b) if (x === 10) lines++;
    tail = Buffer.from(b.subarray(Math.max(0, b.length - 200))).toString('utf8');
  }
  return { ms: performance.now() - t0, bytes, lines, tail };
}

// ---- HTTP against the peer, alternating ----------------------------------------------------
const server = await serve(largestDb);
const http: number[] = [];
const peers: number[] = [];
let last: Awaited<ReturnType<typeof download>> | undefined;
let serverPeakKb = 0;
let serverIdleKb = 0;
const pageMs: number[] = [];
try {
  serverIdleKb = statusField(readFileSync(`/proc/${server.pid}/status`, 'utf8'), 'VmRSS');
  await download(server.url); // warm-up: page cache, JIT, connection
  peer(largestDb);
  for (let i = 0; i < ROUNDS; i++) {
    const sampler = setInterval(() => {
      const kb = statusField(readFileSync(`/proc/${server.pid}/status`, 'utf8'), 'VmRSS');
      if (kb > serverPeakKb) serverPeakKb = kb;
    }, 20);
    try {
      if (i % 2 === 0) {
        last = await download(server.url);
        http.push(last.ms);
        peers.push(peer(largestDb).ms);
      } else {
        peers.push(peer(largestDb).ms);
        last = await download(server.url);
        http.push(last.ms);
      }
    } finally {
      clearInterval(sampler);
    }
  }
  // Not a target: what the status page costs on this history (its 30-day chart and 24 h / 7 d sums
  // read raised invoices by raise time through indexes; the rest are running totals).
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const res = await fetch(`${server.url}/`);
    const html = await res.text();
    if (res.status !== 200 || !html.includes('rect class="bar"')) throw new Error(`status page answered ${res.status}`);
    pageMs.push(performance.now() - t0);
  }
} finally {
  await server.stop();
}
const { rows: peerRows } = peer(largestDb);
const h = summary(http);
const p = summary(peers);

// ---- CLI: wall time and peak RSS per size --------------------------------------------------
interface CliRun {
  n: number;
  wallMs: number;
  peakMb: number;
  rows: number;
}
function cliExport(n: number): Promise<CliRun> {
  const statusFile = join(BENCH_DIR, `export-${n}.status`);
  const outFile = join(BENCH_DIR, `export-${n}.csv`);
  rmSync(statusFile, { force: true });
  const out = openSync(outFile, 'w');
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', pathToFileURL(join(PROJECT_ROOT, 'bench/peak-rss-on-exit.mjs')).href, CLI, 'export', '--format', 'csv', '--out', '-'], {
    cwd: PROJECT_ROOT,
    env: { ...baseEnv, DATABASE_PATH: dbs.get(n)!, BENCH_STATUS_FILE: statusFile },
    stdio: ['ignore', out, 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const wallMs = performance.now() - t0;
      closeSync(out);
      if (code !== 0) return reject(new Error(`export exited with ${code}`));
      const { status } = JSON.parse(readFileSync(statusFile, 'utf8')) as { status: string };
      const text = readFileSync(outFile, 'utf8');
      const rows = (parse(text, { columns: true }) as unknown[]).length;
      rmSync(outFile, { force: true });
      rmSync(statusFile, { force: true });
      resolve({ n, wallMs, peakMb: mb(statusField(status, 'VmHWM')), rows });
    });
  });
}
const cli: CliRun[] = [];
for (const n of SIZES) cli.push(await cliExport(n));

// ---- report ----------------------------------------------------------------------------------
console.log(`machine: ${machine()}; load average before/after: ${loadBefore.map((l) => l.toFixed(2)).join(' ')} / ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log(
  `HTTP CSV export of ${largest.toLocaleString('en')} invoices: median ${(h.median / 1000).toFixed(2)} s, max ${(h.max / 1000).toFixed(2)} s (n=${h.n}); ${last!.bytes.toLocaleString('en')} bytes, ${(last!.lines - 1).toLocaleString('en')} data lines; exporter RSS ${mb(serverIdleKb).toFixed(1)} MB idle before the first export, peak ${mb(serverPeakKb).toFixed(1)} MB while exporting`,
);
console.log(`peer (same rows and columns, bare SELECT iterate + join to /dev/null): median ${(p.median / 1000).toFixed(2)} s (n=${p.n}, ${peerRows.toLocaleString('en')} rows); export/peer ${(h.median / p.median).toFixed(2)}x`);
console.log(`status page (GET /) on the same ${largest.toLocaleString('en')} invoices: median ${summary(pageMs).median.toFixed(0)} ms, max ${summary(pageMs).max.toFixed(0)} ms (n=${pageMs.length}; no target)`);
for (const r of cli) {
  console.log(`CLI export --format csv, ${r.n.toLocaleString('en')} invoices: ${(r.wallMs / 1000).toFixed(2)} s wall (process start included), peak RSS ${r.peakMb.toFixed(1)} MB, ${r.rows.toLocaleString('en')} rows read back by csv-parse`);
}
const complete = last!.tail.endsWith('\r\n') && cli.every((r) => r.rows === r.n) && last!.lines - 1 >= largest;
const timeOk = h.median < TARGET_SECONDS * 1000;
const flat = cli[cli.length - 1]!.peakMb / cli[0]!.peakMb;
const flatOk = flat <= FLAT_FACTOR;
console.log(`time: median ${(h.median / 1000).toFixed(2)} s (target < ${TARGET_SECONDS} s) ${timeOk ? 'ok' : 'MISS'}`);
console.log(`memory: peak ${cli.map((r) => `${r.peakMb.toFixed(1)} MB`).join(' → ')} for ${cli.map((r) => r.n.toLocaleString('en')).join(' → ')} invoices: ${flat.toFixed(2)}x (target ≤ ${FLAT_FACTOR}x) ${flatOk ? 'ok' : 'MISS'}`);
console.log(`complete: ${complete ? 'ok (every row, CRLF to the end)' : 'FAILED'}`);
console.log(`RESULT export: ${timeOk && flatOk && complete ? 'PASS' : 'MISS'}`);
