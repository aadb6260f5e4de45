// The CLI as a user runs it: a bad value stops start-up with one clear line; SIGTERM shuts down cleanly.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../exporter/src/version.js';
import { tempDbPath } from './helpers/tmp.js';

const cli = join(PROJECT_ROOT, 'exporter/src/cli.ts');
const children: Array<ReturnType<typeof spawn>> = [];
afterEach(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function run(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

async function collect(child: ReturnType<typeof spawn>) {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

describe('cli', () => {
  it('a bad value exits 2 with one line naming the variable, no stack trace', async () => {
    const r = await collect(run(['serve'], { PORT: 'eighty', DATABASE_PATH: tempDbPath() }));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('configuration error: PORT: must be an integer from 0 to 65535 (got "eighty")\n');
    expect(r.stdout).toBe('');
  });

  it('serve listens, then shuts down gracefully on SIGTERM', async () => {
    const child = run(['serve'], {
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_PATH: tempDbPath(),
      DEMO: 'false',
      ANGOR_ENABLE: 'false',
    });
    const exited = collect(child);
    const lines = createInterface({ input: child.stdout! });
    let url: string | undefined;
    for await (const line of lines) {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === 'exporter listening') {
        url = entry.url;
        break;
      }
    }
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    child.kill('SIGTERM');
    const r = await exited;
    expect(r.code).toBe(0);
  });
});
