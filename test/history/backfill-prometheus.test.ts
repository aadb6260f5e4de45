// The whole backfill with the real tools: simulator history (four months, two stores) → exporter
// sync → `history` → promtool blocks → a real Prometheus on that data dir, which also scrapes the
// exporter under the same job and instance. Every expected value comes from the simulator's own
// model (truth.ts), never from the exporter's database.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BtcpaySimulator, ManualClock, PERM, generateHistory } from '../../exporter/src/demo/btcpay-simulator/index.js';
import { runHistory } from '../../exporter/src/history/command.js';
import { startTestExporter } from '../helpers/exporter.js';
import { tempDir } from '../helpers/tmp.js';
import { ROOT, findTool, skipWithout } from '../stack/tools.js';
import { startPrometheus, poll, type TestPrometheus } from './prometheus.js';
import { raisedEvents, truthAt, truthSeries, type RaisedEvent } from './truth.js';

const skip = skipWithout('prometheus', 'promtool');
const JOB = 'crowdfund-exporter';
const HOUR = 3600;
const DAY = 86400;
const NOW = Math.floor(Date.now() / 1000);
// The simulated history ends before the default --until (the last hour at least 3 h ago), so the
// newest backfilled sample already holds everything and the first scrape must show the same.
const HISTORY_END = NOW - 4 * HOUR;

const sim = new BtcpaySimulator({ clock: new ManualClock(HISTORY_END), seed: 1313 });
const stores = [sim.addStore({ name: 'Crowdfund', defaultCurrency: 'USD' }), sim.addStore({ name: 'Shop', defaultCurrency: 'EUR' })];
for (const s of stores) generateHistory(sim, s.id, { days: 120, invoicesPerDay: 24, until: HISTORY_END });
// The generated invoices are paid at once; these are paid twice, hours apart (half on-chain, the
// rest over Lightning), so the raise time (the latest payment) differs from the first payment and
// from the creation by more than a step.
for (let i = 0; i < 24; i++) {
  const created = HISTORY_END - (3 + i * 4) * DAY + 1234;
  const inv = sim.createInvoice(stores[i % 2]!.id, { amount: '50', createdTime: created, expirationMinutes: 24 * 60 });
  sim.pay(inv.id, { method: 'BTC-CHAIN', fraction: 0.5, at: created + 600 });
  sim.pay(inv.id, { method: 'BTC-LN', at: created + 600 + (2 + (i % 4)) * HOUR });
  sim.confirm(inv.id, created + 7 * HOUR);
}
const apiKey = sim.addApiKey(stores.map((s) => `${PERM.viewInvoices}:${s.id}`));
if (!skip) await sim.listen();
afterAll(() => sim.close());

const exporter = skip
  ? undefined
  : await startTestExporter(
      { BTCPAY_URL: sim.url, BTCPAY_API_KEY: apiKey, BTCPAY_STORE_IDS: stores.map((s) => s.id).join(','), ANGOR_ENABLE: 'false' },
      { schedule: false },
    );
const scratch = tempDir('crowdfund-backfill-');
const dataDir = join(scratch, 'data');
const historyFile = join(scratch, 'history.om');
let prometheus: TestPrometheus | undefined;
afterAll(async () => prometheus?.stop());

const truth = new Map<string, RaisedEvent[]>(stores.map((s) => [s.id, raisedEvents(sim, s.id)]));
let until = 0;
let firstStep = 0;
/** A dozen step boundaries spread over the history, and what each query gave (for the second backfill). */
let checkpoints: number[] = [];
const seen = new Map<string, string>();

function promtool(): string {
  const r = spawnSync(findTool('promtool')!, ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=672h', '-q', historyFile, dataDir], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`promtool failed: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

const blocks = () => readdirSync(dataDir).filter((d) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(d));

async function valueAt(expr: string, t: number): Promise<number | undefined> {
  const r = await prometheus!.query(expr, t);
  return r.length === 1 ? Number(r[0]!.value[1]) : r.length === 0 ? undefined : NaN;
}

function raisedPerDayExpr(): string {
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'grafana/dashboards/crowdfund-overview.json'), 'utf8')) as {
    panels: Array<{ title?: string; targets?: Array<{ expr: string }> }>;
  };
  const panel = dashboard.panels.find((p) => p.title === 'Raised per day (rolling 24 h)');
  if (!panel?.targets?.[0]) throw new Error('no "Raised per day" panel in the overview dashboard');
  return panel.targets[0].expr.replaceAll('$store', '.*');
}

