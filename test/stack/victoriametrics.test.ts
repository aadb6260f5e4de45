// The long-term storage path, run for real: the demo exporter, a real Prometheus (Debian's) scraping
// it every second with the project's rules, the external_labels of prometheus/prometheus.yml and
// its commented remote_write block (uncommented here) sending to a real VictoriaMetrics (Debian's
// victoria-metrics), all on 127.0.0.1 and ephemeral ports. After a few scrapes the business series
// read back from VictoriaMetrics' Prometheus-compatible API equal Prometheus' own, sample for
// sample, and every dashboard, rule and docs expression parses and returns the same data from
// VictoriaMetrics, except where MetricsQL reads it differently (METRICSQL_DIFFERS, docs/deploy.md).
// Both stores hold the same synthetic history a week and two weeks back (backfill.ts), for the
// week-over-week rules.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startTestExporter } from '../helpers/exporter.js';
import { tempDir } from '../helpers/tmp.js';
import { backfill, syncedMetrics, syntheticHistory, toImportText } from './backfill.js';
import { allExpressions, type Expression } from './promql-sources.js';
import { poll, startServer, type Server } from './servers.js';
import { ROOT, skipWithout } from './tools.js';

const skip = skipWithout('prometheus', 'victoria-metrics');
const exporter = skip ? undefined : await startTestExporter({ DEMO: 'true' });
const scratch = tempDir('crowdfund-longterm-');
const JOB = 'crowdfund-exporter';

/**
 * Functions MetricsQL evaluates differently from PromQL, so expressions using them may return other
 * values from VictoriaMetrics (they still parse and return data): VictoriaMetrics does not
 * extrapolate rate()/increase() to the window's edges and takes the sample before the window into
 * account, so on a counter it gives the exact increase where Prometheus gives an estimate.
 */
export const METRICSQL_DIFFERS: Record<string, string> = {
  increase: 'no extrapolation: the exact increase, the sample before the window included',
  rate: 'no extrapolation: increase()/window as above',
  irate: 'the last two samples, the one before the window included',
  delta: 'no extrapolation',
  deriv: 'uses the sample before the window',
  changes: 'counts the change from the sample before the window',
  resets: 'counts a reset against the sample before the window',
};

interface PromConfig {
  global: { external_labels: Record<string, string> };
}

