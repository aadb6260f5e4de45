// The generated dashboards and the Grafana provisioning: committed JSON matches the code, panels
// are well-formed (unique ids, the provisioned datasource, a query each, units on money and time,
// inside the 24-column grid without overlaps), and the alerting files reference what exists.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { DATASOURCE_UID } from '../../grafana/src/common.js';
import { renderDashboards } from '../../grafana/src/dashboards.js';
import { dashboardFiles, loadDashboards, panelsOf, type Panel } from './promql-sources.js';
import { ROOT } from './tools.js';

const dashboards = loadDashboards();

describe('generated dashboards', () => {
  it('the committed JSON is what `npm run dashboards` generates', () => {
    const rendered = renderDashboards();
    expect(dashboardFiles().sort()).toEqual([...rendered.keys()].sort());
    for (const [file, content] of rendered) {
      const committed = readFileSync(join(ROOT, 'grafana', 'dashboards', file), 'utf8');
      expect(committed, `grafana/dashboards/${file} is stale: run npm run dashboards`).toBe(content);
    }
  });

  it('has the overview, crowdfund and Angor dashboards, with store and app variables', () => {
    const byUid = new Map(dashboards.map((d) => [d.json.uid, d.json]));
    expect([...byUid.keys()].sort()).toEqual(['crowdfund-angor', 'crowdfund-apps', 'crowdfund-overview']);
    const vars = (uid: string) => (byUid.get(uid)?.templating?.list ?? []).map((v) => v.name);
    expect(vars('crowdfund-overview')).toContain('store');
    expect(vars('crowdfund-apps')).toEqual(expect.arrayContaining(['store', 'app']));
  });
});

describe.each(dashboards.map((d) => [d.file, d] as const))('%s', (_file, d) => {
  const panels = panelsOf(d.json);
  const visible = panels.filter((p) => p.type !== 'row');

  it('panel ids are unique', () => {
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => typeof id === 'number')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses only current panel types', () => {
    for (const p of panels) expect(['row', 'stat', 'timeseries', 'piechart', 'bargauge', 'table', 'gauge', 'text']).toContain(p.type);
  });

  it('every datasource reference is the provisioned Prometheus datasource, by object', () => {
    for (const p of visible) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: DATASOURCE_UID });
      for (const t of p.targets ?? []) expect(t.datasource, p.title).toEqual({ type: 'prometheus', uid: DATASOURCE_UID });
    }
    for (const v of d.json.templating?.list ?? []) {
      expect(v.datasource, v.name).toEqual({ type: 'prometheus', uid: DATASOURCE_UID });
    }
  });

  it('no panel without a query, and refIds are unique per panel', () => {
    for (const p of visible) {
      const exprs = (p.targets ?? []).map((t) => t.expr?.trim() ?? '');
      expect(exprs.length, `${p.title} has no query`).toBeGreaterThan(0);
      expect(exprs.every((e) => e.length > 0), `${p.title} has an empty query`).toBe(true);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, p.title).toBe(refIds.length);
    }
  });

  it('money and time panels have a unit', () => {
    const money = /_sats\b|_amount\b/;
    const time = /_seconds\b|time\(\)/;
    for (const p of visible) {
      const exprs = (p.targets ?? []).map((t) => t.expr ?? '').join(' ');
      if (!money.test(exprs) && !time.test(exprs)) continue;
      const unit = p.fieldConfig?.defaults?.unit;
      expect(unit, `${p.title} needs a unit`).toBeTruthy();
      expect(unit, `${p.title} needs a real unit`).not.toBe('none');
    }
  });

  it('panels sit inside the 24-column grid and do not overlap', () => {
    const boxes = panels.map((p) => ({ title: p.title, ...p.gridPos! }));
    for (const b of boxes) {
      expect(b.x + b.w, b.title).toBeLessThanOrEqual(24);
      expect(b.x).toBeGreaterThanOrEqual(0);
    }
    for (let i = 0; i < boxes.length; i++) {
      for (let j = i + 1; j < boxes.length; j++) {
        const a = boxes[i]!;
        const b = boxes[j]!;
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap, `"${a.title}" overlaps "${b.title}"`).toBe(false);
      }
    }
  });
});

