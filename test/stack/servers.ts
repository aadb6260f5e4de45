// Real servers for the stack tests (Prometheus, VictoriaMetrics) on 127.0.0.1 and ephemeral ports:
// started, waited for until they answer, and stopped after the test file.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll } from 'vitest';
import { findTool } from './tools.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function poll<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, log?: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 200)); // polling interval, not a wait for an outcome
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}${log ? `\n${log().slice(-2000)}` : ''}`);
}

export interface Server {
  base: string;
  log(): string;
}

/**
 * Starts `tool` with the args `argsFor(port)` returns, until `ready` (a path) answers 2xx; a port
 * taken between probing and binding is retried with another. Stopped with SIGTERM after the file.
 */
export async function startServer(tool: string, argsFor: (port: number, attempt: number) => string[], ready: string): Promise<Server> {
  const path = findTool(tool);
  if (!path) throw new Error(`${tool} is not installed (CI must install it: see .ci/run)`);
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let output = '';
    const child: ChildProcess = spawn(path, argsFor(port, attempt), { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    afterAll(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    });
    const exited = new Promise<'exited'>((resolve) => child.once('exit', () => resolve('exited')));
    const up = poll(`${tool} ready`, async () => ((await fetch(`${base}${ready}`)).ok ? ('ready' as const) : undefined), 30_000, () => output);
    const outcome = await Promise.race([up, exited]);
    if (outcome === 'ready') return { base, log: () => output };
    if (!/address already in use/i.test(output) || attempt === 3) throw new Error(`${tool} exited at start:\n${output.slice(-2000)}`);
  }
  throw new Error('unreachable');
}
