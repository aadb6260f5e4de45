// What Prometheus and promtool read from /metrics in both exposition formats. Prometheus asks for
// OpenMetrics; curl and `promtool check metrics` get the text format, which must not change after.
import { describe, expect, it } from 'vitest';
import { startTestExporter } from '../helpers/exporter.js';

const exporter = await startTestExporter({ DEMO: 'true' });

const scrape = async (accept?: string) =>
  (await fetch(`${exporter.url}/metrics`, { headers: accept ? { accept } : {} })).text();

describe('/metrics exposition formats', () => {
  it('counters keep their _total name in the text format after an OpenMetrics scrape', async () => {
    const before = await scrape();
    expect(before).toMatch(/^# TYPE crowdfund_process_cpu_seconds_total counter$/m);
    const om = await scrape('application/openmetrics-text; version=1.0.0');
    expect(om).toMatch(/^# TYPE crowdfund_process_cpu_seconds counter$/m);
    expect(om).toMatch(/^crowdfund_process_cpu_seconds_total /m);
    expect(om.trimEnd().endsWith('# EOF')).toBe(true);
    const after = await scrape();
    expect(after).toMatch(/^# TYPE crowdfund_process_cpu_seconds_total counter$/m);
    expect(after).toMatch(/^crowdfund_process_cpu_seconds_total /m);
  });
});
