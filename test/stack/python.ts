// Debian's Python with python3-prometheus-client (/usr/bin/python3: `python3` on PATH may be
// another Python without the module). Missing, the tests that need it skip on a laptop and fail
// in CI (CI=true), where .ci/run installs it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { inCI } from './tools.js';

export const SYSTEM_PYTHON = '/usr/bin/python3';

export function hasPrometheusClient(): boolean {
  if (!existsSync(SYSTEM_PYTHON)) return false;
  return spawnSync(SYSTEM_PYTHON, ['-c', 'import prometheus_client'], { encoding: 'utf8' }).status === 0;
}

/** Whether tests needing the Python client should skip: only when it is missing outside CI. */
export function skipWithoutPrometheusClient(): boolean {
  if (hasPrometheusClient()) return false;
  if (inCI) return false; // run, and fail on the missing module
  process.stderr.write('skipping: /usr/bin/python3 with prometheus_client not installed (apt-get install python3-prometheus-client)\n');
  return true;
}
