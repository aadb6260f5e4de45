// The integration test of the stack: the exporter in demo mode, scraped every second by a real
// Prometheus (Debian's package) loaded with the project's rules. Every PromQL expression the
// project ships (dashboards, rules, Grafana alerts, docs/promql.md) must parse; every dashboard
// panel and template variable must return data; `promtool check metrics` must be clean.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestExporter } from '../helpers/exporter.js';
import { tempDir } from '../helpers/tmp.js';
import { CONTRACT_METRICS } from './contract-metrics.js';
import { backfill, syncedMetrics, syntheticHistory } from './backfill.js';
import { allExpressions, metricsRead, recordingRules, type Expression } from './promql-sources.js';
import { freePort, poll } from './servers.js';
import { ROOT, findTool, run, skipWithout } from './tools.js';

const skip = skipWithout('prometheus', 'promtool');
// Started at collection time so the helper's afterAll belongs to this file.
const exporter = skip ? undefined : await startTestExporter({ DEMO: 'true' });
const scratch = tempDir('crowdfund-prometheus-');

const JOB = 'crowdfund-exporter';
let prometheus: ChildProcess | undefined;
let prometheusLog = '';
let base = '';

/** Polls `check` until it returns a value; a time-out shows the end of Prometheus' log. */
const waitFor = <T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> =>
  poll(what, check, timeoutMs, () => prometheusLog);

interface QueryResult {
  ok: boolean;
  error?: string;
  series: number;
}

