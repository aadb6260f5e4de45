// /metrics in both exposition formats, parsed by parsers others wrote: the official Python client's
// text-format parser and its (strict) OpenMetrics parser, Debian's python3-prometheus-client.
// Besides `promtool check metrics` (prometheus-live.test.ts): any error fails, and a planted
// malformed line must make both parsers fail.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestExporter } from '../helpers/exporter.js';
import { SYSTEM_PYTHON, skipWithoutPrometheusClient } from './python.js';
import { ROOT } from './tools.js';

const skip = skipWithoutPrometheusClient();
const exporter = skip ? undefined : await startTestExporter({ DEMO: 'true' });
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

interface Parsed {
  status: number | null;
  error: string;
  result?: { families: number; samples: number; names: string[] };
}

function parse(format: 'text' | 'openmetrics', exposition: string): Parsed {
  const r = spawnSync(SYSTEM_PYTHON, [join(ROOT, 'test', 'stack', 'parse_exposition.py'), format], { input: exposition, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, error: `${r.stderr ?? ''}${r.error ? String(r.error) : ''}`, result: r.status === 0 ? (JSON.parse(r.stdout) as Parsed['result']) : undefined };
}

async function scrape(accept?: string): Promise<{ type: string; body: string }> {
  const res = await fetch(`${exporter!.url}/metrics`, { headers: accept ? { accept } : {} });
  expect(res.status).toBe(200);
  return { type: res.headers.get('content-type') ?? '', body: await res.text() };
}

describe.skipIf(skip)("/metrics through the Python client's parsers", () => {
  it('the text format parses without an error', async () => {
    const { type, body } = await scrape();
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    const r = parse('text', body);
    expect(r.error).toBe('');
    expect(r.status).toBe(0);
    expect(r.result!.families).toBeGreaterThan(30);
    expect(r.result!.names).toEqual(expect.arrayContaining(['crowdfund_build_info', 'btcpay_invoices', 'angor_projects']));
  });

  it('the OpenMetrics format parses without an error, to the same families', async () => {
    const { type, body } = await scrape(OPENMETRICS);
    expect(type).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
    const om = parse('openmetrics', body);
    expect(om.error).toBe('');
    expect(om.status).toBe(0);
    const text = parse('text', (await scrape()).body);
    // OpenMetrics names counters without _total and build_info-style gauges as they are.
    const strip = (n: string) => n.replace(/_total$/, '');
    expect(om.result!.names.map(strip).sort()).toEqual(text.result!.names.map(strip).sort());
  });

  it('planted defect: a malformed metric line fails both parsers', async () => {
    const line = 'crowdfund_planted{store="x" 1\n';
    const text = parse('text', (await scrape()).body + line);
    expect(text.status).toBe(1);
    expect(text.error).toMatch(/ValueError|Invalid|invalid/);
    const om = (await scrape(OPENMETRICS)).body.replace(/# EOF\s*$/, `${line}# EOF\n`);
    const r = parse('openmetrics', om);
    expect(r.status).toBe(1);
    expect(r.error).toMatch(/ValueError|Invalid|invalid/);
  });

  it('planted defect: OpenMetrics without its # EOF is refused', async () => {
    const r = parse('openmetrics', (await scrape(OPENMETRICS)).body.replace(/# EOF\s*$/, ''));
    expect(r.status).toBe(1);
    expect(r.error).toMatch(/EOF/);
  });
});
