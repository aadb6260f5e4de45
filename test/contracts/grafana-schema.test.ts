// The generated dashboards against the dashboard model Grafana publishes (@grafana/schema, the
// Grafana 11.6 of docker-compose.yml, turned into JSON schemas by ts-json-schema-generator):
// strictly, panel options and queries included, with a short allow-list of what the schema lacks.
// Then the provisioning YAML read strictly, and its references. Each checker rejects a planted defect.
import { describe, expect, it } from 'vitest';
import { DATASOURCE_UID } from '../../grafana/src/common.js';
import { loadDashboards } from '../stack/promql-sources.js';
import { ALLOWED_UNKNOWN, GrafanaSchema } from './grafana/grafana-schema.js';
import { provisioningFindings, readProvisioning } from './grafana/provisioning.js';

const dashboards = loadDashboards();
const schema = GrafanaSchema.create();
const format = (fs: Array<{ where: string; message: string }>) => fs.map((f) => `${f.where}: ${f.message}`).join('\n');

type Json = Record<string, unknown> & { panels?: Json[]; templating?: { list: Json[] } };
const copy = (d: unknown) => structuredClone(d) as Json;
const firstOf = (d: Json, type: string) => d.panels!.find((p) => p.type === type)!;

describe("dashboards against Grafana's published schema", () => {
  it.each(dashboards.map((d) => [d.file, d.json] as const))('%s: no property the schema does not know, nothing missing', (_file, json) => {
    const findings = schema.check(json);
    expect(findings, format(findings)).toEqual([]);
  });

  it('checks every panel type the dashboards use against its plugin', () => {
    const types = new Set(dashboards.flatMap((d) => (d.json.panels ?? []).map((p) => p.type)));
    expect(types.size).toBeGreaterThanOrEqual(5);
    for (const t of types) expect(t === 'row' || schema.check({ schemaVersion: 39, panels: [{ type: t, id: 1 }] }).every((f) => !/no published options type/.test(f.message)), t).toBe(true);
  });

  it('planted defect: an unknown panel option is rejected', () => {
    const d = copy(dashboards[0]!.json);
    const stat = firstOf(d, 'stat');
    (stat.options as Json).sparkline = true;
    expect(format(schema.check(d))).toMatch(/options: \/ must NOT have additional properties: sparkline/);
  });

  it('planted defects: an unknown panel property, a wrong enum value, an unknown query field', () => {
    const d = copy(dashboards[0]!.json);
    const ts = firstOf(d, 'timeseries');
    ts.colour = 'red';
    ((ts.options as Json).legend as Json).placement = 'middle';
    ((ts.targets as Json[])[0]!).exprr = 'up';
    const text = format(schema.check(d));
    expect(text).toMatch(/dashboard: \/panels\/\d+ must NOT have additional properties: colour/);
    expect(text).toMatch(/options: \/legend\/placement must be equal to one of the allowed values/);
    expect(text).toMatch(/targets\[0\]: \/ must NOT have additional properties: exprr/);
  });

  it('every allow-list entry is still needed, and has its reason', () => {
    for (const entry of ALLOWED_UNKNOWN) {
      expect(entry.reason.length).toBeGreaterThan(40);
      const strict = format(dashboards.flatMap((d) => schema.check(d.json, { allowList: false })));
      for (const k of entry.keys) expect(strict).toMatch(new RegExp(`must NOT have additional properties: ${k}$`, 'm'));
    }
  });
});

describe('Grafana provisioning', () => {
  const files = readProvisioning();
  const dash = dashboards.map((d) => ({ file: d.file, json: d.json as unknown }));

  it('is well-formed and consistent: datasource uids, folder, allowUiUpdates, alert rule datasources', () => {
    expect(provisioningFindings(files, dash)).toEqual([]);
    const uids = Object.values(files.datasources).flatMap((f) => (f as { datasources: Array<{ uid: string }> }).datasources.map((d) => d.uid));
    expect(uids).toEqual(expect.arrayContaining([DATASOURCE_UID, 'crowdfund-alertmanager', 'crowdfund-victoriametrics']));
  });

  it('planted defects: an alert rule on an unknown datasource, UI updates allowed, an unknown key, a foreign folder', () => {
    const broken = structuredClone(files);
    const rules = broken.alerting['crowdfund-rules.yml'] as { groups: Array<{ folder: string; rules: Array<{ data: Array<{ datasourceUid: string }> }> }> };
    rules.groups[0]!.rules[0]!.data[0]!.datasourceUid = 'prometheus-typo';
    rules.groups[rules.groups.length - 1]!.folder = 'Elsewhere';
    const providers = broken.dashboards['crowdfund.yml'] as { providers: Array<Record<string, unknown>> };
    providers.providers[0]!.allowUiUpdates = true;
    const ds = broken.datasources['prometheus.yml'] as { datasources: Array<Record<string, unknown>> };
    ds.datasources[0]!.isDefualt = true;
    const text = provisioningFindings(broken, dash).join('\n');
    expect(text).toMatch(/uses datasource uid prometheus-typo, which is not provisioned/);
    expect(text).toMatch(/must set allowUiUpdates: false/);
    expect(text).toMatch(/Unrecognized key.*isDefualt/);
    expect(text).toMatch(/is in folder "Elsewhere"/);
  });

  it('planted defect: a dashboard query on a datasource that is not provisioned', () => {
    const d = copy(dashboards[0]!.json);
    ((firstOf(d, 'stat').targets as Json[])[0]!).datasource = { type: 'prometheus', uid: 'old-prometheus' };
    expect(provisioningFindings(files, [{ file: 'x.json', json: d }]).join('\n')).toMatch(/uses datasource uid old-prometheus, which is not provisioned/);
  });
});
