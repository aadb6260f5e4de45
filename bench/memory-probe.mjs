// Preloaded (node --import) into the exporter by bench/memory.ts when BENCH_MEMORY_PROBE is set:
// appends process.memoryUsage() (and the V8 heap spaces) to that file as one JSON line every
// 250 ms, so the benchmark can say where the resident memory goes (V8 heap, external buffers,
// the rest: SQLite's page cache, code, thread stacks) phase by phase.
import { appendFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const out = process.env.BENCH_MEMORY_PROBE;
if (out) {
  const t0 = Date.now();
  const mb = (b) => Math.round((b / 2 ** 20) * 10) / 10;
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, mb(s.space_size)]));
    appendFileSync(out, `${JSON.stringify({ t: Date.now() - t0, rss: mb(m.rss), heapTotal: mb(m.heapTotal), heapUsed: mb(m.heapUsed), external: mb(m.external), arrayBuffers: mb(m.arrayBuffers), spaces })}\n`);
  }, 250);
  timer.unref();
}
