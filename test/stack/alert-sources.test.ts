// One source of truth per alert: the Prometheus rules are the alerts (Grafana shows them through
// its Prometheus and Alertmanager datasources), and Grafana-managed rules only cover what they do
// not. A Grafana rule that repeats a Prometheus alert would notify twice through Alertmanager.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { comparisons, duplicateAlerts, grafanaRulesIn, normalizedName, type GrafanaRule } from './alert-sources.js';
import { prometheusAlerts, recordingRules } from './promql-sources.js';
import { ROOT } from './tools.js';

const alertingDir = join(ROOT, 'grafana', 'provisioning', 'alerting');
const shippedGrafanaRules = readdirSync(alertingDir)
  .filter((f) => f.endsWith('.yml'))
  .flatMap((f) => grafanaRulesIn(join(alertingDir, f)));
const alerts = prometheusAlerts();
const recorded = recordingRules();

describe('one notification per problem', () => {
  it('no Grafana-managed rule repeats a Prometheus alert', () => {
    expect(shippedGrafanaRules.length).toBeGreaterThan(0);
    expect(duplicateAlerts(shippedGrafanaRules, alerts, recorded)).toEqual([]);
  });

  it('finds the four duplicates release 0.1.0 shipped (the check is real)', () => {
    const old = grafanaRulesIn(join(ROOT, 'test', 'stack', 'fixtures', 'grafana-rules-0.1.0-duplicates.yml'));
    const found = duplicateAlerts(old, alerts, recorded).map((d) => `${d.grafana} = ${d.prometheus}`);
    expect(found.sort()).toEqual(
      [
        'BTCPay webhook deliveries failing = BTCPayWebhookDeliveryFailures',
        'BTCPay webhook verification failures = BTCPayWebhookVerificationFailures',
        'BTCPay webhooks missed = BTCPayWebhooksMissed',
        'Crowdfund sync stale = CrowdfundSyncStale',
      ].sort(),
    );
  });

  it('a rule with an alert\'s name, or with its metrics and condition, is a duplicate; other rules are not', () => {
    const rule = (title: string, expr: string, condition: string): GrafanaRule => ({
      uid: normalizedName(title).slice(0, 40),
      title,
      condition: 'C',
      data: [
        { refId: 'A', datasourceUid: 'crowdfund-prometheus', model: { expr } },
        { refId: 'B', datasourceUid: '__expr__', model: { type: 'reduce', expression: 'A' } },
        { refId: 'C', datasourceUid: '__expr__', model: { type: 'math', expression: condition } },
      ],
    });
    const renamed = rule('Sync failed', 'crowdfund_sync_up', '$B == 0'); // different name, different condition from CrowdfundSyncFailing (needs errors too)
    const sameName = rule('Crowdfund exporter down', 'up', '$B == 0');
    const sameCondition = rule('Collectors broken', 'min by (collector) (crowdfund_scrape_collector_success)', '$B == 0');
    const otherThreshold = rule('Many missed webhooks', 'sum by (store) (increase(btcpay_webhook_missed_total[1h]))', '$B > 10');
    // A threshold-type condition says the same as a math one.
    const thresholdType: GrafanaRule = {
      ...rule('Delivery trouble', 'max by (store) (btcpay_webhook_delivery_failures)', ''),
      data: [
        { refId: 'A', datasourceUid: 'crowdfund-prometheus', model: { expr: 'max by (store) (btcpay_webhook_delivery_failures)' } },
        { refId: 'C', datasourceUid: '__expr__', model: { type: 'threshold', expression: 'A', conditions: [{ evaluator: { type: 'gt', params: [0] } }] } },
      ],
    };
    const found = duplicateAlerts([renamed, sameName, sameCondition, otherThreshold, thresholdType], alerts, recorded);
    expect(found).toEqual([
      { grafana: 'Crowdfund exporter down', prometheus: 'CrowdfundExporterDown', why: 'same name' },
      { grafana: 'Collectors broken', prometheus: 'CrowdfundCollectorFailing', why: 'same metrics and condition' },
      { grafana: 'Delivery trouble', prometheus: 'BTCPayWebhookDeliveryFailures', why: 'same metrics and condition' },
    ]);
  });

  it('reads comparisons with numbers, not label matchers or durations', () => {
    expect([...comparisons('time() - x{a!="1", b=~"2"} > 900 and on (i) y >= bool 1e3')]).toEqual(['> 900', '>= 1000']);
    expect([...comparisons('$B > 0')]).toEqual(['> 0']);
    expect([...comparisons('increase(x[15m]) > on (store) y')]).toEqual([]);
  });

  it('Grafana shows the Prometheus alerts through its datasources', () => {
    const ds = z
      .object({
        datasources: z.array(
          z.object({ uid: z.string(), type: z.string(), jsonData: z.record(z.string(), z.unknown()).optional() }),
        ),
      })
      .parse(parse(readFileSync(join(ROOT, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8')));
    const prom = ds.datasources.find((d) => d.type === 'prometheus');
    const am = ds.datasources.find((d) => d.type === 'alertmanager');
    // The Prometheus datasource lists the rules (Alerting → Alert rules, "data source-managed").
    expect(prom?.jsonData?.manageAlerts).toBe(true);
    expect(prom?.jsonData?.alertmanagerUid).toBe(am?.uid);
    // The Alertmanager datasource shows their notifications and silences; Grafana's own rules go
    // to the same Alertmanager through the contact point, not through this datasource as well.
    expect(am?.jsonData?.handleGrafanaManagedAlerts).toBe(false);
  });
});
