// Preloaded (node --import) into the process a benchmark measures: at exit, writes its
// /proc/self/status (VmHWM = peak resident memory) and CPU time to $BENCH_STATUS_FILE as JSON.
// Sampling from outside can miss a short peak, and the kernel forgets VmHWM once the process is gone.
import { readFileSync, writeFileSync } from 'node:fs';

const out = process.env.BENCH_STATUS_FILE;
if (out) {
  process.on('exit', () => {
    const { user, system } = process.cpuUsage();
    writeFileSync(out, JSON.stringify({ status: readFileSync('/proc/self/status', 'utf8'), cpuSeconds: { user: user / 1e6, system: system / 1e6 } }));
  });
}
