// A real Prometheus (Debian's package) on a given data dir and an ephemeral port, for the
// backfill tests, with the few API calls they make. Each start is stopped by the caller (stop()).
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, poll } from '../stack/servers.js';
import { findTool } from '../stack/tools.js';

export { poll };

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}
export interface RangeSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

export interface TestPrometheus {
  url: string;
  log(): string;
  query(expr: string, time?: number): Promise<Sample[]>;
  queryRange(expr: string, start: number, end: number, step: number): Promise<RangeSeries[]>;
  series(match: string, start: number, end: number): Promise<Array<Record<string, string>>>;
  stop(): Promise<void>;
}

async function api<T>(url: string, params: Record<string, string>): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  const body = (await res.json()) as { status: string; error?: string; data: T };
  if (body.status !== 'success') throw new Error(`Prometheus: ${body.error ?? `HTTP ${res.status}`} (${JSON.stringify(params)})`);
  return body.data;
}

export async function startPrometheus(opts: { dataDir: string; configDir: string; job: string; targets: string[] }): Promise<TestPrometheus> {
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s' },
    scrape_configs: [{ job_name: opts.job, static_configs: [{ targets: opts.targets }] }],
  };
  const configPath = join(opts.configDir, 'prometheus.yml');
  writeFileSync(configPath, JSON.stringify(config)); // JSON is YAML
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    let log = '';
    const child: ChildProcess = spawn(
      findTool('prometheus')!,
      [
        `--config.file=${configPath}`,
        `--storage.tsdb.path=${opts.dataDir}`,
        // Longer than the backfilled history, or Prometheus deletes the old blocks at once.
        '--storage.tsdb.retention.time=1000d',
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<'exited'>((resolve) => child.once('exit', () => resolve('exited')));
    const ready = poll('Prometheus ready', async () => ((await fetch(`${url}/-/ready`)).ok ? ('ready' as const) : undefined), 30_000);
    const outcome = await Promise.race([ready, exited]);
    if (outcome === 'exited') {
      if (/address already in use/i.test(log) && attempt < 3) continue;
      throw new Error(`Prometheus exited at start:\n${log.slice(-2000)}`);
    }
    return {
      url,
      log: () => log,
      query: async (expr, time) =>
        (await api<{ result: Sample[] }>(`${url}/api/v1/query`, { query: expr, ...(time !== undefined ? { time: String(time) } : {}) })).result,
      queryRange: async (expr, start, end, step) =>
        (await api<{ result: RangeSeries[] }>(`${url}/api/v1/query_range`, { query: expr, start: String(start), end: String(end), step: String(step) }))
          .result,
      series: (match, start, end) => api(`${url}/api/v1/series`, { 'match[]': match, start: String(start), end: String(end) }),
      async stop() {
        if (child.exitCode !== null) return;
        child.kill('SIGTERM');
        await exited;
      },
    };
  }
}
