// Starts bench/sync-simulator.ts in its own process (so its CPU and memory are not the exporter's)
// and waits for the JSON line describing its stores. Used by bench:sync and bench:memory.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from '../exporter/src/version.js';
import type { SimInfo } from './sync-simulator.js';

export async function startSyncSimulator(sizes: readonly number[]): Promise<{ child: ChildProcess; info: SimInfo }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'bench/sync-simulator.ts'), sizes.join(',')], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const info = await new Promise<SimInfo>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`simulator exited (${code}) before it was ready`)));
    lines.once('line', (line) => resolve(JSON.parse(line) as SimInfo));
  });
  return { child, info };
}
