// Locates the Prometheus tools the stack tests run (promtool, amtool, prometheus). A missing tool
// skips its tests on a developer machine, but fails them in CI (CI=true), where .ci/run installs them.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const inCI = process.env.CI === 'true';

export function findTool(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Whether tests needing `name` should be skipped: only when it is missing outside CI. */
export function skipWithout(...names: string[]): boolean {
  const missing = names.filter((n) => findTool(n) === undefined);
  if (missing.length === 0) return false;
  if (inCI) return false; // run, and fail on the missing tool
  process.stderr.write(`skipping: ${missing.join(', ')} not installed (apt-get install prometheus prometheus-alertmanager)\n`);
  return true;
}

export interface RunResult {
  status: number | null;
  output: string;
}

/** Runs a tool from the repository root; a missing tool is a failure with a clear message. */
export function run(tool: string, args: string[], input?: string): RunResult {
  const path = findTool(tool);
  if (!path) return { status: null, output: `${tool} is not installed (CI must install it: see .ci/run)` };
  const r = spawnSync(path, args, { cwd: ROOT, encoding: 'utf8', input, timeout: 60_000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}