async function query(expr: string): Promise<QueryResult> {
  const res = await fetch(`${base}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr }),
  });
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: unknown } };
  if (body.status !== 'success') return { ok: false, error: body.error ?? `HTTP ${res.status}`, series: 0 };
  const result = body.data?.result;
  const series = Array.isArray(result) ? result.length : result === undefined ? 0 : 1;
  return { ok: true, series };
}

/** Prometheus' storage, with the synthetic history of backfill.ts written in before it starts. */
const dataDir = join(scratch, 'data');

async function startPrometheus(): Promise<void> {
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: [join(ROOT, 'prometheus', 'rules', '*.yml')],
    scrape_configs: [{ job_name: JOB, static_configs: [{ targets: [new URL(exporter!.url).host] }] }],
  };
  const configPath = join(scratch, 'prometheus.yml');
  writeFileSync(configPath, JSON.stringify(config)); // JSON is YAML
  // A free port can be taken between probing and binding: try a few.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    prometheusLog = '';
    const child = spawn(
      findTool('prometheus')!,
      [
        `--config.file=${configPath}`,
        `--storage.tsdb.path=${dataDir}`,
        '--storage.tsdb.retention.time=30d',
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus = child;
    child.stdout!.on('data', (d: Buffer) => (prometheusLog += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (prometheusLog += d.toString()));
    const exited = new Promise<'exited'>((resolve) => child.once('exit', () => resolve('exited')));
    const ready = waitFor('Prometheus ready', async () => ((await fetch(`${base}/-/ready`)).ok ? 'ready' : undefined), 30_000);
    const outcome = await Promise.race([ready, exited]);
    if (outcome === 'ready') return;
    if (!/address already in use/i.test(prometheusLog) || attempt === 3) {
      throw new Error(`Prometheus exited at start:\n${prometheusLog.slice(-2000)}`);
    }
  }
}

afterAll(async () => {
  const child = prometheus;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
});

describe.skipIf(skip)('live Prometheus against the demo exporter', () => {
  const expressions = allExpressions();
  const recorded = recordingRules();
  let metricsText = '';
  /** Metric names with at least one sample on the exporter's /metrics. */
  let served = new Set<string>();
  const results = new Map<Expression, QueryResult>();

  beforeAll(async () => {
    // A week and two weeks ago, for the week-over-week panels (see backfill.ts).
    const target = { job: JOB, instance: new URL(exporter!.url).host };
    backfill(syntheticHistory(await syncedMetrics(exporter!.url), target, Math.floor(Date.now() / 1000)), scratch, dataDir);
    await startPrometheus();
    await waitFor(
      'the exporter target up with a few scrapes and a rule evaluation',
      async () => {
        const up = await query(`up{job="${JOB}"} == 1 and count_over_time(up{job="${JOB}"}[1m]) >= 3`);
        if (up.series === 0) return undefined;
        const rules = (await (await fetch(`${base}/api/v1/rules`)).json()) as {
          data: { groups: Array<{ lastEvaluation: string }> };
        };
        const evaluated = rules.data.groups.every((g) => !g.lastEvaluation.startsWith('0001'));
        return evaluated && rules.data.groups.length > 0 ? true : undefined;
      },
      45_000,
    );
    // A first sync of every source, where the exporter runs any (failures show in the panels).
    await waitFor('the first sync runs to finish', async () => ((await query('crowdfund_sync_up == 0')).series === 0 ? true : undefined), 60_000).catch(
      () => undefined,
    );
    metricsText = await (await fetch(`${exporter!.url}/metrics`)).text();
    served = new Set(
      metricsText
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(l)![0]),
    );
    // Poll until every expression that must return data does (the test below names any that never did).
    await waitFor(
      'dashboard queries to return data',
      async () => {
        for (const e of expressions) results.set(e, await query(e.expr));
        const waiting = expressions.filter((e) => e.mustReturnData && results.get(e)!.series === 0);
        return waiting.length === 0 ? true : undefined;
      },
      45_000,
    ).catch(() => undefined);
  }, 180_000);

  it('every expression parses and evaluates', () => {
    const failed = expressions
      .filter((e) => !results.get(e)?.ok)
      .map((e) => `${e.origin}: ${e.where}\n  ${e.expr}\n  → ${results.get(e)?.error}`);
    expect(failed, failed.join('\n')).toEqual([]);
    expect(expressions.filter((e) => e.origin === 'docs').length).toBeGreaterThanOrEqual(10);
    expect(expressions.filter((e) => e.origin === 'panel').length).toBeGreaterThanOrEqual(40);
  });

  it('every dashboard panel and template variable returns data', () => {
    // No let-offs: demo mode serves every metric the dashboards read.
    const failing = expressions
      .filter((e) => e.mustReturnData && results.get(e)?.ok && results.get(e)!.series === 0)
      .map((e) => {
        const unserved = [...metricsRead(e.expr, recorded)].filter((m) => !served.has(m));
        return `${e.where}: ${e.expr}${unserved.length > 0 ? `  [not on /metrics: ${unserved.join(', ')}]` : ''}`;
      });
    expect(failing, `dashboard expressions without data:\n${failing.join('\n')}`).toEqual([]);
  });

  it('the demo shows a campaign on pace and one at risk', async () => {
    // "On pace for the end date?" per app title: 1 = behind (needed per day above the 7-day pace).
    // The rules behind it are evaluated on Prometheus' own schedule, so wait until both apps have it.
    const stateNow = async () => {
      const res = await fetch(`${base}/api/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          query:
            'max by (title) ((app:btcpay_crowdfund_raised_amount_per_day:needed > bool on (instance, job, app) app:btcpay_crowdfund_raised_amount_per_day:avg7d) * on (app) group_left (title) max by (app, title) (btcpay_crowdfund_info))',
        }),
      });
      const body = (await res.json()) as { data: { result: Array<{ metric: { title: string }; value: [number, string] }> } };
      return Object.fromEntries(body.data.result.map((r) => [r.metric.title, r.value[1]]));
    };
    let state: Record<string, string> = {};
    await waitFor(
      'both demo campaigns to have an on-pace state',
      async () => {
        state = await stateNow();
        return state['Podcast season 2 (on pace)'] !== undefined && state['Hackerspace rent (at risk)'] !== undefined ? true : undefined;
      },
      45_000,
    ).catch(() => undefined);
    expect(state['Podcast season 2 (on pace)'], JSON.stringify(state)).toBe('0');
    expect(state['Hackerspace rent (at risk)'], JSON.stringify(state)).toBe('1');
  });

  it('demo mode serves every metric the issues promise', () => {
    const missing = Object.entries(CONTRACT_METRICS)
      .filter(([name]) => !served.has(name) && !served.has(`${name}_total`))
      .map(([name, issue]) => `${name} (${issue})`);
    expect(missing, `not served: ${missing.join(', ')}`).toEqual([]);
  });

  it('promtool check metrics finds no problem in /metrics', () => {
    expect(metricsText).toContain('crowdfund_build_info');
    const r = run('promtool', ['check', 'metrics'], metricsText);
    expect(r.output.trim()).toBe('');
    expect(r.status).toBe(0);
  });
});