describe('Grafana provisioning', () => {
  const prov = (p: string) => parse(readFileSync(join(ROOT, 'grafana', 'provisioning', p), 'utf8')) as unknown;

  it('provisions the Prometheus datasource with the uid the dashboards use', () => {
    const ds = z
      .object({ apiVersion: z.literal(1), datasources: z.array(z.object({ uid: z.string(), type: z.string(), url: z.string() })) })
      .parse(prov('datasources/prometheus.yml'));
    const prom = ds.datasources.find((d) => d.type === 'prometheus');
    expect(prom?.uid).toBe(DATASOURCE_UID);
    expect(prom?.url).toBe('http://prometheus:9090');
  });

  it('alert rules are well-formed and link to existing dashboard panels', () => {
    const files = readdirSync(join(ROOT, 'grafana', 'provisioning', 'alerting'));
    const rules = files.flatMap((f) => {
      const doc = prov(`alerting/${f}`) as { groups?: Array<{ rules: unknown[]; folder: string; interval: string }> };
      return (doc.groups ?? []).flatMap((g) => g.rules.map((r) => ({ group: g, rule: r })));
    });
    const ruleSchema = z.object({
      uid: z.string().max(40),
      title: z.string(),
      condition: z.string(),
      data: z.array(z.object({ refId: z.string(), datasourceUid: z.string(), model: z.record(z.string(), z.unknown()) })),
      dashboardUid: z.string().optional(),
      panelId: z.number().optional(),
      for: z.string(),
      labels: z.object({ severity: z.enum(['critical', 'warning', 'info']) }),
      annotations: z.object({ summary: z.string(), description: z.string() }),
    });
    expect(rules.length).toBeGreaterThanOrEqual(1);
    const uids = new Set<string>();
    for (const { group, rule } of rules) {
      const r = ruleSchema.parse(rule);
      expect(uids.has(r.uid), r.uid).toBe(false);
      uids.add(r.uid);
      expect(group.folder).toBe('Crowdfund');
      expect(r.data.map((q) => q.refId)).toContain(r.condition);
      for (const q of r.data) expect([DATASOURCE_UID, '__expr__']).toContain(q.datasourceUid);
      if (r.dashboardUid !== undefined) {
        const dash = dashboards.find((d) => d.json.uid === r.dashboardUid);
        expect(dash, `${r.title}: dashboard ${r.dashboardUid}`).toBeDefined();
        const panel: Panel | undefined = panelsOf(dash!.json).find((p) => p.id === r.panelId);
        expect(panel, `${r.title}: panel ${r.panelId}`).toBeDefined();
        expect(panel!.type).not.toBe('row');
      }
    }
    // Webhook and sync alerts are Prometheus rules only (test/stack/alert-sources.test.ts).
    const titles = rules.map(({ rule }) => (rule as { title: string }).title).join('\n');
    expect(titles).toMatch(/goal reached/i);
    // The goal-reached alert sits on the crowdfund dashboard's "Goal reached" panel.
    const goal = rules.map(({ rule }) => ruleSchema.parse(rule)).find((r) => /goal reached/i.test(r.title))!;
    expect(goal.labels.severity).toBe('info');
    const goalPanel = panelsOf(dashboards.find((d) => d.json.uid === goal.dashboardUid)!.json).find((p) => p.id === goal.panelId);
    expect(goalPanel?.title).toBe('Goal reached');
  });

  it('the notification policy sends to a provisioned contact point', () => {
    const cps = z
      .object({ contactPoints: z.array(z.object({ name: z.string(), receivers: z.array(z.object({ uid: z.string(), type: z.string() })) })) })
      .parse(prov('alerting/contact-points.yml'));
    const policies = z
      .object({ policies: z.array(z.object({ receiver: z.string(), routes: z.array(z.object({ receiver: z.string() })).optional() })) })
      .parse(prov('alerting/policies.yml'));
    const names = cps.contactPoints.map((c) => c.name);
    for (const p of policies.policies) {
      expect(names).toContain(p.receiver);
      for (const r of p.routes ?? []) expect(names).toContain(r.receiver);
    }
  });
});
