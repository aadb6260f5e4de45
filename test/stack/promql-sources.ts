// Every PromQL expression the project ships: dashboard panels and template variables, Prometheus
// recording and alerting rules, Grafana alert rules and the ```promql blocks of docs/promql.md,
// with Grafana's variables replaced so Prometheus' /api/v1/query can evaluate them.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { ROOT } from './tools.js';

export interface Target {
  refId?: string;
  expr?: string;
  datasource?: unknown;
}

export interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: unknown;
  targets?: Target[];
  gridPos?: { x: number; y: number; w: number; h: number };
  fieldConfig?: { defaults?: { unit?: string } };
  panels?: Panel[];
}

export interface DashboardJson {
  uid: string;
  title: string;
  panels?: Panel[];
  templating?: { list?: Array<{ name: string; type: string; query?: string | { query?: string }; datasource?: unknown }> };
}

export function dashboardFiles(): string[] {
  return readdirSync(join(ROOT, 'grafana', 'dashboards')).filter((f) => f.endsWith('.json'));
}

export function loadDashboards(): Array<{ file: string; json: DashboardJson }> {
  return dashboardFiles().map((file) => ({
    file,
    json: JSON.parse(readFileSync(join(ROOT, 'grafana', 'dashboards', file), 'utf8')) as DashboardJson,
  }));
}

/** Every panel, rows and the panels of collapsed rows included. */
export function panelsOf(d: DashboardJson): Panel[] {
  const out: Panel[] = [];
  const visit = (ps: Panel[] | undefined) => {
    for (const p of ps ?? []) {
      out.push(p);
      visit(p.panels);
    }
  };
  visit(d.panels);
  return out;
}

/**
 * Replaces Grafana's variables the way a dashboard with "All" selected would: template variables
 * become `.*` (they only appear inside =~ matchers), interval variables a fixed window.
 */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__rate_interval|\$\{__rate_interval\}/g, '1m')
    .replace(/\$__interval|\$\{__interval\}/g, '1m')
    .replace(/\$__range|\$\{__range\}/g, '1h')
    .replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g, '.*');
}

/** `label_values(selector, label)` → `selector`; `label_values(label)` has no selector. */
export function labelValuesSelector(query: string): string | undefined {
  const m = /^\s*label_values\(\s*(.+),\s*\w+\s*\)\s*$/.exec(query);
  return m ? m[1]!.trim() : undefined;
}

export type Origin = 'panel' | 'variable' | 'recording rule' | 'alert rule' | 'grafana alert' | 'docs';

export interface Expression {
  origin: Origin;
  /** Where it comes from, for messages: file, panel title, rule name. */
  where: string;
  /** The expression as evaluated. */
  expr: string;
  /** Whether it must return data against the demo exporter. */
  mustReturnData: boolean;
}

function dashboardExpressions(): Expression[] {
  const out: Expression[] = [];
  for (const { file, json } of loadDashboards()) {
    for (const p of panelsOf(json)) {
      for (const t of p.targets ?? []) {
        if (!t.expr) continue;
        out.push({
          origin: 'panel',
          where: `${file} › ${p.title ?? p.id} › ${t.refId ?? ''}`,
          expr: substituteGrafanaVariables(t.expr),
          mustReturnData: true,
        });
      }
    }
    for (const v of json.templating?.list ?? []) {
      if (v.type !== 'query') continue;
      const query = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
      const selector = labelValuesSelector(query);
      const expr = selector ?? (query.startsWith('label_values(') ? undefined : query);
      if (expr === undefined) continue;
      out.push({ origin: 'variable', where: `${file} › $${v.name}`, expr: substituteGrafanaVariables(expr), mustReturnData: true });
    }
  }
  return out;
}

const ruleFile = z.object({
  groups: z.array(z.object({ rules: z.array(z.object({ alert: z.string().optional(), record: z.string().optional(), expr: z.string() })) })),
});

function prometheusRuleExpressions(): Expression[] {
  return ruleFiles().flatMap(({ file, doc }) =>
    doc.groups.flatMap((g) =>
      g.rules.map(
        (r): Expression => ({
          origin: r.alert ? 'alert rule' : 'recording rule',
          where: `prometheus/rules/${file} › ${r.alert ?? r.record}`,
          expr: r.expr,
          mustReturnData: false,
        }),
      ),
    ),
  );
}

const grafanaRules = z.object({
  groups: z
    .array(
      z.object({
        rules: z.array(
          z.object({
            title: z.string(),
            data: z.array(z.object({ datasourceUid: z.string(), model: z.object({ expr: z.string().optional() }).loose() })),
          }),
        ),
      }),
    )
    .optional(),
});

function grafanaAlertExpressions(): Expression[] {
  const dir = join(ROOT, 'grafana', 'provisioning', 'alerting');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .flatMap((f) =>
      (grafanaRules.parse(parse(readFileSync(join(dir, f), 'utf8'))).groups ?? []).flatMap((g) =>
        g.rules.flatMap((r) =>
          r.data
            .filter((q) => q.datasourceUid !== '__expr__' && q.model.expr)
            .map(
              (q): Expression => ({
                origin: 'grafana alert',
                where: `grafana/provisioning/alerting/${f} › ${r.title}`,
                expr: q.model.expr!,
                mustReturnData: false,
              }),
            ),
        ),
      ),
    );
}

export function docsExpressions(): Expression[] {
  const text = readFileSync(join(ROOT, 'docs', 'promql.md'), 'utf8');
  return [...text.matchAll(/```promql\n([\s\S]*?)```/g)].map((m, i) => ({
    origin: 'docs',
    where: `docs/promql.md › block ${i + 1}`,
    expr: m[1]!.trim(),
    mustReturnData: false,
  }));
}

export function allExpressions(): Expression[] {
  return [...dashboardExpressions(), ...prometheusRuleExpressions(), ...grafanaAlertExpressions(), ...docsExpressions()];
}

/** Metric names an expression reads, with recording rules resolved to the metrics they read. */
export function metricsRead(expr: string, recorded: Map<string, string>, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  const tokens = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? [];
  for (const t of tokens) {
    if (recorded.has(t) && !seen.has(t)) {
      seen.add(t);
      for (const m of metricsRead(recorded.get(t)!, recorded, seen)) out.add(m);
    } else if (/^(btcpay|angor|crowdfund)_/.test(t)) out.add(t);
  }
  return out;
}

/** Recording rule name → its expression, over every file in prometheus/rules/. */
export function recordingRules(): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of ruleFiles()) {
    for (const g of f.doc.groups) for (const r of g.rules) if (r.record) out.set(r.record, r.expr);
  }
  return out;
}

export interface AlertRule {
  alert: string;
  expr: string;
}

/** Every alerting rule in prometheus/rules/. */
export function prometheusAlerts(): AlertRule[] {
  return ruleFiles().flatMap((f) => f.doc.groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? [{ alert: r.alert, expr: r.expr }] : []))));
}

function ruleFiles(): Array<{ file: string; doc: z.infer<typeof ruleFile> }> {
  const dir = join(ROOT, 'prometheus', 'rules');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .map((file) => ({ file, doc: ruleFile.parse(parse(readFileSync(join(dir, file), 'utf8'))) }));
}
