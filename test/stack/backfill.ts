// Synthetic history for the live Prometheus test. The week-over-week panels compare the last 7 days
// with the 7 days before, which a Prometheus started a minute ago cannot do; and the Angor demo is a
// static snapshot whose investments never move, so only history gives its projects a pace (and a
// "Projected to reach target"). Before Prometheus starts, the test writes TSDB blocks (promtool tsdb
// create-blocks-from openmetrics) holding, for the series those rules read, samples around 14 and 7
// days ago: 30 % and 60 % of the value the exporter serves now (so the last 7 days raised 40 % of
// it, the 7 days before 30 %). Only the offsets the rules look at are filled, a few minutes either
// side, which keeps the blocks tiny.
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

/** OpenMetrics text with the synthetic samples, `target` labels (job, instance) added. */
export function syntheticHistory(text: string, target: { job: string; instance: string }, now: number): string {
  const extra = `job="${target.job}",instance="${target.instance}"`;
  const points: Array<{ at: number; share: number }> = [];
  for (const [ago, share] of [
    [14 * DAY, 0.3],
    [7 * DAY, 0.6],
  ] as const) {
    // Every 30 s from 10 minutes before to 10 minutes after the offset, so `offset 7d` and
    // `offset 14d` find a sample for the whole test run.
    for (let t = now - ago - 600; t <= now - ago + 600; t += 30) points.push({ at: t, share });
  }
  const lines: string[] = [];
  const samples = samplesOf(text, BACKFILLED_METRICS);
  for (const name of BACKFILLED_METRICS) {
    lines.push(`# TYPE ${name} gauge`);
    for (const s of samples.filter((x) => x.name === name)) {
      const labels = s.labels === '{}' ? `{${extra}}` : `${s.labels.slice(0, -1)},${extra}}`;
      // Whole numbers stay whole (sats, counts); amounts keep their decimals.
      const at = (share: number) => (Number.isInteger(s.value) ? Math.floor(s.value * share) : s.value * share);
      for (const p of points) lines.push(`${name}${labels} ${at(p.share)} ${p.at}`);
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

/** Writes the history as TSDB blocks into `dataDir` (Prometheus' --storage.tsdb.path). */
export function backfill(openMetrics: string, scratch: string, dataDir: string): void {
  const input = join(scratch, 'history.om');
  writeFileSync(input, openMetrics);
  const r = run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', input, dataDir]);
  if (r.status !== 0) throw new Error(`promtool could not write the history blocks:\n${r.output}`);
}
