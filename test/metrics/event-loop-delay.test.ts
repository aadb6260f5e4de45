// /metrics exports no NaN: prom-client's event-loop delay statistics are NaN when two scrapes
// come closer together than the histogram's 10 ms resolution; ours keep the last real values.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { EVENT_LOOP_DELAY_STATS, replaceEventLoopDelayStats } from '../../exporter/src/metrics/event-loop-delay.js';
import { startTestExporter } from '../helpers/exporter.js';
import { waitFor } from '../helpers/metrics.js';

const OPENMETRICS = 'application/openmetrics-text; version=1.0.0';
const STAT_NAMES = EVENT_LOOP_DELAY_STATS.map((s) => `crowdfund_nodejs_eventloop_lag_${s}_seconds`);

/** Every sample of an exposition (either format) as [series, raw value]. */
function samples(body: string): Array<[string, string]> {
  return body
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const m = /^(\S+?(?:\{.*\})?)\s+(\S+)(?:\s+\S+)?$/.exec(l);
      if (!m) throw new Error(`unparsable sample line: ${l}`);
      return [m[1]!, m[2]!];
    });
}

const stats = (body: string) => Object.fromEntries(samples(body).filter(([s]) => STAT_NAMES.includes(s)).map(([s, v]) => [s, Number(v)]));

describe('/metrics has no NaN', () => {
  it('20 back-to-back scrapes in each format: every value finite, the event-loop delay stats present and sane', async () => {
    const ex = await startTestExporter({ DEMO: 'false', ANGOR_ENABLE: 'false' }, { schedule: false });
    const scrape = async (accept?: string) => {
      const res = await fetch(`${ex.url}/metrics`, { headers: accept ? { accept } : {} });
      expect(res.status).toBe(200);
      return res.text();
    };
    // The histogram has recorded something once the exporter has been up for one resolution step.
    await waitFor(async () => (Object.keys(stats(await scrape())).length === STAT_NAMES.length ? true : undefined), 'the event-loop stats');
    const bodies: string[] = [];
    for (let i = 0; i < 20; i++) bodies.push(await scrape(), await scrape(OPENMETRICS));
    for (const body of bodies) {
      expect(body).not.toMatch(/\bnan\b/i);
      const bad = samples(body).filter(([, v]) => !Number.isFinite(Number(v)));
      expect(bad).toEqual([]);
      const s = stats(body);
      expect(Object.keys(s).sort()).toEqual([...STAT_NAMES].sort());
      const at = (stat: string) => s[`crowdfund_nodejs_eventloop_lag_${stat}_seconds`]!;
      // One interval's figures, not an empty histogram's (min 2^63 ns, max 0).
      expect(at('min')).toBeLessThanOrEqual(at('p50'));
      expect(at('p50')).toBeLessThanOrEqual(at('p90'));
      expect(at('p90')).toBeLessThanOrEqual(at('p99'));
      expect(at('p99')).toBeLessThanOrEqual(at('max'));
      expect(at('max')).toBeLessThan(60);
      expect(at('max')).toBeGreaterThan(0);
    }
  });

  it('before the histogram has a sample the series are left out, not NaN', async () => {
    const registry = new Registry();
    replaceEventLoopDelayStats(registry, 'x_');
    // Same tick: the histogram's timer cannot have fired yet.
    const body = await registry.metrics();
    expect(body).not.toMatch(/nan/i);
    expect(samples(body)).toEqual([]);
    expect(body).toContain('# TYPE x_nodejs_eventloop_lag_mean_seconds gauge');
  });
});
