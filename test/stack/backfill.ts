// Synthetic history for the live Prometheus tests. The week-over-week panels compare the last 7 days
// with the 7 days before, which a Prometheus started a minute ago cannot do; and the Angor demo is a
// static snapshot whose investments never move, so only history gives its projects a pace (and a
// "Projected to reach target"). Before Prometheus starts, the test writes TSDB blocks (promtool tsdb
// create-blocks-from openmetrics) for the series those rules read, shaped like what
// `crowdfund-exporter history` backfills (docs/history.md): one sample an hour, on the hour, for the
// last 15 days up to 3 hours ago, rising evenly from 20 % to 90 % of the value the exporter serves
// now. So the rules also show that they read hourly history between its samples.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './tools.js';

/** The series the comparison rules read 7 and 14 days back, and the Angor amounts the pace reads. */
export const BACKFILLED_METRICS = [
  'btcpay_raised_sats',
  'btcpay_contributions',
  'btcpay_crowdfund_raised_amount',
  'btcpay_crowdfund_contributors',
  'angor_project_raised_sats',
] as const;

const DAY = 86_400;

interface Sample {
  name: string;
  labels: string;
  value: number;
}

/** Samples of `names` in a Prometheus text exposition (no timestamps, no exemplars). */
export function samplesOf(text: string, names: readonly string[]): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)$/.exec(line);
    if (!m || !names.includes(m[1]!)) continue;
    out.push({ name: m[1]!, labels: m[2] ?? '{}', value: Number(m[3]) });
  }
  return out;
}

export interface HistorySample {
  name: string;
  /** `{...}` with the target's labels (and any extra ones) added. */
  labels: string;
  value: number;
  /** Unix seconds. */
  at: number;
}

/** The synthetic samples, with `labels` (job, instance; external labels for a remote store) added. */
export function syntheticHistory(text: string, labels: Record<string, string>, now: number): HistorySample[] {
  const extra = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  const points: Array<{ at: number; share: number }> = [];
  const first = Math.ceil((now - 15 * DAY) / 3600) * 3600;
  const last = Math.floor((now - 3 * 3600) / 3600) * 3600;
  for (let t = first; t <= last; t += 3600) points.push({ at: t, share: 0.2 + (0.7 * (t - first)) / (last - first) });
  const out: HistorySample[] = [];
  for (const s of samplesOf(text, BACKFILLED_METRICS)) {
    const withLabels = s.labels === '{}' ? `{${extra}}` : `${s.labels.slice(0, -1)},${extra}}`;
    // Whole numbers stay whole (sats, counts); amounts keep their decimals.
    const at = (share: number) => (Number.isInteger(s.value) ? Math.floor(s.value * share) : s.value * share);
    for (const p of points) out.push({ name: s.name, labels: withLabels, value: at(p.share), at: p.at });
  }
  return out;
}

/** OpenMetrics for promtool: one family after the other, seconds. */
export function toOpenMetrics(history: readonly HistorySample[]): string {
  const lines: string[] = [];
  for (const name of BACKFILLED_METRICS) {
    lines.push(`# TYPE ${name} gauge`);
    for (const s of history) if (s.name === name) lines.push(`${s.name}${s.labels} ${s.value} ${s.at}`);
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

/** Prometheus text with millisecond timestamps, as VictoriaMetrics' /api/v1/import/prometheus takes it. */
export function toImportText(history: readonly HistorySample[]): string {
  return history.map((s) => `${s.name}${s.labels} ${s.value} ${s.at * 1000}\n`).join('');
}

/** Writes the history as TSDB blocks into `dataDir` (Prometheus' --storage.tsdb.path). */
export function backfill(history: readonly HistorySample[], scratch: string, dataDir: string): void {
  const input = join(scratch, 'history.om');
  writeFileSync(input, toOpenMetrics(history));
  const r = run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=672h', '--quiet', input, dataDir]);
  if (r.status !== 0) throw new Error(`promtool could not write the history blocks:\n${r.output}`);
}

/** The exporter's /metrics once its first syncs have finished (crowdfund_sync_up 1 for every source). */
export async function syncedMetrics(exporterUrl: string, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await (await fetch(`${exporterUrl}/metrics`)).text();
    const up = text.split('\n').filter((l) => l.startsWith('crowdfund_sync_up{'));
    if (up.length > 0 && up.every((l) => l.endsWith(' 1'))) return text;
    if (Date.now() > deadline) throw new Error(`the exporter's first syncs did not finish within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200)); // polling interval, not a wait for an outcome
  }
}
