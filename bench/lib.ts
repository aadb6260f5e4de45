// Small helpers shared by the benchmarks: cached seeded databases, percentiles, machine info.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../exporter/src/version.js';
import { migrations } from '../exporter/src/store/migrations/index.js';
import { seedInvoices } from './seed.js';

export const BENCH_DIR = join(PROJECT_ROOT, '.tmp', 'bench');

/** A seeded database of `n` invoices, built once and reused while the schema is unchanged. */
export async function seededDatabase(n: number, opts: { payments?: boolean } = {}): Promise<string> {
  mkdirSync(BENCH_DIR, { recursive: true });
  const schema = Object.keys(migrations).sort().join(',');
  const key = Buffer.from(schema).toString('base64url').slice(-16);
  const path = join(BENCH_DIR, `invoices-${n}${opts.payments ? '-payments' : ''}-${key}.db`);
  if (!existsSync(path)) {
    const t0 = performance.now();
    process.stderr.write(`seeding ${n.toLocaleString('en')} invoices into ${path}...\n`);
    await seedInvoices(path, { invoices: n, payments: opts.payments });
    process.stderr.write(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s (${(statSync(path).size / 1e6).toFixed(0)} MB)\n`);
  }
  return path;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summary(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, median: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}

export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`;
}

export const ms = (x: number) => `${x.toFixed(2)} ms`;

/**
 * The node flags of the Docker image's CMD (the Dockerfile is their one source), so a benchmark
 * starts the exporter as it ships: `node <flags> dist/exporter/src/cli.js serve`.
 */
export function shippedNodeFlags(): string[] {
  // BENCH_NODE_OPTIONS replaces them for an experiment ("none": plain node).
  const override = process.env.BENCH_NODE_OPTIONS;
  if (override !== undefined) return override === 'none' ? [] : override.split(/\s+/).filter(Boolean);
  const cmd = /^CMD \[(.*)\]$/m.exec(readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8'))?.[1];
  const args = cmd ? (JSON.parse(`[${cmd}]`) as string[]) : [];
  return args.filter((a) => a.startsWith('--'));
}
