// One notification per problem: finds Grafana-managed alert rules that repeat a Prometheus alert.
// Both reach Alertmanager (Grafana through its contact point, Prometheus directly), so a problem
// covered by both notifies twice. A Grafana rule repeats a Prometheus alert when it has the same
// name (compared without case, spaces and punctuation), or when it reads the same exporter metrics
// (recording rules resolved) and tests them with the same comparison (operator and number).
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { metricsRead, type AlertRule } from './promql-sources.js';

const grafanaQuery = z.object({
  refId: z.string(),
  datasourceUid: z.string(),
  model: z
    .object({
      expr: z.string().optional(),
      type: z.string().optional(),
      expression: z.string().optional(),
      conditions: z
        .array(z.object({ evaluator: z.object({ type: z.string(), params: z.array(z.number()) }) }).loose())
        .optional(),
    })
    .loose(),
});
const grafanaRuleFile = z.object({
  groups: z
    .array(z.object({ rules: z.array(z.object({ uid: z.string(), title: z.string(), condition: z.string(), data: z.array(grafanaQuery) }).loose()) }))
    .optional(),
});
export type GrafanaRule = NonNullable<z.infer<typeof grafanaRuleFile>['groups']>[number]['rules'][number];

export function grafanaRulesIn(path: string): GrafanaRule[] {
  return (grafanaRuleFile.parse(parse(readFileSync(path, 'utf8'))).groups ?? []).flatMap((g) => g.rules);
}

/** "BTCPay webhooks missed" and "BTCPayWebhooksMissed" are the same name. */
export function normalizedName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Comparisons with a number in a PromQL or Grafana math expression, as "op number" ("> 900"). */
export function comparisons(expr: string): Set<string> {
  const out = new Set<string>();
  const code = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  for (const m of code.matchAll(/(>=|<=|==|!=|>|<)\s*(?:bool\s+)?(-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)(?![\w.])/gi)) {
    out.add(`${m[1]} ${Number(m[2])}`);
  }
  return out;
}

const EVALUATOR_OPS: Record<string, string> = { gt: '>', lt: '<', eq: '==', ne: '!=', gte: '>=', lte: '<=' };

/** The metrics a Grafana rule reads and the comparisons it makes (in its queries and its condition). */
export function grafanaRuleSignature(rule: GrafanaRule, recorded: Map<string, string>): { metrics: Set<string>; comparisons: Set<string> } {
  const metrics = new Set<string>();
  const cmp = new Set<string>();
  for (const q of rule.data) {
    if (q.model.expr) {
      for (const m of metricsRead(q.model.expr, recorded)) metrics.add(m);
      for (const c of comparisons(q.model.expr)) cmp.add(c);
    }
    if (q.datasourceUid === '__expr__') {
      if (q.model.type === 'math' && q.model.expression) for (const c of comparisons(q.model.expression)) cmp.add(c);
      for (const cond of q.model.conditions ?? []) {
        const op = EVALUATOR_OPS[cond.evaluator.type];
        if (op && cond.evaluator.params[0] !== undefined) cmp.add(`${op} ${cond.evaluator.params[0]}`);
      }
    }
  }
  return { metrics, comparisons: cmp };
}

export interface Duplicate {
  grafana: string;
  prometheus: string;
  why: 'same name' | 'same metrics and condition';
}

export function duplicateAlerts(grafana: GrafanaRule[], prometheus: AlertRule[], recorded: Map<string, string>): Duplicate[] {
  const out: Duplicate[] = [];
  for (const g of grafana) {
    const sig = grafanaRuleSignature(g, recorded);
    for (const p of prometheus) {
      if (normalizedName(g.title) === normalizedName(p.alert) || normalizedName(g.uid) === normalizedName(p.alert)) {
        out.push({ grafana: g.title, prometheus: p.alert, why: 'same name' });
        continue;
      }
      const metrics = metricsRead(p.expr, recorded);
      const sameMetrics = metrics.size > 0 && metrics.size === sig.metrics.size && [...metrics].every((m) => sig.metrics.has(m));
      const sameCondition = [...comparisons(p.expr)].some((c) => sig.comparisons.has(c));
      if (sameMetrics && sameCondition) out.push({ grafana: g.title, prometheus: p.alert, why: 'same metrics and condition' });
    }
  }
  return out;
}
