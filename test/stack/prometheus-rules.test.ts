// promtool and amtool over the shipped Prometheus and Alertmanager configuration, plus the house
// rules for alerts: every alert has `for:`, a severity, a summary and a description, and unit
// tests in prometheus/tests/ that show it firing and staying silent.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { tempDir } from '../helpers/tmp.js';
import { ROOT, run, skipWithout } from './tools.js';

const rulesDir = join(ROOT, 'prometheus', 'rules');
const testsDir = join(ROOT, 'prometheus', 'tests');
const ruleFiles = readdirSync(rulesDir).filter((f) => f.endsWith('.yml')).map((f) => join('prometheus', 'rules', f));
const testFiles = readdirSync(testsDir).filter((f) => f.endsWith('.yml')).map((f) => join('prometheus', 'tests', f));

const ruleSchema = z.object({
  alert: z.string().optional(),
  record: z.string().optional(),
  expr: z.string(),
  for: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
const ruleFileSchema = z.object({ groups: z.array(z.object({ name: z.string(), rules: z.array(ruleSchema) })) });

const alerts = ruleFiles.flatMap((f) =>
  ruleFileSchema
    .parse(parse(readFileSync(join(ROOT, f), 'utf8')))
    .groups.flatMap((g) => g.rules)
    .filter((r) => r.alert !== undefined),
);

const unitTestSchema = z.object({
  tests: z.array(
    z.object({
      name: z.string().optional(),
      alert_rule_test: z
        .array(z.object({ alertname: z.string(), exp_alerts: z.array(z.unknown()).nullish() }))
        .optional(),
    }),
  ),
});

describe.skipIf(skipWithout('promtool'))('promtool', () => {
  const scratch = tempDir('crowdfund-rules-');

  it.each(['prometheus/prometheus.yml', 'prometheus/prometheus.local.yml'])('check config %s', (file) => {
    const r = run('promtool', ['check', 'config', file]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status, r.output).toBe(0);
  });

  it('check rules: every rule file is valid', () => {
    expect(ruleFiles.length).toBeGreaterThanOrEqual(2);
    const r = run('promtool', ['check', 'rules', ...ruleFiles]);
    expect(r.status, r.output).toBe(0);
  });

  it('check rules rejects a broken rule (the check is real)', () => {
    const bad = join(scratch, 'bad.yml');
    writeFileSync(bad, 'groups:\n  - name: bad\n    rules:\n      - alert: Broken\n        expr: sum(btcpay_raised_sats\n');
    const r = run('promtool', ['check', 'rules', bad]);
    expect(r.status, r.output).toBe(1);
    expect(r.output).toContain('FAILED');
  });

  it('test rules: every unit test passes', () => {
    expect(testFiles.length).toBeGreaterThanOrEqual(1);
    const r = run('promtool', ['test', 'rules', ...testFiles]);
    expect(r.output).not.toContain('FAILED');
    expect(r.status, r.output).toBe(0);
  });
});

describe.skipIf(skipWithout('amtool'))('amtool', () => {
  it('check-config alertmanager/alertmanager.yml', () => {
    const r = run('amtool', ['check-config', 'alertmanager/alertmanager.yml']);
    expect(r.output).toContain('SUCCESS');
    expect(r.status, r.output).toBe(0);
  });
});

describe('alert rules follow the house rules', () => {
  it('the issue\'s alerts all exist', () => {
    const names = alerts.map((a) => a.alert);
    for (const name of [
      'CrowdfundExporterDown',
      'CrowdfundSyncFailing',
      'CrowdfundSyncStale',
      'BTCPayWebhooksMissed',
      'BTCPayWebhookVerificationFailures',
      'BTCPayWebhooksSilent',
      'CrowdfundGoalAtRisk',
    ]) {
      expect(names).toContain(name);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(alerts.map((a) => [a.alert!, a] as const))('%s has for:, a severity, a summary and a description', (_name, a) => {
    expect(a.for).toMatch(/^\d+[smh]$/);
    expect(['critical', 'warning', 'info']).toContain(a.labels?.severity);
    expect(a.annotations?.summary?.length ?? 0).toBeGreaterThan(10);
    expect(a.annotations?.description?.length ?? 0).toBeGreaterThan(20);
  });

  it('every alert has a unit test where it fires and one where it stays silent', () => {
    const cases = testFiles.flatMap((f) =>
      unitTestSchema.parse(parse(readFileSync(join(ROOT, f), 'utf8'))).tests.flatMap((t) => t.alert_rule_test ?? []),
    );
    const missing: string[] = [];
    for (const a of alerts) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      if (!mine.some((c) => (c.exp_alerts ?? []).length > 0)) missing.push(`${a.alert}: no firing case`);
      if (!mine.some((c) => (c.exp_alerts ?? []).length === 0)) missing.push(`${a.alert}: no silent case`);
    }
    expect(missing).toEqual([]);
  });
});