describe.skipIf(skip)('backfill into a real Prometheus', () => {
  beforeAll(async () => {
    const results = await exporter!.scheduler.runAll('test');
    expect(results.every((r) => r.ok), JSON.stringify(results)).toBe(true);
    let stderr = '';
    const code = await runHistory(
      exporter!.database.path,
      { out: historyFile, step: '1h', job: JOB, instance: new URL(exporter!.url).host },
      { stdout: process.stdout, stderr: { write: (s: string) => (stderr += s) }, now: () => NOW },
    );
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/^history: \d+ series, \d+ samples every 3600 s from /);
    until = Math.floor((NOW - 3 * HOUR) / HOUR) * HOUR;
    const earliest = Math.min(...stores.map((s) => sim.model.store(s.id).invoices[0]!.createdTime));
    firstStep = Math.ceil(earliest / HOUR) * HOUR;
    checkpoints = Array.from({ length: 12 }, (_, i) => firstStep + Math.round(((until - firstStep) * i) / 11 / HOUR) * HOUR);
    mkdirSync(dataDir);
    promtool();
    prometheus = await startPrometheus({ dataDir, configDir: scratch, job: JOB, targets: [new URL(exporter!.url).host] });
  }, 60_000);

  it('instant queries at a dozen past step boundaries give the history rule\'s values, to the sat', async () => {
    let nonZero = 0;
    for (const store of stores) {
      for (const t of checkpoints) {
        const want = truthAt(truth.get(store.id)!, t);
        const sats = await valueAt(`btcpay_raised_sats{store="${store.id}"}`, t);
        const contributions = await valueAt(`btcpay_contributions{store="${store.id}"}`, t);
        expect({ t, sats, contributions }).toEqual({ t, sats: want.raisedSats, contributions: want.contributions });
        seen.set(`${store.id}@${t}`, `${sats}/${contributions}`);
        if (want.raisedSats > 0) nonZero += 1;
      }
    }
    // The checkpoints cover the history as it grows, not a flat line of zeros.
    expect(nonZero).toBeGreaterThanOrEqual(20);
  });

  it('every hourly sample of the whole history equals the history rule', async () => {
    for (const store of stores) {
      const steps = truthSeries(truth.get(store.id)!, firstStep, until, HOUR);
      for (const [metric, field] of [
        ['btcpay_raised_sats', 'raisedSats'],
        ['btcpay_contributions', 'contributions'],
      ] as const) {
        const [series] = await prometheus!.queryRange(`${metric}{store="${store.id}"}`, firstStep, until, HOUR);
        const want = steps.map((s): [number, string] => [s.t, String(s[field])]);
        expect(series!.values.length).toBe(want.length);
        const wrong = series!.values.filter(([t, v], i) => t !== want[i]![0] || v !== want[i]![1]);
        expect(wrong.slice(0, 5), `${metric} ${store.id}: ${wrong.length} of ${want.length} samples differ`).toEqual([]);
      }
    }
  });

  it('backfilled and scraped samples form one series per store, and the newest backfilled value equals the first scrape', async () => {
    for (const store of stores) {
      // An instant query at now sees scraped samples only: backfilled ones are hours old (stale).
      await poll('a scrape of the exporter', () => valueAt(`btcpay_raised_sats{store="${store.id}"}`, Math.floor(Date.now() / 1000)), 20_000);
      const [scraped] = await prometheus!.query(`btcpay_raised_sats{store="${store.id}"}[10m]`);
      const firstScraped = Number((scraped as unknown as { values: Array<[number, string]> }).values[0]![1]);
      const newestBackfilled = await valueAt(`btcpay_raised_sats{store="${store.id}"}`, until);
      expect(newestBackfilled).toBe(firstScraped);
      expect(firstScraped).toBe(sim.groundTruth(store.id).raisedSats);
    }
    const series = await prometheus!.series('btcpay_raised_sats', firstStep, Math.floor(Date.now() / 1000));
    expect(series.map((s) => s.store).sort()).toEqual(stores.map((s) => s.id).sort());
    for (const s of series) expect(Object.keys(s).sort()).toEqual(['__name__', 'instance', 'job', 'store']);
    const [count] = await prometheus!.query('count(last_over_time(btcpay_raised_sats[1000d]))');
    expect(Number(count!.value[1])).toBe(stores.length);
  });

  it('the "Raised per day" panel has every one of the last 30 full days, each equal to that day\'s raised sats', async () => {
    const lastMidnight = Math.floor(until / DAY) * DAY;
    const first = lastMidnight - 29 * DAY;
    const result = await prometheus!.queryRange(raisedPerDayExpr(), first, lastMidnight, DAY);
    expect(result.map((r) => r.metric.store).sort()).toEqual(stores.map((s) => s.id).sort());
    for (const r of result) {
      const events = truth.get(r.metric.store!)!;
      const want = Array.from({ length: 30 }, (_, i) => {
        const t = first + i * DAY;
        return [t, String(truthAt(events, t).raisedSats - truthAt(events, t - DAY).raisedSats)];
      });
      expect(r.values).toEqual(want);
      seen.set(`perday:${r.metric.store}`, JSON.stringify(r.values));
    }
  });

  it('backfilling the same history a second time changes no value', async () => {
    const before = blocks().length;
    await prometheus!.stop();
    promtool();
    expect(blocks().length).toBeGreaterThan(before); // overlapping blocks, merged by Prometheus
    prometheus = await startPrometheus({ dataDir, configDir: scratch, job: JOB, targets: [new URL(exporter!.url).host] });
    for (const store of stores) {
      for (const t of checkpoints) {
        const sats = await valueAt(`btcpay_raised_sats{store="${store.id}"}`, t);
        const contributions = await valueAt(`btcpay_contributions{store="${store.id}"}`, t);
        expect(`${sats}/${contributions}`).toBe(seen.get(`${store.id}@${t}`));
      }
      // Still one sample per step: nothing counted twice.
      const [n] = await prometheus!.query(`count_over_time(btcpay_raised_sats{store="${store.id}"}[${(until - firstStep) / HOUR + 1}h])`, until);
      expect(Number(n!.value[1])).toBe((until - firstStep) / HOUR + 1);
    }
    const lastMidnight = Math.floor(until / DAY) * DAY;
    const result = await prometheus!.queryRange(raisedPerDayExpr(), lastMidnight - 29 * DAY, lastMidnight, DAY);
    for (const r of result) expect(JSON.stringify(r.values)).toBe(seen.get(`perday:${r.metric.store}`));
  }, 60_000);
});
