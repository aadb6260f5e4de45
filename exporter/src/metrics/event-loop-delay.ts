// The event-loop delay statistics of prom-client's default metrics, without NaN.
//
// prom-client (15.1) reads perf_hooks.monitorEventLoopDelay() at every collection and then resets
// it. Two scrapes closer together than the histogram's resolution (10 ms) find it empty: mean and
// stddev are NaN (rendered `Nan`, which strict parsers reject), min is 2^63 ns and the rest 0.
// These gauges keep the same names and meaning, but an empty interval keeps the last real
// values, and before the first sample the series are left out.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, type Registry, type RegistryContentType } from 'prom-client';

// prom-client's type, not registry.ts's alias: registry.ts imports this module.
type PromRegistry = Registry<RegistryContentType>;

const STATS: ReadonlyArray<readonly [name: string, help: string, read: (h: IntervalHistogram) => number]> = [
  ['min', 'The minimum recorded event loop delay.', (h) => h.min],
  ['max', 'The maximum recorded event loop delay.', (h) => h.max],
  ['mean', 'The mean of the recorded event loop delays.', (h) => h.mean],
  ['stddev', 'The standard deviation of the recorded event loop delays.', (h) => h.stddev],
  ['p50', 'The 50th percentile of the recorded event loop delays.', (h) => h.percentile(50)],
  ['p90', 'The 90th percentile of the recorded event loop delays.', (h) => h.percentile(90)],
  ['p99', 'The 99th percentile of the recorded event loop delays.', (h) => h.percentile(99)],
];

export const EVENT_LOOP_DELAY_STATS = STATS.map(([name]) => name);

/**
 * Replaces prom-client's `<prefix>nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds`
 * in `registry` (collectDefaultMetrics must have run). Like prom-client's, the histogram runs for
 * the life of the process (its timer does not keep the process alive).
 */
export function replaceEventLoopDelayStats(registry: PromRegistry, prefix: string, resolutionMs = 10): void {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  /** Seconds per statistic, from the last interval that recorded a delay. */
  let last: Map<string, number> | undefined;
  const update = () => {
    if (histogram.count === 0) return; // nothing recorded since the last read: keep `last`
    const values = new Map(STATS.map(([name, , read]) => [name, read(histogram) / 1e9] as const));
    histogram.reset();
    if ([...values.values()].every(Number.isFinite)) last = values;
  };
  for (const [name, help] of STATS) {
    const metric = `${prefix}nodejs_eventloop_lag_${name}_seconds`;
    registry.removeSingleMetric(metric);
    new Gauge({
      name: metric,
      help: `${help} Over the interval since the previous scrape; an interval without a sample keeps the previous value.`,
      registers: [registry],
      // Every gauge reads the histogram (the first one of a scrape resets it), so the order in
      // which the registry collects them does not matter.
      collect(this: Gauge) {
        update();
        const v = last?.get(name);
        if (v === undefined) this.remove();
        else this.set(v);
      },
    });
  }
}