/** The commented-out remote_write block of prometheus/prometheus.yml, uncommented and parsed. */
export function remoteWriteBlock(file = 'prometheus/prometheus.yml'): Array<Record<string, unknown>> {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const start = lines.findIndex((l) => /^# remote_write:\s*$/.test(l));
  if (start === -1) throw new Error(`${file}: no commented "# remote_write:" block`);
  const block: string[] = [];
  for (const l of lines.slice(start)) {
    if (!l.startsWith('#')) break;
    block.push(l.replace(/^# ?/, ''));
  }
  return (parse(block.join('\n')) as { remote_write: Array<Record<string, unknown>> }).remote_write;
}

interface Series {
  metric: Record<string, string>;
  value?: [number, string];
  values?: Array<[number, string]>;
}

async function query(base: string, expr: string, time: number): Promise<{ ok: boolean; error?: string; type?: string; result: Series[] }> {
  const res = await fetch(`${base}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query: expr, time: String(time) }),
  });
  const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: Series[] | [number, string] } };
  if (body.status !== 'success') return { ok: false, error: body.error ?? `HTTP ${res.status}`, result: [] };
  const r = body.data!.result;
  const result: Series[] = body.data!.resultType === 'scalar' ? [{ metric: {}, value: r as [number, string] }] : (r as Series[]);
  return { ok: true, type: body.data!.resultType, result };
}

describe.skipIf(skip)('remote_write to VictoriaMetrics, read back through its Prometheus API', () => {
  const promConfig = parse(readFileSync(join(ROOT, 'prometheus', 'prometheus.yml'), 'utf8')) as PromConfig;
  const external = promConfig.global.external_labels;
  const strip = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).filter(([k]) => !(k in external)));
  const key = (m: Record<string, string>) => JSON.stringify(Object.entries(m).sort(([a], [b]) => a.localeCompare(b)));
  let vm: Server;
  let prom: Server;
  let at = 0;

  beforeAll(async () => {
    vm = await startServer(
      'victoria-metrics',
      (port, attempt) => [
        `-httpListenAddr=127.0.0.1:${port}`,
        `-storageDataPath=${join(scratch, `vm-${attempt}`)}`,
        '-retentionPeriod=1',
        // Instant queries see the newest samples at once (default: 30 s behind), and no cache.
        '-search.latencyOffset=0s',
        '-search.disableCache',
        '-loggerLevel=ERROR',
      ],
      '/health',
    );
    // The shipped block, pointed at this VictoriaMetrics and flushed every second for the test.
    const remoteWrite = remoteWriteBlock().map((rw) => ({
      ...rw,
      url: `${vm.base}/api/v1/write`,
      queue_config: { ...(rw.queue_config as object), batch_send_deadline: '1s', min_backoff: '100ms' },
    }));
    const config = {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s', external_labels: external },
      rule_files: [join(ROOT, 'prometheus', 'rules', '*.yml')],
      scrape_configs: [{ job_name: JOB, static_configs: [{ targets: [new URL(exporter!.url).host] }] }],
      remote_write: remoteWrite,
    };
    const configPath = join(scratch, 'prometheus.yml');
    writeFileSync(configPath, JSON.stringify(config)); // JSON is YAML
    // The synthetic week and two weeks ago of backfill.ts, in both stores: Prometheus gets it as
    // blocks before it starts (remote_write only sends what it scrapes and records from then on),
    // VictoriaMetrics through its import API, with the external labels remote_write adds.
    const metricsText = await syncedMetrics(exporter!.url);
    const now = Math.floor(Date.now() / 1000);
    const target = { job: JOB, instance: new URL(exporter!.url).host };
    const history = syntheticHistory(metricsText, target, now);
    const imported = await fetch(`${vm.base}/api/v1/import/prometheus`, { method: 'POST', body: toImportText(syntheticHistory(metricsText, { ...target, ...external }, now)) });
    expect(imported.status).toBe(204);
    prom = await startServer(
      'prometheus',
      (port, attempt) => {
        const dataDir = join(scratch, `prom-${attempt}`);
        backfill(history, scratch, dataDir);
        return [`--config.file=${configPath}`, `--storage.tsdb.path=${dataDir}`, '--storage.tsdb.retention.time=30d', `--web.listen-address=127.0.0.1:${port}`];
      },
      '/-/ready',
    );
    // A few scrapes and rule evaluations, and the first sync of every source, in Prometheus.
    await poll(
      'five scrapes and a synced exporter in Prometheus',
      async () => {
        const now = Date.now() / 1000;
        const up = await query(prom.base, `count_over_time(up{job="${JOB}"}[1m]) >= 5`, now);
        const synced = await query(prom.base, 'crowdfund_sync_up == 0', now);
        const recorded = await query(prom.base, 'store:btcpay_raised_sats:increase1d', now);
        return up.result.length > 0 && synced.result.length === 0 && recorded.result.length > 0 ? true : undefined;
      },
      60_000,
      prom.log,
    );
    // The time of Prometheus' latest scrape; then wait until VictoriaMetrics holds it too.
    const last = await query(prom.base, `timestamp(up{job="${JOB}"})`, Date.now() / 1000);
    at = Number(last.result[0]!.value![1]);
    await poll(
      'the latest scrape in VictoriaMetrics',
      async () => {
        const r = await query(vm.base, `timestamp(up{job="${JOB}"})`, at);
        return r.result.length > 0 && Number(r.result[0]!.value![1]) >= at ? true : undefined;
      },
      30_000,
      vm.log,
    );
  }, 120_000);

  it('the business series in VictoriaMetrics equal those in Prometheus, sample for sample', async () => {
    const selector = `{__name__=~"(btcpay|angor)_.+",job="${JOB}"}[30s]`;
    const fromProm = await query(prom.base, selector, at);
    expect(fromProm.ok, fromProm.error).toBe(true);
    expect(fromProm.result.length).toBeGreaterThan(50);
    // Remote write may still be delivering a batch: poll until the two sides agree.
    const fromVm = await poll(
      'VictoriaMetrics to hold every sample Prometheus has',
      async () => {
        const r = await query(vm.base, selector, at);
        return r.ok && r.result.length >= fromProm.result.length ? r : undefined;
      },
      20_000,
    );
    for (const s of fromVm.result) expect(s.metric, 'remote-written series carry the external labels').toMatchObject(external);
    const samples = (r: Series[], clean: (m: Record<string, string>) => Record<string, string>) =>
      new Map(r.map((s) => [key(clean(s.metric)), (s.values ?? []).map(([t, v]) => [t.toFixed(3), Number(v)] as const)]));
    const p = samples(fromProm.result, (m) => m);
    const v = samples(fromVm.result, strip);
    expect([...v.keys()].sort()).toEqual([...p.keys()].sort());
    let integers = 0;
    for (const [k, values] of p) {
      const got = v.get(k)!;
      expect(got.map(([t]) => t), `${k}: timestamps`).toEqual(values.map(([t]) => t));
      for (const [i, [, want]] of values.entries()) {
        const have = got[i]![1];
        // Sats, counts and timestamps are integers: exact. Other floats (fiat amounts, ratios)
        // keep VictoriaMetrics' 12 significant digits (it stores decimal mantissa and exponent),
        // so a value such as 100.0006264621 may come back 1e-12 (relative) off: allow 1e-11.
        if (Number.isInteger(want)) {
          integers++;
          expect(have, k).toBe(want);
        } else expect(Math.abs(have - want), `${k}: ${have} vs ${want}`).toBeLessThanOrEqual(1e-11 * Math.abs(want));
      }
    }
    expect(integers).toBeGreaterThan(100);
  });

  it('keeps the largest sats figure exact (the 21M BTC supply, 2,099,999,997,690,000 sats)', async () => {
    const t = Math.floor(at) * 1000;
    const line = `crowdfund_longterm_probe_sats{probe="supply"} 2099999997690000 ${t}\n`;
    expect((await fetch(`${vm.base}/api/v1/import/prometheus`, { method: 'POST', body: line })).status).toBe(204);
    const r = await poll(
      'the probe sample',
      async () => {
        const q = await query(vm.base, 'crowdfund_longterm_probe_sats', Math.floor(at));
        return q.result.length > 0 ? q : undefined;
      },
      20_000,
    );
    expect(r.result[0]!.value![1]).toBe('2099999997690000');
  });

  it('every dashboard, rule, alert and docs expression parses and returns the same data from VictoriaMetrics', async () => {
    const expressions = allExpressions();
    const differsBy = (e: Expression) => Object.keys(METRICSQL_DIFFERS).filter((f) => new RegExp(`\\b${f}\\s*\\(`).test(e.expr));
    const failed: string[] = [];
    const empty: string[] = [];
    const different: string[] = [];
    const differentAsDocumented: string[] = [];
    for (const e of expressions) {
      const [p, v] = await Promise.all([query(prom.base, e.expr, at), query(vm.base, e.expr, at)]);
      if (!v.ok) {
        failed.push(`${e.where}: ${e.expr}\n  → ${v.error}`);
        continue;
      }
      if (e.mustReturnData && v.result.length === 0) empty.push(`${e.where}: ${e.expr}`);
      const shape = (r: Series[], clean: (m: Record<string, string>) => Record<string, string>) =>
        new Map(r.map((s) => [key(clean(s.metric)), Number(s.value?.[1] ?? NaN)]));
      const ps = shape(p.result, (m) => m);
      const vs = shape(v.result, strip);
      const same =
        ps.size === vs.size &&
        [...ps].every(([k, x]) => vs.has(k) && (Object.is(x, vs.get(k)) || Math.abs(x - vs.get(k)!) <= 1e-9 * Math.max(1, Math.abs(x))));
      if (same) continue;
      if (differsBy(e).length > 0) differentAsDocumented.push(`${e.where} (${differsBy(e).join(', ')})`);
      else different.push(`${e.where}: ${e.expr}\n  Prometheus ${JSON.stringify([...ps])}\n  VictoriaMetrics ${JSON.stringify([...vs])}`);
    }
    expect(failed, `expressions VictoriaMetrics cannot evaluate:\n${failed.join('\n')}`).toEqual([]);
    expect(empty, `dashboard expressions without data from VictoriaMetrics:\n${empty.join('\n')}`).toEqual([]);
    expect(different, `expressions that differ without a documented MetricsQL reason:\n${different.join('\n')}`).toEqual([]);
    expect(expressions.filter((e) => e.origin === 'panel').length).toBeGreaterThanOrEqual(40);
    // For the record (docs/deploy.md lists the functions): what differed this run.
    if (differentAsDocumented.length > 0) process.stderr.write(`MetricsQL read these differently (documented): \n  ${differentAsDocumented.join('\n  ')}\n`);
  });

  it('the shipped remote_write block is the one tested, in both Prometheus configs', () => {
    for (const file of ['prometheus/prometheus.yml', 'prometheus/prometheus.local.yml']) {
      const [rw] = remoteWriteBlock(file);
      expect(rw!.url).toMatch(/^http:\/\/(victoriametrics|localhost):8428\/api\/v1\/write$/);
      expect(rw!.queue_config).toBeDefined();
      const cfg = parse(readFileSync(join(ROOT, file), 'utf8')) as PromConfig & { remote_write?: unknown };
      expect(cfg.remote_write, `${file}: remote_write stays commented out (the longterm profile is optional)`).toBeUndefined();
      expect(Object.keys(cfg.global.external_labels).sort()).toEqual(['cluster', 'site']);
    }
  });
});
